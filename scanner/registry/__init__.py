"""The register of sites: organisations, sites and their columns, from YAML or xlsx files.

``read_form`` → ``schema.validate`` → ``store.write_registry``; ``importer.import_file`` runs the
three in one transaction. See docs/registry.md for the file forms and the re-import rules.

The names below are loaded on first use: ``census scan`` finds its sites through
`scanner.registry.lookup` alone, and importing this package must not load the file forms
(PyYAML, the xlsx reader, the schema's pydantic models: 22 ms and ≈ 1 MB of every scan).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.registry.importer import import_file, read_form
    from scanner.registry.lookup import find_site
    from scanner.registry.schema import Registry, validate
    from scanner.registry.store import ImportSummary, list_sites

__all__ = [
    "ImportSummary",
    "Registry",
    "find_site",
    "import_file",
    "list_sites",
    "read_form",
    "validate",
]

_HOME = {
    "import_file": "importer",
    "read_form": "importer",
    "find_site": "lookup",
    "Registry": "schema",
    "validate": "schema",
    "ImportSummary": "store",
    "list_sites": "store",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"scanner.registry.{module}"), name)
    globals()[name] = value
    return value
