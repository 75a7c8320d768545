"""Benchmark: the list reader vs. dateparser's search_dates on ~500 generated list pages.

Run: /work/venv/bin/python bench/bench_listpage.py [--pages 500] [--dateparser-pages 50]

`measure` is shared with bench/bench_columns.py, which times the same way on the farm's pages.

Not a test. Pages vary the templates government CMSs produce (ul/li+span, table/td, div cards,
TRS-like, 开普云/大汉-like) and the date forms; each page also has navigation, a header clock, a
sidebar and a footer, like real ones. dateparser only reads the page's text (no HTML work), and is
timed on a subset because it is slow; the ratio is per page.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from probes.listpage import read_list

AS_OF = date(2024, 1, 10)
WORDS = [
    "关于", "开展", "做好", "进一步", "加强", "全市", "全县", "安全生产", "工作", "通知", "公告",
    "实施", "方案", "会议", "召开", "部署", "调研", "专项", "检查", "印发", "管理办法", "意见",
    "2024年", "冬季", "春节", "期间", "民生", "项目", "营商环境", "优化",
]  # fmt: skip


def title(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9)))


def fmt_date(d: date, style: int) -> str:
    return [
        d.isoformat(),
        f"[{d.isoformat()}]",
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}/{d.month}/{d.day}",
        f"[{d.month:02d}-{d.day:02d}]",
        f"{d.year}.{d.month:02d}.{d.day:02d}",
        f"发布时间：{d.isoformat()} 10:{d.day:02d}",
    ][style]


def entries(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    d = AS_OF - timedelta(days=rng.randint(0, 30))
    style = rng.randint(0, 6)
    out = []
    for i in range(n):
        d -= timedelta(days=rng.randint(0, 9))
        url = f"./{d:%Y%m}/t{d:%Y%m%d}_{1000 + i}.html"
        out.append((title(rng), url, fmt_date(d, style)))
    return out


def body(rng: random.Random, template: int, n: int) -> str:
    es = entries(rng, n)
    if template == 0:  # ul/li + span
        lis = "".join(
            f'<li><a href="{u}">{t}</a><span class="date">{d}</span></li>' for t, u, d in es
        )
        return f'<div class="news-list"><ul>{lis}</ul></div>'
    if template == 1:  # table/td
        trs = "".join(
            f'<tr><td class="bt"><a href="{u}" target="_blank">{t}</a></td><td>{d}</td></tr>'
            for t, u, d in es
        )
        return f'<table class="listTable"><tr><th>标题</th><th>日期</th></tr>{trs}</table>'
    if template == 2:  # div cards
        cards = "".join(
            f'<div class="card"><h3><a href="{u}">{t}</a></h3><p class="summary">{t}{t}……</p>'
            f'<div class="meta"><span>来源：办公室</span><span class="time">{d}</span></div></div>'
            for t, u, d in es
        )
        return f'<section class="cards">{cards}</section>'
    if template == 3:  # TRS: lists split into <ul> of five
        uls = "".join(
            "<ul>"
            + "".join(
                f'<li><a href="{u}" title="{t}" target="_blank">{t[:18]}...</a>'
                f"<span>{d}</span></li>"
                for t, u, d in es[i : i + 5]
            )
            + "</ul>"
            for i in range(0, len(es), 5)
        )
        script = '<script>createPageHTML(8, 0, "index", "html");</script>'
        return f'<div class="list">{uls}</div><div class="page">{script}</div>'
    lis = "".join(  # 开普云/大汉
        f'<li><a href="/art/2024/1/5/art_7_{i}.html" target="_blank" title="{t}">{t}</a>'
        f'<span class="bt-data-time">{d}</span></li>'
        for i, (t, _, d) in enumerate(es)
    )
    return f'<div id="5168" class="default_pgContainer"><ul class="list">{lis}</ul></div>'


def make_page(rng: random.Random, template: int) -> str:
    nav = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(rng.randint(6, 12)))
    side = "".join(
        f'<li><a href="/r/{i}.html">{title(rng)}</a><span>2023-10-{i + 10}</span></li>'
        for i in range(rng.randint(3, 8))
    )
    friends = "".join(f'<a href="http://www.s{i}.gov.cn/">某市政府{i}</a>' for i in range(8))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title(rng)}</title>
<meta name="ColumnName" content="通知公告"><meta name="PubDate" content="2024-01-09 02:00">
<link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.min.js"></script></head>
<body><div class="top"><span>今天是2024年1月10日 星期三</span><a href="/login">登录</a></div>
<div class="header"><img src="/img/logo.png" alt="logo"></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="./">通知公告</a></div>
<div class="main"><div class="left"><ul class="subnav">{nav}</ul></div>
<div class="right">{body(rng, template, rng.randint(15, 25))}</div>
<div class="sidebar"><h4>热点信息</h4><ul>{side}</ul></div></div>
<div class="footer"><div class="links">{friends}</div>
<p>版权所有 © 2003-2024 网站标识码：4101000001 豫ICP备05060933号 豫公网安备41010502000722号
联系电话：0371-6598 1234 更新时间：2024-01-09</p></div></body></html>"""


