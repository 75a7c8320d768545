"""The design as drawn is the design as built: the exception tree, the clock seam, the table's
thresholds living in the ruleset, and who imports whom (docs/design.md).

These read the source (``ast``) and import the packages; they never run the code under test, so
the drawing and the code are checked against each other, not against themselves.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import scanner
from scanner.errors import CensusError

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scanner", "probes", "scoring")


def _modules(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# ------------------------------------------------------------------------- the exception tree


def _drawn_tree() -> dict[str, str | None]:
    """class → parent, read from the drawing in scanner/errors.py's docstring (a class's depth
    is the column of its branch glyph; a line without a glyph is the root)."""
    doc = scanner.errors.__doc__ or ""
    drawing = doc.split("::", 1)[1].split("\n\n", 2)[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    root_col = 0
    for line in drawing.splitlines():
        m = re.search(r"([├└])── ([A-Za-z]+)\b", line)
        if m is None:
            name = line.split()[0]
            root_col, depth = len(line) - len(line.lstrip()), 0
        else:
            name, depth = m.group(2), (m.start(1) - root_col) // 4 + 1
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[name] = stack[-1][1] if stack else None
        stack.append((depth, name))
    return parents


def _imported_error_classes() -> dict[str, str | None]:
    for info in pkgutil.walk_packages(scanner.__path__, "scanner."):
        importlib.import_module(info.name)
    found: dict[str, str | None] = {"CensusError": None}
    todo = [CensusError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = cls.__name__
            todo.append(sub)
    return found


def test_the_drawn_exception_tree_is_the_class_tree() -> None:
    assert _drawn_tree() == _imported_error_classes()


def test_every_error_class_is_defined_in_scanner_errors_and_raised_somewhere() -> None:
    drawn = _drawn_tree()
    for name in drawn:
        cls = getattr(scanner.errors, name, None)
        assert cls is not None, f"{name} is not defined in scanner/errors.py"
    constructed: set[str] = set()
    for path in _modules("scanner", "probes"):
        if path.name == "errors.py" and path.parent.name == "scanner":
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call):
                f = node.func
                constructed.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    bases = {p for p in drawn.values() if p}
    never = [n for n in drawn if n not in constructed and n not in bases]
    assert not never, f"drawn but never raised: {never}"


# ------------------------------------------------------------------------------- the clock seam

_CLOCK_ATTRS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("loop", "time"),
}
_CLOCK_IMPORTS = {"time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"}


def _clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else ""
            if isinstance(owner, ast.Call):  # asyncio.get_running_loop().time()
                owner_name = "loop"
            if (owner_name.rsplit("_", 1)[-1], node.func.attr) in _CLOCK_ATTRS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            names = {a.name for a in node.names} & _CLOCK_IMPORTS
            if names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from time import {names}")
    return found


def test_only_scanner_clock_reads_the_real_clock() -> None:
    """Calendar time through a ``Clock``, real durations through ``stopwatch()``; nothing else
    in scanner/, probes/ or scoring/ may read the machine's clock."""
    reads = [
        r
        for path in _modules(*PACKAGES)
        if path != ROOT / "scanner" / "clock.py"
        for r in _clock_reads(path)
    ]
    assert not reads, "\n".join(reads)


def test_the_clock_read_detector_finds_each_kind_of_read(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time, asyncio\nfrom datetime import datetime, date\n"
        "from time import perf_counter\n"
        "a = time.monotonic()\nb = datetime.now()\nc = date.today()\n"
        "d = asyncio.get_running_loop().time()\ne = loop.time()\n",
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_clock_reads(sample)) == 6
    finally:
        ROOT = saved


# ------------------------------------------------------------- the table's thresholds, in one file

# The 2015 table's numbers (20 probes a day, 5 %, 15 s, over 40 points, 3 months, 2 weeks, 1
# year, fewer than 10 items) live in config/rulesets/census-2015.yaml. In code they show up as a
# period keyword, a comparison of a count or ratio, or a named constant; all three are caught.
_PERIOD_KEYWORDS = {("months", 3), ("weeks", 2), ("days", 14), ("years", 1), ("days", 7)}
_NUMBERS = {20, 40, 15, 10, 0.05, 5}
_THRESHOLD_WORDS = re.compile(
    r"probe|fail|ratio|percent|deduct|point|total|timeout|veto|overdue|unanswer|per_day|items",
    re.I,
)
_CONSTANT_NAMES = re.compile(
    r"PROBE|PER_DAY|PERCENT|RATIO|VETO|DEDUCT|POINT|TIMEOUT|MONTH|WEEK|DAYS"
)


