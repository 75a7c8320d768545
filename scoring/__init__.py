"""Scoring: facts about a site + a ruleset + a monitoring point → a scorecard.

Pure by design (no I/O inside rules, no clock): the scanner loads facts from its database and
calls ``score``; the same inputs always give the same scorecard. Public surface::

    load_ruleset(path) -> Ruleset          parse_ruleset(text, source) -> Ruleset
    default_ruleset_path() -> Path         score(facts, ruleset, at) -> Scorecard
    Scorecard.to_dict() -> dict            RulesetError(ValueError).problems
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scoring.errors import RulesetError, RulesetProblem
from scoring.kinds import Category, FailureKind, FindingKind, FindingStatus, SiteType

if TYPE_CHECKING:
    from scoring.engine import score
    from scoring.facts import (
        Attachment,
        BrokenLink,
        Channel,
        Column,
        DatedItem,
        Finding,
        Guide,
        Homepage,
        LinkScan,
        Message,
        OnlineSystem,
        PageItems,
        Period,
        Probe,
        SiteFacts,
    )
    from scoring.registry import RULE_IDS
    from scoring.results import Evidence, RuleOutcome, RuleResult, Scorecard
    from scoring.ruleset import RuleConfig, Ruleset, load_ruleset, parse_ruleset

# The engine, the rules and the ruleset loader (with YAML) are imported when first asked for:
# `census scan` needs only the facts' vocabulary (the enumerations, ``scoring.kinds``), and
# importing every rule cost it 1.5 MB and ≈ 30 ms at start-up. The records of ``scoring.facts``
# are loaded on first use too (≈ 12 ms of frozen dataclasses the scan never makes; docs/crawl.md).
_FACTS = ["Attachment", "BrokenLink", "Channel", "Column", "DatedItem", "Finding", "Guide",
          "Homepage", "LinkScan", "Message", "OnlineSystem", "PageItems", "Period", "Probe",
          "SiteFacts"]  # fmt: skip
_LAZY = dict.fromkeys(_FACTS, "scoring.facts") | {
    "score": "scoring.engine",
    "RULE_IDS": "scoring.registry",
    "Evidence": "scoring.results",
    "RuleOutcome": "scoring.results",
    "RuleResult": "scoring.results",
    "Scorecard": "scoring.results",
    "RuleConfig": "scoring.ruleset",
    "Ruleset": "scoring.ruleset",
    "load_ruleset": "scoring.ruleset",
    "parse_ruleset": "scoring.ruleset",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scoring' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "RULE_IDS",
    "Attachment",
    "BrokenLink",
    "Category",
    "Channel",
    "Column",
    "DatedItem",
    "Evidence",
    "FailureKind",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "Guide",
    "Homepage",
    "LinkScan",
    "Message",
    "OnlineSystem",
    "PageItems",
    "Period",
    "Probe",
    "RuleConfig",
    "RuleOutcome",
    "RuleResult",
    "Ruleset",
    "RulesetError",
    "RulesetProblem",
    "Scorecard",
    "SiteFacts",
    "SiteType",
    "default_ruleset",
    "default_ruleset_path",
    "load_ruleset",
    "parse_ruleset",
    "score",
]


@functools.cache
def default_ruleset() -> Ruleset:
    """The shipped ruleset, read once: where the operator's views (``census check``, the demo,
    probe statistics) take the table's thresholds, so they always agree with scoring."""
    from scoring.ruleset import load_ruleset

    return load_ruleset(default_ruleset_path())


def default_ruleset_path(name: str = "census-2015") -> Path:
    """The shipped ruleset: ``config/rulesets/<name>.yaml`` in a checkout or installed package."""
    here = Path(__file__).resolve().parent.parent / "config" / "rulesets" / f"{name}.yaml"
    if here.exists():
        return here
    import census_config  # installed layout: config/ is shipped as the census_config package

    return Path(census_config.__file__).resolve().parent / "rulesets" / f"{name}.yaml"
