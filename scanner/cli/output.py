"""Shared console objects so every command prints the same way (and tests can capture it)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from scanner.labels import FAILURE_LABELS
from scanner.safe_text import markup, terminal

__all__ = [
    "FAILURE_LABELS",
    "SafeConsole",
    "console",
    "console_err",
    "failure_label",
    "markup",
    "print_json",
]


class SafeConsole(Console):
    """A console that cannot be driven by the text it shows (see `scanner.safe_text`).

    Commands escape untrusted text they put into markup (`markup`); this is the net under
    them: every segment written loses its control characters (rich's own cursor controls,
    marked as such, pass), and a string whose markup does not parse is shown as plain text
    instead of ending the command with a MarkupError.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)  # ":warning:" in a page title stays text
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        try:
            return super().render_str(text, **kwargs)
        except MarkupError:
            return super().render_str(escape(text), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        clean = (
            seg if seg.control else Segment(terminal(seg.text), seg.style, seg.control)
            for seg in buffer
        )
        return super()._render_buffer(clean)


# Piped output (CI logs, files) gets a wide console so Chinese tables are not squeezed.
console = SafeConsole(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
console_err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for machines: UTF-8 Chinese as-is, stable key order as given, no colour."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def failure_label(kind: str | None) -> str:
    return FAILURE_LABELS.get(kind, kind) if kind else ""
