"""The scoring engine: facts + ruleset + monitoring point → scorecard, with no I/O.

Order follows the table's note: 单项否决 first; if any holds the site is 不合格 and the
deductions are still computed and shown, marked 不计分. Otherwise the deductions are added up
and a total over the limit (超过40分, strict) is 不合格 too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from scoring.context import Context
from scoring.facts import SiteFacts
from scoring.results import RuleOutcome, RuleResult, Scorecard
from scoring.ruleset import RuleConfig, Ruleset
from scoring.text import pts


def score(facts: SiteFacts, ruleset: Ruleset, at: date) -> Scorecard:
    """Score one site at monitoring point ``at``; the same inputs always give the same card."""
    ctx = Context(facts, at, ruleset.monitoring)
    veto_results = [(rc, rc.func(ctx, rc.params)) for rc in ruleset.vetoes]
    holding = {rc.id: rc.name for rc, r in veto_results if r.holds}
    vetoed = bool(holding)
    results: dict[str, tuple[RuleConfig, RuleResult]] = {rc.id: (rc, r) for rc, r in veto_results}
    for rc in ruleset.deductions:
        result = rc.func(ctx, rc.params)
        if rc.superseded_by in holding:
            result = _superseded(result, holding[rc.superseded_by])
        results[rc.id] = (rc, result)

    outcomes = tuple(_outcome(*results[rc.id], vetoed) for rc in ruleset.rules)
    total = sum(
        (o.result.points or Decimal(0) for o in outcomes if o.kind == "deduction"), Decimal(0)
    )
    over = ruleset.unqualified_when_total.holds(total)
    reasons = tuple(dict.fromkeys(r for o in outcomes for r in o.result.provisional))
    notes = tuple(dict.fromkeys(n for o in outcomes for n in o.result.notes))
    if vetoed:
        notes = (
            "单项否决：" + "、".join(holding.values()) + "，判定为不合格网站，以下扣分指标不计分",
            *notes,
        )
    return Scorecard(
        site_code=facts.code,
        site_name=facts.name,
        site_url=facts.url,
        at=at,
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        verdict="unqualified" if vetoed or over else "qualified",
        vetoed=vetoed,
        total_deduction=Decimal(0) if vetoed else total,
        deduction_not_scored=total if vetoed else Decimal(0),
        provisional=bool(reasons),
        reasons=reasons,
        notes=notes,
        rules=outcomes,
        limit_label=f"累计扣分{ruleset.unqualified_when_total.label()} 分即不合格",
        _by_id={o.id: o for o in outcomes},
    )


def _outcome(rc: RuleConfig, result: RuleResult, vetoed: bool) -> RuleOutcome:
    return RuleOutcome(
        id=rc.id,
        kind=rc.kind,
        group=rc.group,
        name=rc.name,
        scored=rc.kind == "veto" or not vetoed,
        result=result,
        provenance=rc.provenance,
        provenance_parts=rc.provenance_parts,
    )


def _superseded(result: RuleResult, veto_name: str) -> RuleResult:
    """The veto already covers this case (e.g. ≥5 % failures): no double deduction."""
    if not result.points:
        return result
    return replace(
        result,
        holds=False,
        points=Decimal(0),
        figure=(
            f"{result.figure}；已列入单项否决「{veto_name}」，本项不再扣 {pts(result.points)} 分"
        ),
        evidence=tuple(replace(e, counted=False, points=None) for e in result.evidence),
    )
