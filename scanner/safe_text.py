"""The one layer that makes untrusted text safe to show: in the terminal, in rich markup and in
xlsx cells.

Site names, page titles, link texts and registry fields are written by people the census does
not trust. Shown as they are, an ESC byte rewrites the official's terminal (colours, OSC-8
hyperlinks, a cleared screen), ``[/]`` breaks rich's markup, a leading ``=`` is a live formula
in the scorecard workbook and a control byte makes openpyxl refuse the whole export. Every
writer routes text through here:

- `terminal` — control characters (C0 but tab/newline, DEL, C1) and bidirectional overrides
  removed; what the shared consoles apply to every segment they write;
- `markup` — `terminal`, then rich-escaped: for untrusted text put inside our own markup;
- `xlsx_value` / `save_workbook` — characters xlsx cannot hold removed on the way in, and no
  cell saved as a formula (the census writes none of its own).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from scanner.errors import ConfigError, Problem

if TYPE_CHECKING:
    from openpyxl import Workbook

__all__ = ["markup", "save_workbook", "terminal", "xlsx_value"]

# C0 controls but \t and \n, DEL, C1 controls, and the bidi embeddings/overrides/isolates that
# let a name display as something it is not.
_TERMINAL_UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What the xlsx (XML 1.0) format cannot hold: openpyxl refuses a cell containing any of these.
_XLSX_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def terminal(text: str) -> str:
    """``text`` without anything a terminal would interpret (escapes, bells, bidi overrides)."""
    return _TERMINAL_UNSAFE_RE.sub("", text)


def markup(value: object) -> str:
    """Untrusted text for a rich markup string: controls removed, ``[`` escaped."""
    return escape(terminal(str(value)))


def xlsx_value(value: Any) -> Any:
    """A cell value xlsx can hold: strings lose the characters XML 1.0 forbids."""
    if isinstance(value, str):
        return _XLSX_ILLEGAL_RE.sub("", value)
    return value


def neutralise_workbook(workbook: Workbook) -> None:
    """Every text cell stays text: no formula, no illegal character, whatever was put in."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    clean = xlsx_value(cell.value)
                    if clean != cell.value:
                        cell.value = clean
                    if cell.data_type == "f":  # openpyxl reads a leading '=' as a formula
                        cell.data_type = "s"


def save_workbook(workbook: Workbook, path: Path, *, option: str = "--xlsx") -> None:
    """Neutralise, then write to a temporary name and rename: a failure leaves no half-written
    workbook, and names the file in one line (a folder, a missing or read-only directory)."""
    neutralise_workbook(workbook)
    path = Path(path)
    if path.is_dir():
        raise ConfigError(Problem(str(path), "", option, "是一个文件夹，不是文件 (is a folder)"))
    tmp = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(tmp)
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the folder itself may be what is wrong
            tmp.unlink(missing_ok=True)
        reason = exc.strerror or type(exc).__name__
        message = f"无法写入 (cannot write): {reason}"
        raise ConfigError(Problem(str(path), "", option, message)) from None
