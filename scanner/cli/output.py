"""Shared console objects so every command prints the same way (and tests can capture it)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from scanner.labels import FAILURE_LABELS

__all__ = ["FAILURE_LABELS", "console", "console_err", "failure_label", "print_json"]

# Piped output (CI logs, files) gets a wide console so Chinese tables are not squeezed.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
console_err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for machines: UTF-8 Chinese as-is, stable key order as given, no colour."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def failure_label(kind: str | None) -> str:
    return FAILURE_LABELS.get(kind, kind) if kind else ""
