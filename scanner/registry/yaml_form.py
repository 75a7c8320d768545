"""Read the YAML registry (the design's **contract** form), remembering the line of every field.

``yaml.compose`` gives nodes with start marks; walking them records the line of each key and list
item under its data path, so a validation problem is reported where the operator must edit.
PyYAML silently keeps the last of two equal keys; here that is a problem too.
"""

from __future__ import annotations

from pathlib import Path as FilePath

import yaml

from scanner.errors import Problem
from scanner.registry.form import Path, RawForm
from scoring.yamltree import NoAliasLoader


class _Loader(NoAliasLoader):
    """Safe loading without aliases, but dates stay text: validation parses them and reports bad
    ones by line."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _line(mark: yaml.Mark | None) -> str:
    return f"line {mark.line + 1}" if mark is not None else ""


def _walk(form: RawForm, node: yaml.Node, path: Path) -> None:
    form.places.setdefault(path, (_line(node.start_mark), form.label(path)))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = key_node.value
            child = (*path, key)
            if key in seen:
                form.problems.append(
                    Problem(
                        form.file,
                        _line(key_node.start_mark),
                        form.label(child),
                        f"key '{key}' appears twice in this mapping; the first value would be lost",
                    )
                )
                continue
            seen.add(key)
            form.places[child] = (_line(key_node.start_mark), form.label(child))
            _walk(form, value_node, child)
            # the key's own line is where the field is; keep it over the value's line
            form.places[child] = (_line(key_node.start_mark), form.label(child))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(form, item, (*path, index))


def read_yaml(file: FilePath, name: str | None = None) -> RawForm:
    """The file's data and places; syntax problems are in ``form.problems`` with their line."""
    form = RawForm(file=name or str(file), data=None)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        form.add((), f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return form
    try:
        loader = _Loader(text)  # the reader refuses NUL and other non-printable characters
    except yaml.YAMLError as exc:
        form.add((), f"YAML error: {exc}")
        return form
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(form, node, ())
            form.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(p for p in (exc.context, exc.problem) if p) or "YAML syntax error"
        form.problems.append(Problem(form.file, _line(mark), "", f"YAML syntax error: {message}"))
        form.data = None
    except yaml.YAMLError as exc:
        form.add((), f"YAML error: {exc}")
        form.data = None
    except RecursionError:
        form.add((), "YAML nested too deeply (a register is a few levels deep)")
        form.data = None
    finally:
        loader.dispose()
    return form