def _threshold_literals(path: Path) -> list[str]:
    found = []
    where = path.relative_to(ROOT)
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Call):
            f = node.func
            fn = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fn in ("relativedelta", "timedelta"):
                for k in node.keywords:
                    if (
                        isinstance(k.value, ast.Constant)
                        and (k.arg, k.value.value) in _PERIOD_KEYWORDS
                    ):
                        found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            numbers = [
                s.value
                for s in sides
                if isinstance(s, ast.Constant)
                and type(s.value) in (int, float)
                and s.value in _NUMBERS
            ]
            if numbers and _THRESHOLD_WORDS.search(ast.unparse(node)):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            value = node.value
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = " ".join(ast.unparse(t) for t in targets)
            if (
                isinstance(value, ast.Constant)
                and type(value.value) in (int, float)
                and value.value in _NUMBERS
                and _CONSTANT_NAMES.search(names)
            ):
                found.append(f"{where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_table_threshold_is_written_as_a_literal_outside_the_ruleset() -> None:
    found = [f for path in _modules(*PACKAGES) for f in _threshold_literals(path)]
    assert not found, "read these from the ruleset instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "MIN_PROBES_PER_DAY = 20",
        "x = relativedelta(months=3)",
        "w = timedelta(days=14)",
        "if week.ratio >= 0.05: pass",
        "if total > 40: pass",
        "HOMEPAGE_DAYS = 15",
    ],
)
def test_the_threshold_detector_catches_each_form(tmp_path: Path, line: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(line + "\n", encoding="utf-8")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert len(_threshold_literals(sample)) == 1
    finally:
        ROOT = saved


# ------------------------------------------------------------------------ who imports whom


def _design_rows() -> list[tuple[list[str], str, str]]:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    section = text.split("## Packages and who imports whom", 1)[1].split("\n## ", 1)[0]
    rows = []
    for row in section.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([\w.]+)`", cells[0]), cells[1], cells[2]))
    return rows


def _design_table() -> dict[str, set[str]]:
    """package → the packages of ours it may import, from docs/design.md's table. The
    foundation row may be imported by every package; "everything" allows any import."""
    rows = _design_rows()
    foundation = {p for packages, job, _ in rows if job.startswith("foundation") for p in packages}
    table: dict[str, set[str]] = {}
    for packages, _, may in rows:
        allowed = set(re.findall(r"`([\w.]+)`", may)) | foundation
        if "everything" in may:
            allowed.add("*")
        for p in packages:
            table[p] = allowed
    return table


def _owner(module: str, table: dict[str, set[str]]) -> str | None:
    """The most specific package row of the design table a module belongs to."""
    best = None
    for p in table:
        if (module == p or module.startswith(p + ".")) and (best is None or len(p) > len(best)):
            best = p
    return best


def _our_imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return {m for m in out if m.split(".")[0] in {"scanner", "probes", "scoring", "farm"}}


def test_every_module_has_a_row_in_the_design_table() -> None:
    table = _design_table()
    homeless = [
        _name(p)
        for p in _modules("scanner", "probes", "scoring", "farm")
        if not _owner(_name(p), table)
    ]
    assert homeless == ["scanner"], homeless  # the package's own __init__ holds nothing


def test_every_import_is_allowed_by_the_design_table() -> None:
    table = _design_table()
    wrong = []
    for path in _modules("scanner", "probes", "scoring", "farm"):
        me = _owner(_name(path), table)
        if me is None:
            continue
        for imported in _our_imports(path):
            target = _owner(imported, table)
            if target is None or target == me:
                continue
            allowed = table[me]
            if "*" in allowed or any(
                target == a or target.startswith(a + ".") or a.startswith(target + ".")
                for a in allowed
            ):
                continue
            wrong.append(f"{_name(path)} imports {imported} ({me} may import {sorted(allowed)})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_packages() -> None:
    table = _design_table()
    edges: dict[str, set[str]] = {p: set() for p in table}
    for path in _modules("scanner", "probes", "scoring", "farm"):
        me = _owner(_name(path), table)
        if me is None:
            continue
        for imported in _our_imports(path):
            target = _owner(imported, table)
            if target and target != me:
                edges[me].add(target)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges[n])
        return seen

    cycles = sorted(p for p in edges if p in reach(p))
    assert not cycles, f"packages on an import cycle: {cycles}"


def test_the_farm_keeps_the_same_column_categories() -> None:
    """The farm's own copy of the vocabulary (it imports nothing of ours) names the same ones."""
    from farm.scenario import CATEGORIES
    from scoring.facts import Category

    assert sorted(CATEGORIES) == sorted(c.value for c in Category)
