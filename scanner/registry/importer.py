"""``census sites import`` as a function: read, validate everything, then write in one go.

Validation needs the organisation codes already in the database, so it runs inside the same
session as the writes; any problem raises RegistryError before the first write, and the
session's rollback guarantees that nothing is half-written even if the database refuses.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scanner.db import Database
from scanner.errors import Problem, RegistryError
from scanner.registry.form import RawForm
from scanner.registry.schema import validate
from scanner.registry.store import ImportSummary, known_organisations, write_registry
from scanner.registry.xlsx_form import read_xlsx
from scanner.registry.yaml_form import read_yaml

YAML_SUFFIXES = {".yaml", ".yml"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
# A province's register is well under a megabyte; a file this large is a mistake or an attack.
MAX_REGISTRY_BYTES = 50 * 1024 * 1024


def read_form(file: Path) -> RawForm:
    """The file as raw data with places; the form is chosen by the file's suffix."""
    name = str(file)
    suffix = file.suffix.lower()
    if not file.is_file():
        what = (
            "is a folder"
            if file.is_dir()
            else "no such file"
            if not file.exists()
            else ("not a regular file")
        )
        raise RegistryError(Problem(name, "", "", what))
    if file.stat().st_size > MAX_REGISTRY_BYTES:
        raise RegistryError(
            Problem(
                name,
                "",
                "",
                f"larger than {MAX_REGISTRY_BYTES} bytes; a register of sites is far smaller",
            )
        )
    if suffix in YAML_SUFFIXES:
        return read_yaml(file, name)
    if suffix in XLSX_SUFFIXES:
        return read_xlsx(file, name)
    raise RegistryError(
        Problem(
            name,
            "",
            "",
            f"unknown file type '{suffix}'; "
            "use .yaml/.yml (the YAML form) or .xlsx (the 2015 forms)",
        )
    )


class _DryRun(Exception):
    """Raised inside the session to roll back a dry run."""


def import_file(db: Database, file: Path, now: datetime, *, dry_run: bool = False) -> ImportSummary:
    """Import a registry file; RegistryError (nothing written) lists every problem found."""
    form = read_form(file)
    summary = ImportSummary()
    try:
        with db.session() as session:
            registry = validate(form, known_organisations(session))
            summary = write_registry(session, registry, now)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return summary
