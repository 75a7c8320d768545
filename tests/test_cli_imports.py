"""The CLI starts light: building the commands (and their --help) loads none of the heavy
libraries; each command imports what it needs when it runs.

Checked in a fresh interpreter each time, since the test session itself has long since
imported everything. Re-adding a module-level import of any of these to scanner/cli/ (or
making probes.content load pypinyin at import time) fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Packages (and everything under them) that no command needs just to exist or print its help.
HEAVY = [
    "pypinyin",  # ≈55 MB of dictionaries (probes.content)
    "openpyxl",  # xlsx reports and registry forms
    "apscheduler",  # census monitor
    "aiohttp",  # the simulated farm (census demo)
    "farm",
    "dateparser",
    "ahocorasick",
    "scoring",
    "scanner.reports",
    "scanner.monitor",
    "scanner.crawl",
    "httpx",
    "sqlalchemy.orm",
]

# Runs in the child: report which HEAVY modules were loaded.
_LOADED = (
    "import json, sys; heavy = {heavy!r}; "
    "print(json.dumps(sorted(m for m in sys.modules "
    "if any(m == h or m.startswith(h + '.') for h in heavy))))"
)


def _loaded_after(code: str, heavy: list[str]) -> list[str]:
    script = f"{code}\n{_LOADED.format(heavy=heavy)}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_module() -> None:
    assert _loaded_after("import scanner.cli.app", HEAVY) == []


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["scan", "--help"], ["sites", "list", "--help"], ["check", "--help"]],
    ids=lambda argv: " ".join(argv),
)
def test_help_loads_no_heavy_module(argv: list[str]) -> None:
    # The ``census`` script (``scanner.cli:cli``, pyproject [project.scripts]) runs ``main``;
    # run the same function, with --help's exit caught so the child can report what it loaded.
    run_help = (
        "import sys\n"
        f"sys.argv = ['census', *{argv!r}]\n"
        "from scanner.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
    )
    assert _loaded_after(run_help, HEAVY) == []


def test_content_probe_loads_pypinyin_only_for_name_variants() -> None:
    assert _loaded_after("import probes.content", ["pypinyin"]) == []
    loaded = _loaded_after(
        "from probes.content import name_variants; assert name_variants('张三')", ["pypinyin"]
    )
    assert "pypinyin" in loaded


def test_spelled_out_enum_values_match_the_enums() -> None:
    """The CLI keys a few tables by enum values so as not to load httpx or the models."""
    from scanner.cli.columns import SOURCE_LABEL
    from scanner.cli.output import FAILURE_LABELS
    from scanner.cli.review import _STATUS_WORDS
    from scanner.db.models import ColumnSource, FindingStatus
    from scanner.http import FailureKind

    assert set(FAILURE_LABELS) == {k.value for k in FailureKind}
    assert set(SOURCE_LABEL) == {s.value for s in ColumnSource}
    assert set(_STATUS_WORDS.values()) == {s.value for s in FindingStatus}


# What `census scan` runs without: the other commands, the registry's file forms, their libraries,
# the process pool of `--processes N`, and pydantic-settings (replaced, docs/crawl.md "A leaner
# scan"). Each of these cost the scan start-up time and peak memory when it was loaded.
SCAN_NEVER = [
    "pydantic",  # typer converts values through it; `scanner.cli._PlainValues` spares that
    "pydantic_core",
    "pydantic_settings",
    "yaml",
    "openpyxl",
    "multiprocessing",
    "scanner.registry.importer",
    "scanner.registry.schema",
    "fastapi",
    "starlette",
    "jinja2",
    "celery",
    "playwright",
    "alembic",
    "dateparser",
    "pypinyin",
    "apscheduler",
    "aiohttp",
    "scoring.engine",
    "scanner.cli.app",  # every other command, and their click commands built
    "scanner.cli.report",
    "scanner.cli.monitor",
    # The models of what a scan does not write: it takes its tables from their families' modules
    # (`scanner.db.models.crawl`, `.registry`, `.leases`), not from the package, which loads all.
    "scanner.db.models.accounts",
    "scanner.db.models.availability",
    "scanner.db.models.content",
    "scanner.db.models.reports",
    "scanner.db.models.review",
    "scanner.db.models.runs",
    # Start-up (docs/crawl.md "Start-up"): the facts' records (the scan needs only the
    # enumerations, `scoring.kinds`) and the letters reader (only `inspect_page` reads letters).
    "scoring.facts",
    "probes.messages",
]


@pytest.mark.parametrize(
    "argv", [["scan", "--recheck"], ["scan", "9101000099"]], ids=lambda argv: " ".join(argv)
)
def test_scan_loads_none_of_what_it_does_not_run(tmp_path: Path, argv: list[str]) -> None:
    from scanner.db import Database

    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = Database(url)
    db.upgrade()
    db.dispose()
    run_scan = (
        "import sys\n"
        f"sys.argv = ['census', *{argv!r}, '--database-url', {url!r}]\n"
        "from scanner.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "else:\n"
        "    code = 0\n"
        "assert 'scanner.crawl.run' in sys.modules  # the scan's own path was taken\n"
        "assert ('--recheck' in sys.argv) != ('scanner.registry.lookup' in sys.modules)\n"
        "assert ('--recheck' in sys.argv) == (code in (0, None)), code  # an unknown site: 2\n"
    )
    assert _loaded_after(run_scan, SCAN_NEVER) == []


def test_scan_values_convert_as_typer_converts_them() -> None:
    """`_PlainValues` takes plain values itself and hands the rest to typer: the result, or the
    error, is the same as typer's own conversion for every option of ``census scan``."""
    import typer
    from typer._coercion import build_runtime_param

    from scanner.cli import _PlainValues, _scan_command

    command = _scan_command()
    scan = command.commands["scan"]
    values: list[object] = [None, "x", "", "5", " 5", "0", "1", "256", "257", "1_0", "٣", "-1"]
    values += [("a", "b"), ["a"], [], True, False, 3]
    checked = 0
    for param in scan.params:
        assert isinstance(param._runtime_param, _PlainValues)
        ctx = typer.Context(scan)
        for value in values:
            outcomes = []
            for runtime in (param._runtime_param, build_runtime_param(param.type_descriptor)):
                try:
                    outcomes.append(("value", runtime.coerce(value, param=param, ctx=ctx)))
                except typer.BadParameter as exc:
                    outcomes.append(("error", exc.message))
            assert outcomes[0] == outcomes[1], (param.name, value, outcomes)
            checked += 1
    assert checked == len(scan.params) * len(values) and len(scan.params) == 8


