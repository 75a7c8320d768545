"""veto.serious_error candidates: miswritten leaders' names and forbidden words, precision first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from farm.interaction import BAISHAN, CONTENT_HITS
from probes.content import (
    ContentChecker,
    Leader,
    Wordlists,
    homophones,
    load_wordlists,
    name_variants,
)
from scanner.db.models import Finding, Site
from tests.interaction.conftest import Checked


def test_candidates_on_the_farm_are_exactly_the_truth(checked: Checked) -> None:
    titles = {i.url: i.title for c in checked.farm.truth.columns(BAISHAN) for i in c.items}
    want = {(titles_url, kind, words) for titles_url, t in titles.items()
            for kind, words in CONTENT_HITS.get(t, ())}  # fmt: skip
    with checked.db.session() as session:
        rows = session.execute(select(Finding, Site.code).join(Site)).all()
        got = {(f.page_url, f.detail["check"], f.detail["matched"]) for f, _ in rows}
        codes = {code for _, code in rows}
        assert all(f.kind == "serious_error" and f.status == "candidate" for f, _ in rows)
        assert all("【" in f.excerpt and f.source == "scanner" for f, _ in rows)
    assert got == want
    assert codes == {"9101220001"}  # nothing on the demo's clean sites


def test_rerun_does_not_queue_the_same_hit_twice(checked: Checked) -> None:
    from tests.interaction.conftest import run_check

    with checked.db.session() as session:
        before = len(session.scalars(select(Finding)).all())
    output = run_check(checked.db, checked.farm, "9101220001", "--only", "content")
    assert "新增待复核 0 处" in output
    with checked.db.session() as session:
        assert len(session.scalars(select(Finding)).all()) == before


def test_variants_and_context() -> None:
    assert "近" in homophones("进") and "进" not in homophones("进")
    assert "习进平" in name_variants("习近平")
    assert "习近平" not in name_variants("习近平")
    checker = ContentChecker(load_wordlists())
    hits = lambda text: [(h.kind, h.matched) for h in checker.check(text)]  # noqa: E731
    assert hits("习近平总书记、李强总理") == []
    assert hits("总书记习进平指出") == [("misspelt_name", "习进平")]
    assert hits("习进平同志") == [("misspelt_name", "习进平")]  # 3-character name + 同志
    assert hits("李墙同志代表村委会发言") == []  # a 2-character name needs its own title
    assert hits("村里的李墙说") == []  # no title, no list: too likely someone else
    assert hits("习近平、李墙、赵乐际") == [("misspelt_name", "李墙")]
    assert hits("依法打击网络赌博") == []
    assert hits("真人百家乐开户") == [("forbidden_word", "真人百家乐开户")]


def test_wordlists_are_configurable(tmp_path: Path) -> None:
    (tmp_path / "leaders.yaml").write_text(
        "leaders:\n  - {name: 张三丰, titles: [掌门]}\n", encoding="utf-8"
    )
    lists = load_wordlists(tmp_path)
    assert lists.leaders == (Leader("张三丰", ("掌门",)),) and lists.forbidden == {}
    checker = ContentChecker(lists)
    assert [h.matched for h in checker.check("掌门张三风到场")] == ["张三风"]
    assert ContentChecker(Wordlists()).check("任何文字") == []
