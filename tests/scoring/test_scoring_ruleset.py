"""Rulesets are data: malformed files are rejected naming where; edited copies change results."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scoring import RULE_IDS, RulesetError, default_ruleset_path, load_ruleset, parse_ruleset, score
from tests.scoring.scoring_builders import T, healthy, with_

SHIPPED = default_ruleset_path().read_text(encoding="utf-8")


def line_of(text: str, needle: str, start: int = 0) -> int:
    """1-based line of the first line containing ``needle`` after line ``start``."""
    for n, line in enumerate(text.splitlines()[start:], start + 1):
        if needle in line:
            return n
    raise AssertionError(needle)


def problems(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "edited.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as info:
        load_ruleset(path)
    assert isinstance(info.value, ValueError)
    return [str(p) for p in info.value.problems]


def test_the_shipped_ruleset_has_every_rule_with_wording_and_provenance() -> None:
    rs = load_ruleset(default_ruleset_path())
    assert [r.id for r in rs.rules] == list(RULE_IDS)
    assert rs.id == "census-2015"
    for r in rs.rules:
        assert r.group and r.name and r.checkpoint and r.criteria
        assert r.provenance in {"seed", "corroborated", "unverified"}
    assert rs.rule("update.basic_info").provenance == "unverified"
    assert rs.rule("veto.unreachable").provenance == "seed"


def test_missing_rule(tmp_path: Path) -> None:
    start = SHIPPED.index("  - id: service.online_systems")
    text = SHIPPED[:start]
    (msg,) = problems(text, tmp_path)
    where = f"{tmp_path / 'edited.yaml'}:{line_of(text, 'rules:')}"
    assert msg == f"{where} [rule service.online_systems] rules: missing rule"


def test_unknown_key_names_rule_path_and_line(tmp_path: Path) -> None:
    text = SHIPPED.replace("      points_each: 3", "      points_each: 3\n      point_cap: 10")
    (msg,) = problems(text, tmp_path)
    n = line_of(text, "point_cap")
    assert msg == (
        f"{tmp_path / 'edited.yaml'}:{n} [rule service.online_systems] "
        "rules[14].params.point_cap: unknown key 'point_cap'"
    )


def test_bad_threshold_type(tmp_path: Path) -> None:
    text = SHIPPED.replace(
        "holds_when_failure_percent: {ge: 5}", "holds_when_failure_percent: {ge: five}"
    )
    (msg,) = problems(text, tmp_path)
    n = line_of(text, "{ge: five}")
    assert msg.startswith(
        f"{tmp_path / 'edited.yaml'}:{n} [rule veto.unreachable] "
        "rules[0].params.holds_when_failure_percent.ge: expected a number"
    )


def test_threshold_with_two_operators(tmp_path: Path) -> None:
    text = SHIPPED.replace(
        "unqualified_when_total: {gt: 40}", "unqualified_when_total: {gt: 40, ge: 40}"
    )
    (msg,) = problems(text, tmp_path)
    assert "verdict.unqualified_when_total: give exactly one of ge, gt, le, lt" in msg


def test_duplicate_rule_id(tmp_path: Path) -> None:
    start = SHIPPED.index("  - id: service.online_systems")
    block = SHIPPED[start:]
    text = SHIPPED + block
    (msg,) = problems(text, tmp_path)
    first = line_of(text, "- id: service.online_systems")
    second = line_of(text, "- id: service.online_systems", first)
    assert msg == (
        f"{tmp_path / 'edited.yaml'}:{second} [rule service.online_systems] rules[15].id: "
        f"duplicate rule id (first on line {first})"
    )


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = SHIPPED.replace("      points_each: 3", "      points_each: 3\n      points_each: 4")
    (msg,) = problems(text, tmp_path)
    assert re.search(
        r":\d+ rules\[14\]\.params\.points_each: duplicate key 'points_each' "
        r"\(first on line \d+\)$",
        msg,
    )


def test_unknown_rule_id_wrong_kind_and_bad_category(tmp_path: Path) -> None:
    text = SHIPPED.replace("- id: service.online_systems", "- id: service.online_system")
    text = text.replace(
        "    kind: veto\n    group: 单项否决\n    name: 站点无法访问",
        "    kind: deduction\n    group: 单项否决\n    name: 站点无法访问",
    )
    text = text.replace(
        "categories: [consult]\n      no_column", "categories: [consultation]\n      no_column"
    )
    found = problems(text, tmp_path)
    assert any("[rule service.online_system] rules[14].id: unknown rule id" in p for p in found)
    assert any("[rule service.online_systems] rules: missing rule" in p for p in found)
    assert any("[rule veto.unreachable] rules[0].kind: must be 'veto'" in p for p in found)
    assert any("[rule interaction.consult] rules[9].params.categories[0]:" in p for p in found)


def test_version_must_be_text_not_a_number(tmp_path: Path) -> None:
    text = SHIPPED.replace('version: "2015.1"', "version: 2015.1")
    (msg,) = problems(text, tmp_path)
    assert f":{line_of(text, 'version:')} version: Input should be a valid string" in msg


def test_yaml_syntax_error_and_unreadable_file(tmp_path: Path) -> None:
    (msg,) = problems("rules: [\n", tmp_path)
    assert "edited.yaml:2" in msg and "YAML syntax" in msg
    with pytest.raises(RulesetError, match="cannot read"):
        load_ruleset(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = SHIPPED.replace("points_each: 3", "points_each: -3").replace(
        "no_column_points: 5", "no_column_points: true"
    )
    found = problems(text, tmp_path)
    assert len(found) == 3  # no_column_points is in two rules


def test_an_operator_edited_copy_changes_results_without_code(tmp_path: Path) -> None:
    facts = with_(healthy(), site_type="department", surveys=healthy().surveys)
    from scoring import Channel, OnlineSystem

    facts = with_(
        facts,
        online_systems=(OnlineSystem("申报", "http://s/", False),),
        surveys=Channel(exists=True, activities=()),
    )
    shipped = score(facts, parse_ruleset(SHIPPED), T)
    assert shipped.rule("service.online_systems").points == 3
    assert shipped.rule("interaction.survey").points == 5
    edited = (
        SHIPPED.replace("points_each: 3", "points_each: 4.5")
        .replace("inactive_points: 5\n      few_points", "inactive_points: 2\n      few_points")
        .replace('version: "2015.1"', 'version: "2015.1-local"')
    )
    rs = parse_ruleset(edited, "local.yaml")
    card = score(facts, rs, T)
    assert card.rule("service.online_systems").points == 4.5
    assert card.rule("interaction.survey").points == 2
    assert card.to_dict()["ruleset"] == {"id": "census-2015", "version": "2015.1-local"}


def test_an_edited_limit_changes_the_verdict() -> None:
    from scoring import OnlineSystem

    facts = with_(
        healthy(),
        online_systems=tuple(OnlineSystem(f"s{i}", f"http://s{i}/", False) for i in range(11)),
    )  # 33 points
    assert score(facts, parse_ruleset(SHIPPED), T).verdict == "qualified"
    strict = parse_ruleset(SHIPPED.replace("{gt: 40}", "{gt: 30}"))
    assert score(facts, strict, T).verdict == "unqualified"