_TAG_RE = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)


def page_text(html: str) -> str:
    return _TAG_RE.sub(" ", html)


def timed(fn: Callable[[], object]) -> float:
    """CPU seconds of this process: on a shared machine wall time measures the neighbours."""
    start = time.process_time()
    fn()
    return time.process_time() - start


@dataclass(frozen=True, slots=True)
class Speed:
    """Reader vs. dateparser on the same pages, per page of CPU time on one core."""

    pages: int
    reader_s: float  # best run
    runs: tuple[float, ...]
    items: int
    dated: int
    dp_pages: int
    dp_s: float

    @property
    def reader_rate(self) -> float:
        return self.pages / self.reader_s

    @property
    def dp_rate(self) -> float:
        return self.dp_pages / self.dp_s

    @property
    def ratio(self) -> float:
        return self.reader_rate / self.dp_rate

    def report(self) -> str:
        runs = ", ".join(f"{self.pages / r:,.0f}" for r in self.runs)
        return (
            f"reader:       {self.pages} pages in {self.reader_s:.3f} CPU s = "
            f"{self.reader_rate:,.0f} pages/s  ({self.items} items, {self.dated} dated; "
            f"runs: {runs})\n"
            f"search_dates: {self.dp_pages} page texts in {self.dp_s:.3f} CPU s = "
            f"{self.dp_rate:,.1f} pages/s\n"
            f"ratio:        the reader (HTML parse + list + dates) is {self.ratio:,.0f}x "
            "faster per page than search_dates on text alone"
        )


def measure(
    pages: Sequence[tuple[str, str]], as_of: date, *, dateparser_pages: int = 50, repeat: int = 3
) -> Speed:
    """Time `read_list` on every (html, url) page and `search_dates` on the first few pages' text.

    CPU time, best of ``repeat`` runs for the reader (other processes only ever slow a run);
    dateparser runs once on ``dateparser_pages`` pages because it is slow.
    """
    read_list(pages[0][0], pages[0][1], as_of=as_of)  # warm-up
    results: list[list] = []
    runs = []
    for _ in range(max(1, repeat)):
        results.clear()
        runs.append(timed(lambda: results.extend(read_list(h, u, as_of=as_of) for h, u in pages)))
    items = sum(len(r) for r in results)
    dated = sum(1 for r in results for it in r if it.date is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dateparser.search import search_dates

        texts = [page_text(h) for h, _ in pages[:dateparser_pages]]
        search_dates("2024年1月5日", languages=["zh", "en"])  # warm-up (loads language data)
        settings = {"PREFER_DATES_FROM": "past"}
        t_dp = timed(
            lambda: [search_dates(t, languages=["zh", "en"], settings=settings) for t in texts]
        )
    return Speed(len(pages), min(runs), tuple(runs), items, dated, len(texts), t_dp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=500)
    ap.add_argument("--dateparser-pages", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2015)
    ap.add_argument("--repeat", type=int, default=3, help="reader runs; the best is reported")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    url = "http://www.example-city.gov.cn/zwgk/tzgg/index.html"
    pages = [(make_page(rng, i % 5), url) for i in range(args.pages)]
    speed = measure(pages, AS_OF, dateparser_pages=args.dateparser_pages, repeat=args.repeat)
    print(speed.report())


if __name__ == "__main__":
    main()
