"""The farm over real loopback sockets: pages, dates, encodings, faults, clock, TLS, scale."""

from __future__ import annotations

import random
import re
import ssl
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from farm import Farm, FarmSpec, FarmThread, Fault, SiteSpec, generated_farm, load_scenario
from farm.builtin import DONGHU, FGW, JYJ, QINGSHAN, ZWFW, ZWGK, demo, scenario
from farm.generate import CANARY, GOV_CN
from farm.render import format_date
from farm.scenario import CST, ColumnSpec, ItemSpec, week_start
from farm.site import item_path


class Clock:
    """A settable clock, so down periods can be visited in milliseconds."""

    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(datetime(2024, 3, 1, 12, 0, tzinfo=CST))


@pytest.fixture(scope="module")
def farm(clock: Clock) -> Iterator[FarmThread]:
    with FarmThread(demo(), now=clock.now) as f:
        yield f


def get(farm: FarmThread | Farm, url: str, timeout: float = 30.0, **kw: object) -> httpx.Response:
    """GET a farm URL by connecting to the mapped loopback port, keeping Host and SNI."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip, port = farm.address(host)
    target = f"{parts.scheme}://{ip}:{port}{parts.path or '/'}"
    if parts.query:
        target += f"?{parts.query}"
    verify = ssl.create_default_context(cafile=farm.ca_pem)
    with httpx.Client(verify=verify, timeout=timeout) as c:
        return c.get(target, headers={"Host": host}, extensions={"sni_hostname": host}, **kw)  # type: ignore[arg-type]


def test_pages_exist_where_truth_says(farm: FarmThread) -> None:
    t = farm.truth
    for host in (QINGSHAN, FGW, ZWFW, JYJ, ZWGK):
        assert get(farm, farm.url(host)).status_code == 200
        for col in t.columns(host):
            if col.category == "online_system":
                continue
            assert get(farm, col.url).status_code == 200, col.url
            for item in col.items[:3]:
                assert get(farm, item.url).status_code == 200, item.url


def test_item_dates_rendered_as_truth_says(farm: FarmThread) -> None:
    site = farm.catalog.get(QINGSHAN)
    assert site is not None
    for col in site.spec.columns:
        if not col.items:
            continue
        html = get(farm, site.url(col.url_path)).text
        truth = farm.truth.column(QINGSHAN, col.name)
        assert len(truth.items) == len(col.items)
        for i, (item, shown) in enumerate(zip(col.items, truth.items, strict=True)):
            assert shown.title == item.title
            if i >= col.page_size:
                continue  # on a later list page
            assert shown.title in html
            day = site.item_day(item)
            path = item_path(col, i, day)
            if day is None:
                assert shown.date is None
            else:
                assert shown.date == day
                assert format_date(day, item.fmt or col.fmt, path) in html
    # the formats of the demo really occur
    gzdt = get(farm, site.url("/gzdt/")).text
    assert f"[{farm.today:%m-%d}]" in gzdt
    assert "发布时间：" in get(farm, site.url("/tzgg/")).text
    assert f"{farm.today.year}年" in get(farm, site.url("/xzdt/")).text


def test_newest_and_homepage_truth(farm: FarmThread) -> None:
    t = farm.truth
    assert t.column(QINGSHAN, "工作动态").newest == farm.today
    assert t.column(QINGSHAN, "财政预决算").exempt
    assert t.column(FGW, "价格监测").blank
    assert t.homepage_items(ZWFW) == []  # navigation-only
    assert len(t.homepage_items(QINGSHAN)) > 10


def test_meta_and_decoys(farm: FarmThread) -> None:
    item = farm.truth.column(QINGSHAN, "通知公告").items[2]
    html = get(farm, item.url).text
    assert '<meta name="SiteIDCode" content="9101210001">' in html
    assert '<meta name="ColumnName" content="通知公告">' in html
    assert f'<meta name="PubDate" content="{farm.today - timedelta(days=1):%Y-%m-%d}' in html
    assert farm.truth.article_published(item.url) == farm.today - timedelta(days=40)
    now = datetime(2024, 3, 1, tzinfo=CST)
    assert "2024年3月1日 星期五" in html and "© 2003-2024" in html and "江ICP备" in html
    del now


def test_gbk_site(farm: FarmThread) -> None:
    r = get(farm, farm.url(JYJ, "/jydt/"))
    assert r.headers["content-type"] == "text/html; charset=GBK"
    assert "教育动态" in r.content.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    search = get(farm, farm.url(JYJ, "/search/?q=%D5%FE%B8%AE%D0%C5%CF%A2"))
    assert "政府信息" in search.content.decode("gb18030")
    utf = get(farm, farm.url(QINGSHAN, "/search/?q=%E6%94%BF%E5%BA%9C"))
    assert "搜索“政府”" in utf.text


def test_broken_targets_fail_as_truth_says(farm: FarmThread) -> None:
    links = farm.truth.links(FGW)
    assert len(links.broken) >= 18
    assert set(links.undetermined) == {
        farm.url(FGW, "/wsbs/limited.html"),
        farm.url(FGW, "/wsbs/forbidden.html"),
    }
    for url, pages in links.broken.items():
        assert pages
        kind = links.kinds[url]
        if kind in ("closed", "stall", "redirect_loop"):
            continue
        r = get(farm, url)
        if links.verdicts[url] == "soft404":
            assert r.status_code == 200
        elif kind == "empty":
            assert r.status_code == 200 and r.content == b""
        else:
            assert r.status_code >= 400, url


def test_soft404_and_html_error(farm: FarmThread) -> None:
    r = get(farm, farm.url(FGW, "/zt/soft404.html"))
    assert r.status_code == 200 and "页面不存在" in r.text
    atts = {a.name: a for a in farm.truth.attachments(FGW)}
    bad = atts["承诺书"]
    assert bad.url is not None
    r = get(farm, bad.url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert get(farm, atts["备案申请表"].url or "").status_code == 404
    assert atts["项目信息表"].url is None
    ok = farm.truth.attachments(QINGSHAN)[0]
    r = get(farm, ok.url or "")
    assert r.status_code == 200 and r.content.startswith(b"\xd0\xcf\x11\xe0")


def test_status_faults(farm: FarmThread) -> None:
    r = get(farm, farm.url(FGW, "/wsbs/limited.html"))
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    r = get(farm, farm.url(FGW, "/ztzl/"))
    assert r.status_code == 503 and r.headers["retry-after"] == "120"
    with pytest.raises(httpx.TooManyRedirects):
        get(farm, farm.url(FGW, "/hdjl/"), follow_redirects=True)


def test_slow_stall_huge(farm: FarmThread) -> None:
    t0 = time.perf_counter()
    slow = get(farm, farm.url(FGW, "/xxgk/slow.html"))
    assert time.perf_counter() - t0 >= 0.29  # never faster than the injected 0.3 s delay
    assert slow.status_code == 200 and "</html>" in slow.text  # then a whole, normal page
    with pytest.raises(httpx.ReadTimeout):
        get(farm, farm.url(FGW, "/xxgk/stall.html"), timeout=0.5)
    r = get(farm, farm.url(FGW, "/download/huge.html"))
    assert len(r.content) == 12_000_000


def test_reset_and_closed_port(farm: FarmThread) -> None:
    spec = FarmSpec(
        sites=(
            SiteSpec(
                "r.example.gov.cn", "0000000001", "复位", "100000", faults=(Fault("/", "reset"),)
            ),
        )
    )
    with FarmThread(spec) as f, pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        get(f, f.url("r.example.gov.cn"))
    with pytest.raises(httpx.ConnectError):
        get(farm, "http://bak.linjiang.example.gov.cn/")
    assert "bak.linjiang.example.gov.cn=127.0.0.1:" in farm.host_map


def test_down_periods_follow_injected_clock(farm: FarmThread, clock: Clock) -> None:
    start = week_start(farm.today)
    probes = [start + timedelta(minutes=30 * k) for k in range(7 * 48)]
    failures = farm.truth.failures(DONGHU, probes)
    assert len(failures) / len(probes) == pytest.approx(0.0625)
    assert farm.truth.down_fraction(DONGHU, start, start + timedelta(days=7)) == 0.0625
    try:
        for t in probes[:80]:
            clock.t = t
            ok = True
            try:
                ok = get(farm, farm.url(DONGHU)).status_code == 200
            except httpx.TransportError:
                ok = False
            assert ok == (t not in failures), t
            if CANARY:
                assert get(farm, farm.url(CANARY)).status_code == 200
    finally:
        clock.t = datetime(2024, 3, 1, 12, 0, tzinfo=CST)


def test_tls(farm: FarmThread) -> None:
    r = get(farm, farm.url(ZWGK, "/gkdt/"))
    assert r.status_code == 200 and r.url.scheme == "https"
    with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|match"):
        get(farm, "https://old.donghu.example.gov.cn/")
    assert farm.truth.outcome("https://old.donghu.example.gov.cn/") == ("broken", "tls")


def test_base_href_links_resolve(farm: FarmThread) -> None:
    item = farm.truth.column(ZWGK, "政务公开动态").items[0]
    html = get(farm, item.url).text
    assert f'<base href="https://{ZWGK}/gkdt/">' in html and 'href="../tzgg/"' in html
    links = farm.truth.links(ZWGK)
    assert farm.url(ZWGK, "/tzgg/") in links.pages and not links.broken


def test_messages_and_guides_truth(farm: FarmThread) -> None:
    msgs = {m.title: m for m in farm.truth.messages(JYJ)}
    assert msgs["校车安全问题反映"].answered is None
    assert msgs["学区划分何时公布"].answered and not msgs["学区划分何时公布"].reply_date_shown
    page = get(farm, msgs["学区划分何时公布"].url).content.decode("gb18030")
    assert "已回复" in page and "回复时间" not in page
    guides = farm.truth.guides(FGW)
    assert guides[0].missing == ("办理时间", "联系电话", "办理流程")
    q = farm.truth.guides(QINGSHAN)[1]
    html = get(farm, q.url).text
    assert "受理条件" in html and "法定依据" in html and q.missing == ()


def test_registry_export(farm: FarmThread) -> None:
    reg = farm.truth.registry()
    codes = {s["code"] for s in reg["sites"]}
    assert {"9101210001", "9101000002"} <= codes
    site = next(s for s in reg["sites"] if s["code"] == "9101210001")
    assert site["url"] == f"http://{QINGSHAN}/"
    assert {"name": "县长信箱", "url": f"http://{QINGSHAN}/xzxx/", "category": "consult"} in (
        site["columns"]
    )
    assert {o["code"] for o in reg["organisations"]} >= {"100000", "910100", "910121"}
    assert "organisations:" in farm.truth.registry_yaml()


def test_yaml_scenario() -> None:
    spec = scenario("minimal")
    with FarmThread(spec, now=lambda: datetime(2024, 6, 1, 9, tzinfo=UTC)) as f:
        host = "www.minimal.example.gov.cn"
        col = f.truth.column(host, "工作动态")
        assert [i.date for i in col.items][2:] == [None, datetime(2024, 3, 12).date()]
        assert get(f, col.url).status_code == 200
        assert f.url(host, "/old/gone.html") in f.truth.links(host).broken
        assert f.truth.guides(host)[0].labels == ("事项名称", "受理条件", "申请材料", "咨询电话")
    with pytest.raises(ValueError, match="unknown fields"):
        load_scenario({"sites": [{"host": "x", "bogus": 1}]})


async def test_async_farm_and_calendar_trap() -> None:
    spec = FarmSpec(
        sites=(
            SiteSpec(
                "c.example.gov.cn",
                "0000000002",
                "日历",
                "100000",
                traps=("calendar", "session"),
                columns=(ColumnSpec("动态", "news", "dt", (ItemSpec("一条", 0),)),),
            ),
        )
    )
    async with Farm(spec) as f, httpx.AsyncClient(base_url=f"http://127.0.0.1:{f.port}") as c:
        h = {"Host": "c.example.gov.cn"}
        seen = set()
        url = "/calendar/?month=2024-01"
        for _ in range(5):
            html = (await c.get(url, headers=h)).text
            seen.add(url)
            url = re.findall(r'href="(/calendar/\?month=[\d-]+)">下个月', html)[0]
        assert len(seen) == 5 and url == "/calendar/?month=2024-06"
        r = await c.get("/dt/?sid=ABC", headers=h)
        assert r.status_code == 200 and "?sid=" in r.text


def test_generated_farm_scale() -> None:
    tracemalloc.start()
    spec = generated_farm(10_000, 1000, seed=7, big_sites=1)
    with FarmThread(spec) as f:
        rng = random.Random(1)
        with httpx.Client(base_url=f"http://127.0.0.1:{f.port}", timeout=5) as c:
            for _ in range(60):
                host = f"s{rng.randrange(10_000):05d}.{spec.generated.suffix}"  # type: ignore[union-attr]
                site = f.catalog.get(host)
                assert site is not None
                col = site.spec.columns[rng.randrange(8)]
                j = rng.randrange(len(col.items))
                assert len(col.items) >= 100
                path = site.item_url_path(col, j)
                r = c.get(path, headers={"Host": host})
                enc = "gb18030" if site.spec.encoding == "gbk" else "utf-8"
                assert r.status_code == 200 and col.items[j].title in r.content.decode(enc)
            huge = f"huge.{spec.generated.suffix}"  # type: ignore[union-attr]
            r = c.get("/xwdt0/index_499.html", headers={"Host": huge})
            assert r.status_code == 200
            assert c.get("/", headers={"Host": "s99999.gen.example.gov.cn"}).status_code == 421
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 60_000_000
        assert "*.gen.example.gov.cn=127.0.0.1:" in f.host_map
        assert f.truth.outcome(f"http://{GOV_CN}/") == ("ok", "homepage")


def test_big_site_links() -> None:
    with FarmThread(generated_farm(10, 100, big_sites=1, huge_site=False)) as f:
        links = f.truth.links("big0.gen.example.gov.cn")
        assert 7000 <= len(links.pages) <= 8500
        broken = links.broken
        assert 50 <= len(broken) <= 400
        sample = random.Random(3).sample(sorted(broken), 10)
        for url in sample:
            r = get(f, url)
            assert r.status_code == 404 or "页面不存在" in r.text


async def test_generated_homepages_answer_after_their_injected_delay() -> None:
    from farm.generate import homepage_delay_ms

    spec = generated_farm(40, 20, big_sites=0, huge_site=False, homepage_delay_max_ms=120)
    gen = spec.generated
    assert gen is not None
    delays = [homepage_delay_ms(gen, i) for i in range(40)]
    assert len(set(delays)) > 10 and max(delays) <= 120  # spread over the range
    async with Farm(spec) as f, httpx.AsyncClient(base_url=f"http://127.0.0.1:{f.port}") as c:
        for i in (delays.index(max(delays)), delays.index(min(delays))):
            started = time.perf_counter()
            response = await c.get("/", headers={"Host": f"s{i:05d}.{gen.suffix}"})
            elapsed_ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            assert elapsed_ms >= delays[i]  # never faster than the injected delay
        other = await c.get(
            "/xwdt/", headers={"Host": f"s{delays.index(max(delays)):05d}.{gen.suffix}"}
        )
        assert other.status_code == 200  # only the homepage is delayed


def test_template_shapes_load_from_yaml_and_keep_the_truth_whole() -> None:
    """Shapes change how a list is printed, never what it lists or which pages can be reached."""
    from datetime import date as day

    from farm.catalog import Catalog
    from farm.site import list_path
    from farm.truth import Truth

    spec = load_scenario(
        {
            "sites": [
                {
                    "host": "www.shapes.example.gov.cn",
                    "code": "9101219997",
                    "name": "形状县人民政府",
                    "organisation": "910121",
                    "template": "trs",
                    "declare_charset": False,
                    "encoding": "gbk",
                    "homepage_tabs": True,
                    "columns": [
                        {
                            "name": "工作动态", "category": "news", "path": "gzdt",
                            "items": [{"title": f"形状县工作动态第{k + 1}条", "date": k}
                                      for k in range(12)],
                            "page_size": 5, "split": 5, "lead": True, "box": True,
                            "pager": "js", "stub": "meta", "fmt": "md",
                        },
                        {
                            "name": "通知公告", "category": "notice", "path": "tzgg",
                            "items": [{"title": f"关于第{k + 1}项工作的通知", "date": 3 * k}
                                      for k in range(4)],
                            "script": "computed",
                        },
                    ],
                }
            ]
        }
    )  # fmt: skip
    today = day(2024, 3, 1)
    catalog = Catalog(spec, today)
    truth = Truth(catalog)
    host = "www.shapes.example.gov.cn"
    site = catalog.get(host)
    assert site is not None
    col = site.spec.columns[0]
    column = truth.column(host, "工作动态")
    # Every entry once, in order, the 头条 card adding none; newest as the items say.
    assert [s.title for s in column.items] == [f"形状县工作动态第{k + 1}条" for k in range(12)]
    assert column.newest == today
    # Behind the stub and the script pager every list page is still linked from another page.
    links = truth.links(host)
    assert site.url(col.url_path) in links.pages  # the stub, from the navigation
    assert site.url(col.url_path) in links.pages[site.url(list_path(col, 0))]  # stub → list
    for page in (1, 2):
        assert site.url(list_path(col, page)) in links.pages, page
    first = truth._render(host, list_path(col, 0))
    assert first is not None
    assert first.html.count('<ul class="list">') == 1  # 5 entries: one <ul> of 5
    assert 'createPageHTML(3, 0, "index", "html")' in first.html
    assert "charset" not in first.html
    # The computed list: in the truth, and in the page only encoded.
    notices = truth.column(host, "通知公告")
    assert len(notices.items) == 4
    shown = truth._render(host, "/tzgg/")
    assert shown is not None and notices.items[0].title not in shown.html
