"""`census inspect` through the real CLI, judged against the farm's truth and a fixture file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from farm import FarmThread
from farm.builtin import CLOSED, FGW, JYJ, QINGSHAN, ZWGK
from scanner.cli.app import app
from tests.columns.conftest import AT

FIXTURES = Path(__file__).parent.parent / "probes" / "fixtures"
KEYS = ["url", "final_url", "status", "encoding", "title", "kind", "meta", "links", "items",
        "newest_date", "published"]  # fmt: skip


def _inspect(*args: str) -> dict:
    result = CliRunner().invoke(app, ["inspect", *args, "--as-of", AT.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _shown(items: object) -> list[tuple[str, str, str | None]]:
    return [(i.title, i.url, i.date.isoformat() if i.date else None) for i in items]  # type: ignore[attr-defined]


def test_column_page_items_and_newest_match_the_truth(farm_env: FarmThread) -> None:
    for host, name in ((QINGSHAN, "工作动态"), (QINGSHAN, "通知公告"), (JYJ, "教育动态"),
                       (ZWGK, "通知公告"), (FGW, "通知公告")):  # fmt: skip
        column = farm_env.truth.column(host, name)
        data = _inspect(column.url)
        assert list(data) == KEYS
        assert data["status"] == 200 and data["kind"] == "list", (host, name)
        assert data["meta"]["ColumnName"] == name
        got = [(i["title"], i["url"], i["date"]) for i in data["items"]]
        want = _shown(column.items)
        assert got == want[: len(got)] and got, (host, name)
        assert data["newest_date"] == column.newest.isoformat()  # type: ignore[union-attr]


def test_homepage_items_are_the_dated_entries(farm_env: FarmThread) -> None:
    data = _inspect(farm_env.url(QINGSHAN, "/"))
    assert data["kind"] == "homepage"
    want = [row for row in _shown(farm_env.truth.homepage_items(QINGSHAN)) if row[2]]
    assert [(i["title"], i["url"], i["date"]) for i in data["items"]] == want
    assert data["newest_date"] == max(row[2] for row in want if row[2])


def test_gbk_site_reports_its_encoding(farm_env: FarmThread) -> None:
    data = _inspect(farm_env.truth.column(JYJ, "通知公告").url)
    assert data["encoding"] == "gb18030"
    assert data["items"][0]["title"].startswith("通知")


def test_readable_summary_in_chinese(farm_env: FarmThread) -> None:
    column = farm_env.truth.column(QINGSHAN, "乡镇动态")
    result = CliRunner().invoke(app, ["inspect", column.url, "--as-of", AT.isoformat()])
    assert result.exit_code == 0, result.output
    assert "列表页" in result.output and "最新日期：" + column.newest.isoformat() in result.output  # type: ignore[union-attr]
    assert column.items[0].title in result.output


def test_fetch_failures_are_one_line_and_exit_2(farm_env: FarmThread) -> None:
    for url, kind in ((f"http://{CLOSED}/", "connect"), ("http://nowhere.example.gov.cn/", "dns"),
                      (farm_env.url(QINGSHAN, "/no-such-page.html"), "http_status")):  # fmt: skip
        result = CliRunner().invoke(app, ["inspect", url, "--json"])
        assert result.exit_code == 2, result.output
        assert f"({kind})" in result.output
        assert "Traceback" not in result.output


def test_local_file_with_base_url() -> None:
    path = FIXTURES / "trs_list.html"
    base = "http://www.example.gov.cn/gzdt/"
    result = CliRunner().invoke(
        app, ["inspect", str(path), "--base-url", base, "--as-of", "2024-03-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["url"] == base and data["status"] is None and data["kind"] == "list"
    assert data["items"][0] == {
        "title": "关于2024年元旦春节期间做好安全生产工作的通知",
        "url": "http://www.example.gov.cn/gzdt/202401/t20240105_1001.html",
        "date": "2024-01-05",
    }
    assert data["newest_date"] == "2024-01-05"


def test_local_file_defaults_to_its_file_url(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>测试</title></head><body><h1>关于某事的通知内容标题</h1>"
        "<p>发布日期：2024年1月5日</p><p>" + "正文" * 100 + "</p></body></html>",
        encoding="utf-8",
    )
    data = _inspect(str(page))
    assert data["url"] == page.resolve().as_uri()
    assert data["title"] == "测试"


def test_missing_file_is_one_line() -> None:
    result = CliRunner().invoke(app, ["inspect", "/no/such/file.html"])
    assert result.exit_code == 2
    assert "无法读取文件" in result.output


def test_article_published_is_the_visible_date_not_the_meta(farm_env: FarmThread) -> None:
    column = farm_env.truth.column(QINGSHAN, "通知公告")
    checked = 0
    for item in column.items:
        if item.date is None:
            continue
        data = _inspect(item.url)
        assert data["kind"] == "article", item.url
        want = farm_env.truth.article_published(item.url)
        assert data["published"] == (want.isoformat() if want else None), item.url
        assert data["items"] == []
        checked += 1
    assert checked >= 3


def test_file_url_target_and_bad_as_of() -> None:
    path = (FIXTURES / "trs_list.html").resolve()
    data = _inspect(path.as_uri())
    assert data["url"] == path.as_uri() and data["kind"] == "list"
    bad = CliRunner().invoke(app, ["inspect", str(path), "--as-of", "2024-13-01"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
