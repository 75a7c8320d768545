"""Load YAML keeping where every value came from.

PyYAML's ``safe_load`` forgets line numbers and silently keeps the last of two duplicate keys;
an operator editing a ruleset needs both reported. We compose the node tree ourselves, record the
line of every path, reject duplicate keys, and read floats as exact ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from scoring.errors import RulesetProblem

Path = tuple[str | int, ...]


class NoAliasLoader(yaml.SafeLoader):
    """Safe loading that refuses aliases (``*name``, and ``<<: *name`` merges).

    Neither a ruleset nor a register has a use for them, and nine aliases of nine aliases (the
    "billion laughs") expand without bound when the node tree is walked.
    """

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in this file", event.start_mark
            )
        node: yaml.Node | None = super().compose_node(parent, index)
        return node


_FLOAT = "tag:yaml.org,2002:float"


def path_text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Loaded:
    """Plain data plus the 1-based line of each path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[RulesetProblem] = field(default_factory=list)

    def line_of(self, path: Path) -> int:
        """The line of ``path`` or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            line = self.lines.get(path[:n])
            if line:
                return line
        return 0


def load(text: str, source: str) -> Loaded:
    """Parse ``text``; syntax errors and duplicate keys become problems, not exceptions."""
    loader = NoAliasLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        return Loaded(None, problems=[RulesetProblem(source, line, "", f"YAML syntax: {problem}")])
    except RecursionError:
        return Loaded(None, problems=[RulesetProblem(source, 0, "", "nested too deeply")])
    finally:
        loader.dispose()
    out = Loaded(None)
    if node is not None:
        try:
            out.data = _convert(node, (), out, source, loader)
        except RecursionError:
            return Loaded(None, problems=[RulesetProblem(source, 0, "", "nested too deeply")])
    return out


def _convert(node: yaml.Node, path: Path, out: Loaded, source: str, loader: Any) -> Any:
    out.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                out.problems.append(
                    RulesetProblem(
                        source,
                        key_node.start_mark.line + 1,
                        path_text((*path, key)),
                        f"duplicate key '{key}' (first on line {out.lines[(*path, key)]})",
                    )
                )
                continue
            result[key] = _convert(value_node, (*path, key), out, source, loader)
            out.lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, (*path, i), out, source, loader) for i, v in enumerate(node.value)]
    if node.tag == _FLOAT:
        try:
            return Decimal(str(node.value).replace("_", ""))
        except InvalidOperation:
            return loader.construct_object(node)  # .inf / .nan: rejected later as not finite
    return loader.construct_object(node, deep=True)
