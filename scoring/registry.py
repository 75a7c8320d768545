"""Rule id → (kind, function, parameter model). The ids are fixed by rules-2015.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scoring.context import Context
from scoring.params import Model
from scoring.results import RuleKind, RuleResult
from scoring.rules import availability, interaction, service, update, veto

RuleFunc = Callable[[Context, Any], RuleResult]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    kind: RuleKind
    func: RuleFunc
    params: type[Model]


def _spec(rule_id: str, kind: RuleKind, func: RuleFunc, params: type[Model]) -> RuleSpec:
    return RuleSpec(rule_id, kind, func, params)


REGISTRY: Mapping[str, RuleSpec] = {
    s.id: s
    for s in (
        _spec("veto.unreachable", "veto", veto.unreachable, veto.UnreachableParams),
        _spec("veto.homepage_stale", "veto", veto.homepage_stale, veto.HomepageStaleParams),
        _spec("veto.columns_stale", "veto", veto.columns_stale, veto.ColumnsStaleParams),
        _spec("veto.serious_error", "veto", veto.serious_error, veto.SeriousErrorParams),
        _spec("veto.unanswered", "veto", veto.unanswered, veto.UnansweredParams),
        _spec(
            "availability.homepage", "deduction", availability.homepage, availability.HomepageParams
        ),
        _spec("availability.links", "deduction", availability.links, availability.LinksParams),
        _spec("update.homepage_volume", "deduction", update.homepage_volume, update.VolumeParams),
        _spec("update.basic_info", "deduction", update.basic_info, update.BasicInfoParams),
        _spec("interaction.consult", "deduction", interaction.consult, interaction.ConsultParams),
        _spec("interaction.survey", "deduction", interaction.survey, interaction.SurveyParams),
        _spec(
            "interaction.interview", "deduction", interaction.interview, interaction.InterviewParams
        ),
        _spec("service.guide", "deduction", service.guide, service.GuideParams),
        _spec("service.attachments", "deduction", service.attachments, service.AttachmentsParams),
        _spec(
            "service.online_systems",
            "deduction",
            service.online_systems,
            service.OnlineSystemsParams,
        ),
    )
}

RULE_IDS: tuple[str, ...] = tuple(REGISTRY)
