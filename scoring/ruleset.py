"""Rulesets as data: load a YAML ruleset once, validate all of it, hand the engine typed params.

Every problem is collected (not just the first) and located by file, line and YAML path, so an
operator who copied and edited ``census-2015.yaml`` can fix it in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from scoring.context import Monitoring
from scoring.errors import RulesetError, RulesetProblem
from scoring.params import Count, Model, Num, Text, Threshold
from scoring.registry import REGISTRY, RuleFunc
from scoring.results import RuleKind
from scoring.yamltree import Loaded, load, path_text

_M = TypeVar("_M", bound=BaseModel)

Level = Literal["seed", "corroborated", "unverified"]
_STRENGTH = {"seed": 0, "corroborated": 1, "unverified": 2}


class ProvenancePart(Model):
    part: Text = ""
    level: Level
    corroborated: bool = False  # a seed part also found in independent copies
    source: Text = ""
    note: Text = ""


class MonitoringModel(Model):
    probe_days: Count
    min_valid_probes_per_day: Count
    timeout_seconds: Num = Field(gt=0)
    utc_offset_hours: Num = Field(ge=-12, le=14)


class VerdictModel(Model):
    unqualified_when_total: Threshold


class RuleEntry(Model):
    id: Text
    kind: Literal["veto", "deduction"]
    group: Text  # 一级指标
    name: Text  # 二级指标
    checkpoint: Text  # 考察点
    criteria: Text  # 扣分细则
    provenance: list[ProvenancePart] = Field(min_length=1)
    superseded_by: Text | None = None  # a veto that already covers this deduction
    params: dict[str, Any]


class Header(Model):
    id: Text
    version: Text
    title: Text
    source: Text = ""
    monitoring: MonitoringModel
    verdict: VerdictModel
    rules: list[dict[str, Any]] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """One rule as the engine runs it: table wording, provenance, typed params, function."""

    id: str
    kind: RuleKind
    group: str
    name: str
    checkpoint: str
    criteria: str
    provenance: str
    provenance_parts: tuple[Mapping[str, str], ...]
    superseded_by: str | None
    params: BaseModel
    func: RuleFunc


@dataclass(frozen=True, slots=True)
class Ruleset:
    id: str
    version: str
    title: str
    source: str
    path: str
    monitoring: Monitoring
    unqualified_when_total: Threshold
    rules: tuple[RuleConfig, ...]
    vetoes: tuple[RuleConfig, ...] = field(init=False)
    deductions: tuple[RuleConfig, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vetoes", tuple(r for r in self.rules if r.kind == "veto"))
        object.__setattr__(
            self, "deductions", tuple(r for r in self.rules if r.kind == "deduction")
        )

    def rule(self, rule_id: str) -> RuleConfig:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


MAX_RULESET_BYTES = 1024 * 1024  # the 2015 table is ~30 KB; anything near this is no ruleset


def load_ruleset(path: str | Path) -> Ruleset:
    """Read and validate a ruleset file; raises ``RulesetError`` listing every problem.

    Only a regular file of bounded size is read: ``/dev/zero`` or a runaway file must end in a
    clear error, not in a process that reads forever.
    """
    p = Path(path)
    try:
        if not p.is_file():
            why = "is a folder" if p.is_dir() else "not a regular file" if p.exists() else None
            if why is not None:
                raise RulesetError([RulesetProblem(str(p), 0, "", f"cannot read: {why}")])
        elif p.stat().st_size > MAX_RULESET_BYTES:
            raise RulesetError(
                [RulesetProblem(str(p), 0, "", f"larger than {MAX_RULESET_BYTES} bytes")]
            )
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError([RulesetProblem(str(p), 0, "", f"cannot read: {exc}")]) from exc
    return parse_ruleset(text, str(p))


def parse_ruleset(text: str, source: str = "<string>") -> Ruleset:
    loaded = load(text, source)
    problems = list(loaded.problems)
    if problems and loaded.data is None:
        raise RulesetError(problems)
    if not isinstance(loaded.data, dict):
        raise RulesetError([*problems, RulesetProblem(source, 1, "", "expected a mapping")])
    header = _validate(Header, loaded.data, (), loaded, source, problems)
    raw_rules = loaded.data.get("rules")
    rules = _rules(raw_rules if isinstance(raw_rules, list) else [], loaded, source, problems)
    if problems or header is None:
        raise RulesetError(problems)
    m = header.monitoring
    monitoring = Monitoring(
        probe_days=m.probe_days,
        min_valid_probes_per_day=m.min_valid_probes_per_day,
        timeout_ms=float(m.timeout_seconds * 1000),
        tz=timezone(timedelta(hours=float(m.utc_offset_hours))),
    )
    return Ruleset(
        id=header.id,
        version=header.version,
        title=header.title,
        source=header.source,
        path=source,
        monitoring=monitoring,
        unqualified_when_total=header.verdict.unqualified_when_total,
        rules=tuple(rules),
    )


def _rules(
    raw: list[Any], loaded: Loaded, source: str, problems: list[RulesetProblem]
) -> list[RuleConfig]:
    out: list[RuleConfig] = []
    first_line: dict[str, int] = {}
    for i, data in enumerate(raw):
        where = ("rules", i)
        if not isinstance(data, dict):
            problems.append(_problem(loaded, source, where, "expected a mapping (one rule)"))
            continue
        raw_id = data.get("id")
        rule_id = raw_id if isinstance(raw_id, str) else ""
        entry = _validate(RuleEntry, data, where, loaded, source, problems, rule_id)
        spec = REGISTRY.get(rule_id)
        if rule_id and spec is None:
            known = ", ".join(REGISTRY)
            problems.append(
                _problem(
                    loaded, source, (*where, "id"), f"unknown rule id (known: {known})", rule_id
                )
            )
        if rule_id in first_line:
            problems.append(
                _problem(
                    loaded,
                    source,
                    (*where, "id"),
                    f"duplicate rule id (first on line {first_line[rule_id]})",
                    rule_id,
                )
            )
            continue
        if rule_id:
            first_line[rule_id] = loaded.line_of((*where, "id"))
        if spec is None or entry is None:
            continue
        if entry.kind != spec.kind:
            problems.append(
                _problem(loaded, source, (*where, "kind"), f"must be '{spec.kind}'", rule_id)
            )
        sup = entry.superseded_by
        if sup is not None and (sup not in REGISTRY or REGISTRY[sup].kind != "veto"):
            problems.append(
                _problem(
                    loaded,
                    source,
                    (*where, "superseded_by"),
                    f"'{sup}' is not a veto rule id",
                    rule_id,
                )
            )
        params = _validate(
            spec.params, entry.params, (*where, "params"), loaded, source, problems, rule_id
        )
        if params is None:
            continue
        parts = tuple(
            {k: v for k, v in part.model_dump().items() if v} for part in entry.provenance
        )
        out.append(
            RuleConfig(
                id=rule_id,
                kind=spec.kind,
                group=entry.group,
                name=entry.name,
                checkpoint=entry.checkpoint,
                criteria=entry.criteria,
                provenance=max((p.level for p in entry.provenance), key=_STRENGTH.__getitem__),
                provenance_parts=parts,
                superseded_by=sup,
                params=params,
                func=spec.func,
            )
        )
    rules_line = ("rules",)
    for rule_id in REGISTRY:
        if rule_id not in first_line:
            problems.append(_problem(loaded, source, rules_line, "missing rule", rule_id))
    return out


def _validate(
    model: type[_M],
    data: Any,
    where: tuple[str | int, ...],
    loaded: Loaded,
    source: str,
    problems: list[RulesetProblem],
    rule_id: str = "",
) -> _M | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if not _is_union_tag(x))
            path = (*where, *loc)
            problems.append(_problem(loaded, source, path, _message(err, loc), rule_id))
        return None


def _is_union_tag(part: Any) -> bool:
    """Pydantic puts validator names (e.g. 'function-before[...]') into locations."""
    return isinstance(part, str) and ("[" in part or part in {"decimal", "int"})


def _message(err: Any, loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    key = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        return f"unknown key '{key}'"
    if kind == "missing":
        return f"missing key '{key}'"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    given = err.get("input")
    if kind not in ("value_error",) and not isinstance(given, dict | list):
        msg += f" (got {given!r})"
    return msg


def _problem(
    loaded: Loaded, source: str, path: tuple[str | int, ...], message: str, rule_id: str = ""
) -> RulesetProblem:
    return RulesetProblem(source, loaded.line_of(path), path_text(path), message, rule_id)
