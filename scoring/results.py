"""What scoring returns: per-rule results with evidence, and the scorecard.

``Scorecard.to_dict()`` is the JSON contract of ``census scorecard --json``: plain dicts, lists,
strings, numbers and booleans; dates as ISO strings; points as numbers with at most one decimal
(computed as ``Decimal``, so 40 vs 40.1 is exact before it is turned into a JSON number).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Verdict = Literal["qualified", "unqualified"]
RuleKind = Literal["veto", "deduction"]

VERDICT_LABELS: Mapping[str, str] = {"qualified": "合格", "unqualified": "不合格"}


def jsonable(value: Any) -> Any:
    """Dates to ISO text, Decimals to numbers, containers recursively; the rest as is."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    return value


@dataclass(frozen=True, slots=True)
class Evidence:
    """One checkable fact behind a rule: what, where, when, and whether it counted.

    ``kind`` is a stable machine word (probe_failure, broken_link, stale_column, blank_column,
    overdue_message, missing_guide_element, …); ``detail`` holds its fields; ``note`` is for people.
    """

    kind: str
    detail: Mapping[str, Any]
    counted: bool = True
    points: Decimal | None = None
    item: str = ""  # which numbered item of the table's 扣分细则, e.g. "1"
    uncertain: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "counted": self.counted}
        if self.item:
            out["item"] = self.item
        if self.points is not None:
            out["points"] = jsonable(self.points)
        if self.uncertain:
            out["uncertain"] = True
        if self.note:
            out["note"] = self.note
        out.update(jsonable(self.detail))
        return out


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule function returns. Vetoes set ``holds``; deductions set ``points``."""

    holds: bool
    figure: str
    points: Decimal | None = None
    evidence: tuple[Evidence, ...] = ()
    provisional: tuple[str, ...] = ()  # coverage reasons this rule could not fully judge
    notes: tuple[str, ...] = ()  # caveats people should read (e.g. undated replies)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule's result placed in the scorecard, with the table's wording and provenance."""

    id: str
    kind: RuleKind
    group: str  # 一级指标
    name: str  # 二级指标
    scored: bool
    result: RuleResult
    provenance: str  # weakest level of the rule's parts: seed | corroborated | unverified
    provenance_parts: tuple[Mapping[str, str], ...] = ()

    @property
    def holds(self) -> bool:
        return self.result.holds

    @property
    def points(self) -> Decimal | None:
        return self.result.points

    @property
    def figure(self) -> str:
        return self.result.figure

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return self.result.evidence

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "id": self.id,
            "kind": self.kind,
            "group": self.group,
            "name": self.name,
            "scored": self.scored,
            "status": _status(self),
            "holds": r.holds,
            "points": None if r.points is None else jsonable(r.points),
            "figure": r.figure,
            "evidence": [e.to_dict() for e in r.evidence],
            "notes": list(r.notes),
            "provenance": {
                "level": self.provenance,
                "parts": [dict(p) for p in self.provenance_parts],
            },
        }


def _status(outcome: RuleOutcome) -> str:
    """A one-word Chinese status as an official reads it on the card."""
    if outcome.kind == "veto":
        return "单项否决" if outcome.result.holds else "未触发"
    if not outcome.scored:
        return "不计分"
    return "扣分" if outcome.result.holds else "不扣分"


@dataclass(frozen=True, slots=True)
class Scorecard:
    site_code: str
    site_name: str
    site_url: str
    at: date
    ruleset_id: str
    ruleset_version: str
    verdict: Verdict
    vetoed: bool
    total_deduction: Decimal  # scored deductions only (0 when a veto holds)
    deduction_not_scored: Decimal  # what the deductions would add up to, shown when vetoed
    provisional: bool
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    rules: tuple[RuleOutcome, ...]
    limit_label: str = ""
    _by_id: Mapping[str, RuleOutcome] = field(default_factory=dict, repr=False, compare=False)

    def rule(self, rule_id: str) -> RuleOutcome:
        return self._by_id[rule_id]

    @property
    def qualified(self) -> bool:
        return self.verdict == "qualified"

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": {"code": self.site_code, "name": self.site_name, "url": self.site_url},
            "at": self.at.isoformat(),
            "ruleset": {"id": self.ruleset_id, "version": self.ruleset_version},
            "verdict": self.verdict,
            "verdict_label": VERDICT_LABELS[self.verdict],
            "vetoed": self.vetoed,
            "total_deduction": jsonable(self.total_deduction),
            "deduction_not_scored": jsonable(self.deduction_not_scored),
            "deduction_limit": self.limit_label,
            "provisional": self.provisional,
            "reasons": list(self.reasons),
            "notes": list(self.notes),
            "rules": {o.id: o.to_dict() for o in self.rules},
        }