def test_any_name_of_the_models_package_registers_every_table(tmp_path: Path) -> None:
    """After a scan's partial load (the crawl's family alone), a name taken from the package
    still brings every table onto ``Base.metadata`` — the ones the migrations create — and
    each name is the model its family defines (``Column`` the registry's, not SQLAlchemy's)."""
    code = (
        "import json, sys\n"
        "import scanner.db.models.crawl\n"
        "partial = 'scanner.db.models.accounts' in sys.modules\n"
        "from scanner.db.models import Base, Column\n"
        "import scanner.db.models.registry as registry\n"
        "print(json.dumps([partial, sorted(Base.metadata.tables), Column is registry.Column]))\n"
    )
    from sqlalchemy import inspect

    from scanner.db import Database

    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    partial, tables, same = json.loads(done.stdout.strip().splitlines()[-1])
    assert partial is False
    assert same is True
    db = Database(f"sqlite:///{tmp_path / 'census.db'}")
    db.upgrade()  # what the migrations create: the ground truth, not the models
    with db.engine.connect() as conn:
        created = set(inspect(conn).get_table_names()) - {"alembic_version"}
    db.dispose()
    assert len(created) > 30
    assert created <= set(tables)


def test_settings_read_toml_only_when_a_file_is_there(tmp_path: Path) -> None:
    """`tomllib` is imported only to read a settings file: not at all without one, and the
    file's value is still taken when there is one (and a broken file still refused)."""
    code = (
        "import json, sys\n"
        "from scanner.settings import load_settings\n"
        "try:\n"
        "    value = load_settings().crawl_max_pages\n"
        "except Exception as exc:\n"
        "    value = type(exc).__name__\n"
        "print(json.dumps([value, 'tomllib' in sys.modules]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    env["PYTHONPATH"] = str(ROOT)

    def run() -> list[object]:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out: list[object] = json.loads(done.stdout.strip().splitlines()[-1])
        return out

    default, loaded = run()
    assert loaded is False
    (tmp_path / "census.toml").write_text("[census]\ncrawl_max_pages = 1234\n", encoding="utf-8")
    assert run() == [1234, True]
    assert default != 1234
    (tmp_path / "census.toml").write_text("[census\n", encoding="utf-8")
    assert run() == ["ConfigError", True]


def test_the_facts_vocabulary_is_one_set_of_classes() -> None:
    """`scoring.kinds` holds the enumerations; `scoring.facts` and `scoring` give the same
    classes, and `scoring`'s records (loaded on first use) are `scoring.facts`' own."""
    import scoring
    import scoring.facts
    import scoring.kinds

    for name in scoring.kinds.__all__:
        assert getattr(scoring.facts, name) is getattr(scoring.kinds, name)
        assert getattr(scoring, name) is getattr(scoring.kinds, name)
    for name in ("SiteFacts", "LinkScan", "BrokenLink", "Column", "Probe"):
        assert getattr(scoring, name) is getattr(scoring.facts, name)
    assert set(scoring.kinds.__all__) <= set(scoring.__all__)
