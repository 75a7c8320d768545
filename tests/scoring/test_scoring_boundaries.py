"""Scoring stays pure and self-contained, and every rule is documented."""

from __future__ import annotations

import ast
from pathlib import Path

from scoring import RULE_IDS

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IMPORTS = {"scanner", "probes", "farm", "httpx", "sqlalchemy", "os", "socket", "random"}
FORBIDDEN_CALLS = {"open", "now", "today", "utcnow", "read_text", "perf_counter", "time"}


def _modules() -> list[Path]:
    return sorted((ROOT / "scoring").rglob("*.py"))


def test_scoring_imports_neither_scanner_nor_probes() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path}: imports {name}"


def test_rules_do_no_io_and_read_no_clock() -> None:
    for path in sorted((ROOT / "scoring" / "rules").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                assert name not in FORBIDDEN_CALLS, f"{path}:{node.lineno}: calls {name}()"


def test_every_rule_id_is_documented() -> None:
    doc = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    missing = [r for r in RULE_IDS if f"`{r}`" not in doc]
    assert not missing
