"""Properties: scoring is a pure function, and more failures never mean fewer points."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import BrokenLink, Probe, SiteFacts, score
from scoring.context import Context
from scoring.rules import availability
from tests.scoring.scoring_builders import T, census, healthy, with_

WEEK_START = datetime(2015, 6, 23, 16, 0, tzinfo=UTC)  # 06-24 00:00 Beijing

probe_st = st.builds(
    Probe,
    started_at=st.integers(0, 7 * 24 * 60 - 1).map(lambda m: WEEK_START + timedelta(minutes=m)),
    ok=st.booleans(),
    failure=st.sampled_from(["dns", "timeout", "http_status", None]),
    valid=st.booleans(),
    total_ms=st.one_of(st.none(), st.floats(0, 30000)),
)
link_st = st.builds(
    BrokenLink,
    target=st.sampled_from([f"http://x/{i}" for i in range(8)]),
    on_homepage=st.booleans(),
    on_second_level=st.booleans(),
    pages=st.lists(st.sampled_from(["http://p/1", "http://p/2"]), max_size=2).map(tuple),
    confirmed=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(probe_st, max_size=200), st.lists(link_st, max_size=10))
def test_same_facts_same_scorecard(probes: list[Probe], links: list[BrokenLink]) -> None:
    facts = with_(healthy(), probes=tuple(probes), broken_links=tuple(links))
    first = score(facts, census(), T).to_dict()
    again = score(copy.deepcopy(facts), census(), T).to_dict()
    assert first == again
    assert score(facts, census(), T).to_dict() == first


def _availability(facts: SiteFacts) -> tuple[bool, object]:
    card = score(facts, census(), T)
    return card.rule("veto.unreachable").holds, card.rule("availability.homepage").points


@settings(max_examples=80, deadline=None)
@given(st.lists(probe_st, max_size=150), st.integers(0, 7 * 24 * 60 - 1))
def test_a_failing_probe_never_lowers_availability(probes: list[Probe], minute: int) -> None:
    facts = with_(healthy(), probes=tuple(probes))
    extra = Probe(WEEK_START + timedelta(minutes=minute), ok=False, failure="connect")
    worse = with_(facts, probes=(*facts.probes, extra))
    rs = census()
    params = rs.rule("availability.homepage").params
    assert isinstance(params, availability.HomepageParams)
    before = availability.homepage(Context(facts, T, rs.monitoring), params).points
    after = availability.homepage(Context(worse, T, rs.monitoring), params).points
    assert after is not None and before is not None and after >= before
    # On the scorecard the deduction gives way to the veto once failures reach 5 %.
    veto_before, pts_before = _availability(facts)
    veto_after, pts_after = _availability(worse)
    assert veto_after >= veto_before
    assert veto_after or pts_after >= pts_before  # type: ignore[operator]


@settings(max_examples=60, deadline=None)
@given(st.lists(link_st, max_size=12), link_st)
def test_a_broken_link_never_lowers_link_points(links: list[BrokenLink], extra: BrokenLink) -> None:
    facts = with_(healthy(), broken_links=tuple(links))
    worse = with_(facts, broken_links=(*links, extra))
    before = score(facts, census(), T).rule("availability.links").points
    after = score(worse, census(), T).rule("availability.links").points
    assert after >= before  # type: ignore[operator]
