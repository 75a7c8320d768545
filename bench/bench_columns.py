"""Benchmark: column reads against the farm's ground truth, and list-reader speed on its pages.

Run: /work/venv/bin/python bench/bench_columns.py [--sites 300] [--pages-per-site 400]
     [--list-pages 3] [--as-of 2026-11-23] [--no-url-dates] [--dateparser-pages 50]

Not a test. The test set is the farm's: the ``demo`` scenario's registered sites plus
``generated_farm(--sites, --pages-per-site)`` (five CMS templates, six date formats including
year-less ``[MM-DD]``, GBK sites, paginated columns, message tables and guide lists). Pages are
rendered in-process by the farm's own renderer behind an ``httpx.MockTransport`` (no sockets,
no injected faults: this measures the reader, not availability), and read by exactly what
``census columns read`` runs: `probes.columns.read_page` through `scanner.http.fetch`.

- **Items**: every list page of every column (up to ``--list-pages`` per column) and every
  homepage. An item matches when its URL *and* date equal the truth's (an entry shown undated
  has date None; one dated from its own page, for a list without dates, must equal the
  article's visible date). Precision, recall and F1 over all of them.
- **Newest date**: per column, the first list page's newest date (what a snapshot stores)
  against the truth's newest over all pages; exact match only. Blank/exempt columns count (their
  newest is None).
- **Speed**: `bench_listpage.measure` (the list-page benchmark's timing, reused) on the farm's
  column list pages: ``read_list`` pages/s per core vs. ``dateparser.search_dates`` on the same
  pages' text, as a ratio.

``--no-url-dates`` resolves year-less dates without the entries' URLs (order and pins only), to
show what the walk achieves alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_listpage import measure

import probes.listpage as listpage
from farm import generated_farm
from farm.builtin import scenario
from farm.catalog import Catalog
from farm.render import PageBuilder
from farm.scenario import CST, ColumnSpec, FarmSpec
from farm.site import ASSETS, Site, list_path
from farm.truth import Truth
from probes.columns import PageRead, Render, read_page
from scanner.http import build_client
from scanner.settings import Settings

TARGET_NEWEST = 0.98
TARGET_F1 = 0.97
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_HTML = {"Content-Type": "text/html"}


class FarmTransport(httpx.MockTransport):
    """Serves any number of farms' sites from memory, encoded as the farm's server does."""

    def __init__(self, catalogs: list[Catalog], now: datetime) -> None:
        self.catalogs = catalogs
        self.now = now
        self.pages: dict[str, str] = {}  # URL → HTML of every column list page served
        super().__init__(self.serve)

    def site(self, host: str) -> Site | None:
        for catalog in self.catalogs:
            site = catalog.get(host)
            if site is not None:
                return site
        return None

    def serve(self, request: httpx.Request) -> httpx.Response:
        site = self.site(request.url.host)
        if site is None:
            return httpx.Response(404, text="no such site")
        path = request.url.path
        target = site.locate(path, faults=False)
        if target.kind == "data" and target.column is not None:  # a script's JSON endpoint
            text = PageBuilder(site, self.now).data_json(target.column)
            return httpx.Response(200, content=text.encode(), headers=_JSON)
        if target.kind == "asset":
            ctype, body = ASSETS[path]
            return httpx.Response(200, content=body, headers={"Content-Type": ctype})
        if target.kind not in ("homepage", "list", "article", "guide", "message", "system", "stub"):
            return httpx.Response(404, text="not found")
        html = PageBuilder(site, self.now).render(target, path).html
        if target.kind == "list":
            self.pages[str(request.url)] = html
        if not site.spec.declare_charset:  # no charset anywhere, as the farm's server sends it
            enc = "utf-8" if site.spec.encoding == "utf-8" else "gbk"
            return httpx.Response(200, content=html.encode(enc, "xmlcharrefreplace"), headers=_HTML)
        if site.spec.encoding == "utf-8":
            return httpx.Response(
                200, content=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
            )
        label = "GB2312" if site.spec.encoding == "gb2312" else "GBK"
        return httpx.Response(
            200,
            content=html.encode("gbk", "xmlcharrefreplace"),
            headers={"Content-Type": f"text/html; charset={label}"},
        )


@dataclass
class Tally:
    """Item matches and newest-date hits for one slice of the test set."""

    columns: int = 0
    newest_ok: int = 0
    tp: int = 0
    read: int = 0
    truth: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.columns += other.columns
        self.newest_ok += other.newest_ok
        self.tp += other.tp
        self.read += other.read
        self.truth += other.truth

    @property
    def precision(self) -> float:
        return self.tp / self.read if self.read else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def newest(self) -> float:
        return self.newest_ok / self.columns if self.columns else 1.0

    def row(self, name: str) -> str:
        newest = f"{self.newest_ok}/{self.columns} {self.newest:7.2%}" if self.columns else "—"
        return (
            f"{name:<22} {newest:>19}  {self.truth:>7} {self.read:>7} "
            f"{self.precision:7.2%} {self.recall:7.2%} {self.f1:7.4f}"
        )


def fmt_of(col: ColumnSpec) -> str:
    """The column's date format as the breakdown names it."""
    if col.messages:
        return "messages"
    if col.guides:
        return f"guides:{col.fmt}"
    if not col.items:
        return "empty"
    shown = {item.fmt or col.fmt for item in col.items[:40]}
    shown.discard("none")  # the farm leaves an entry undated here and there
    return shown.pop() if len(shown) == 1 else "mixed"


def shapes_of(site: Site, col: ColumnSpec) -> list[str]:
    """The real-template shapes a column shows (farm ColumnSpec/SiteSpec fields)."""
    out = [f"script:{col.script}"] if col.script else []
    out += ["split"] if col.split else []
    out += ["lead"] if col.lead else []
    out += ["box"] if col.box else []
    out += ["pager:js"] if col.pager == "js" else []
    out += [f"stub:{col.stub}"] if col.stub else []
    out += ["undeclared charset"] if not site.spec.declare_charset else []
    return out


@contextlib.asynccontextmanager
async def browser(client: httpx.AsyncClient, wanted: bool) -> AsyncIterator[Render | None]:
    """Headless Chromium answering every request through the same in-memory farm (so the
    browser-only lists are read as `census columns read` reads them), or None."""
    from scanner.render import CHROMIUM, Renderer

    if not wanted or not Path(CHROMIUM).exists():
        yield None
        return
    async with Renderer(client) as renderer:

        async def render(url: str) -> tuple[str, str]:
            page = await renderer.render(url)
            return page.html, page.final_url

        yield render


def _key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def score_items(
    got: Sequence[tuple[str, date | None]], want: Sequence[tuple[str, date | None]]
) -> tuple[int, int, int]:
    """(matches, read, truth) as multisets of (URL, date)."""
    g = Counter((_key(u), d) for u, d in got)
    w = Counter((_key(u), d) for u, d in want)
    return sum((g & w).values()), sum(g.values()), sum(w.values())


async def read_column(
    client: httpx.AsyncClient,
    site: Site,
    truth: Truth,
    col: ColumnSpec,
    *,
    as_of: date,
    list_pages: int,
    render: Render | None = None,
) -> tuple[Tally, PageRead]:
    ct = truth.column(site.spec.host, col.path.strip("/"))
    n_pages = min(site.n_list_pages(col), list_pages)
    # the first page at the column's registered address (a redirect stub, where there is one)
    urls = [site.url(col.url_path if p == 0 else list_path(col, p)) for p in range(n_pages)]
    reads = await asyncio.gather(
        *(read_page(client, url, as_of=as_of, render=render) for url in urls)
    )
    tally = Tally(columns=1)
    first = reads[0]
    tally.newest_ok = int(first.newest == ct.newest)
    want_all: list[tuple[str, date | None]] = []
    for p in range(n_pages):
        rendered = truth._rendered(site.spec.host, list_path(col, p))
        want_all += [(s.url, s.date) for s in (rendered.items if rendered else [])]
    got_all = [(it.url, it.date) for read in reads for it in read.items]
    if any(read.dated_from_pages for read in reads):
        # An undated list's first entries were dated from their own pages: the truth for those
        # is the article's visible date.
        opened = {u for u, d in got_all if d is not None}
        want_all = [
            (u, truth.article_published(u) if d is None and u in opened else d) for u, d in want_all
        ]
    tp, n_read, n_truth = score_items(got_all, want_all)
    tally.tp, tally.read, tally.truth = tp, n_read, n_truth
    if not tally.newest_ok:
        tally.misses.append(f"newest {site.url(col.url_path)}: {first.newest} != {ct.newest}")
    if tp < max(n_read, n_truth):
        tally.misses.append(f"items {site.url(col.url_path)}: {tp} of {n_read} read, {n_truth}")
    return tally, first


async def read_homepage_items(
    client: httpx.AsyncClient, site: Site, truth: Truth, *, as_of: date
) -> tuple[Tally, bool | None]:
    """The homepage's dated entries against the truth, and whether it read as navigation-only."""
    read = await read_page(client, site.url("/"), as_of=as_of)
    want = [(s.url, s.date) for s in truth.homepage_items(site.spec.host) if s.date is not None]
    got = [(it.url, it.date) for it in read.items if it.date is not None]
    tp, n_read, n_truth = score_items(got, want)
    tally = Tally(tp=tp, read=n_read, truth=n_truth)
    if tp < max(n_read, n_truth):
        tally.misses.append(f"homepage {site.url('/')}: {tp} of {n_read} read, {n_truth}")
    return tally, read.navigation_only


def sites_of(spec: FarmSpec, catalog: Catalog, sites: int | None) -> Iterator[Site]:
    if spec.generated is not None:
        for i in range(sites or 0):
            site = catalog.get(f"s{i:05d}.{spec.generated.suffix}")
            assert site is not None
            yield site
        return
    for s in catalog.static_specs():
        if s.registered:
            site = catalog.get(s.host)
            assert site is not None
            yield site


async def run(args: argparse.Namespace) -> None:
    as_of: date = args.as_of
    now = datetime.combine(as_of, dtime(12), tzinfo=CST)
    farms = [
        ("demo", dataclasses.replace(scenario("demo"), today=as_of)),
        (
            f"generated({args.sites},{args.pages_per_site})",
            generated_farm(
                args.sites, args.pages_per_site, today=as_of, big_sites=0, huge_site=False
            ),
        ),
    ]
    catalogs = [Catalog(spec, as_of) for _, spec in farms]
    transport = FarmTransport(catalogs, now)
    by_template: dict[str, Tally] = defaultdict(Tally)
    by_format: dict[str, Tally] = defaultdict(Tally)
    by_scenario: dict[str, Tally] = defaultdict(Tally)
    homepages: dict[str, Tally] = defaultdict(Tally)
    by_via: dict[str, Tally] = defaultdict(Tally)
    shapes: dict[str, Tally] = defaultdict(Tally)
    misses: list[str] = []
    nav_ok = nav_total = nav_sites = 0
    started = time.perf_counter()
    async with (
        build_client(Settings(), transport=transport) as client,
        browser(client, args.render) as render,
    ):
        for (name, spec), catalog in zip(farms, catalogs, strict=True):
            truth = Truth(catalog)
            for site in sites_of(spec, catalog, args.sites):
                cols = [c for c in site.spec.columns if c.category != "online_system"]
                results = await asyncio.gather(
                    *(
                        read_column(
                            client, site, truth, c, as_of=as_of, list_pages=args.list_pages,
                            render=render,
                        )
                        for c in cols
                    )
                )  # fmt: skip
                for col, (tally, first) in zip(cols, results, strict=True):
                    by_template[site.spec.template].add(tally)
                    by_format[fmt_of(col)].add(tally)
                    by_scenario[name].add(tally)
                    by_via[first.read_via].add(tally)
                    for shape in shapes_of(site, col):
                        shapes[shape].add(tally)
                    misses += tally.misses
                home, detected = await read_homepage_items(client, site, truth, as_of=as_of)
                kind = "navigation-only" if site.spec.navigation_only else site.spec.template
                homepages[kind].add(home)
                misses += home.misses
                nav_total += 1
                nav_sites += bool(site.spec.navigation_only)
                if detected == site.spec.navigation_only:
                    nav_ok += 1
                else:
                    misses.append(f"navigation-only {site.url('/')}: read {detected}")
    elapsed = time.perf_counter() - started

    total = Tally()
    for t in by_scenario.values():
        total.add(t)
    head = (
        f"{'':<22} {'newest-date exact':>19}  {'truth':>7} {'read':>7} "
        f"{'prec':>7} {'recall':>7} {'F1':>7}"
    )
    print(f"as of {as_of}; URL dates {'off' if args.no_url_dates else 'on'}; "
          f"read in {elapsed:.1f} s wall")  # fmt: skip
    print("\nColumns (list pages), by scenario")
    print(head)
    for name, t in by_scenario.items():
        print(t.row(name))
    print(total.row("ALL"))
    print("\nby template")
    print(head)
    for name in sorted(by_template):
        print(by_template[name].row(name))
    print("\nby date format")
    print(head)
    for name in sorted(by_format):
        print(by_format[name].row(name))
    print("\nby how the first page was read (read_via)")
    print(head)
    for name in sorted(by_via):
        print(by_via[name].row(name))
    print("\nby template shape (columns showing it)")
    print(head)
    for name in sorted(shapes):
        print(shapes[name].row(name))
    print("\nHomepages (dated entries)")
    print(head)
    home_total = Tally()
    for name in sorted(homepages):
        print(homepages[name].row(name))
        home_total.add(homepages[name])
    print(home_total.row("ALL homepages"))
    print(
        f"navigation-only detection right on {nav_ok}/{nav_total} homepages "
        f"({nav_sites} of them navigation-only in the farm)"
    )
    ok_newest = total.newest >= TARGET_NEWEST
    ok_f1 = total.f1 >= TARGET_F1
    print(
        f"\ntargets: newest-date exact {total.newest:.2%} (≥ {TARGET_NEWEST:.0%}: "
        f"{'met' if ok_newest else 'NOT met'}), item F1 {total.f1:.4f} "
        f"(≥ {TARGET_F1}: {'met' if ok_f1 else 'NOT met'})"
    )
    if misses:
        print(f"\n{len(misses)} misses (first {args.show_misses}):")
        for line in misses[: args.show_misses]:
            print("  " + line)

    pages = sorted(transport.pages.items())
    if pages and args.dateparser_pages > 0:
        print(f"\nSpeed on the farm's {len(pages)} column list pages (CPU time, one core)")
        speed = measure(
            [(html, url) for url, html in pages],
            as_of,
            dateparser_pages=args.dateparser_pages,
            repeat=args.repeat,
        )
        print(speed.report())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=300, help="generated sites")
    ap.add_argument("--pages-per-site", type=int, default=400)
    ap.add_argument("--list-pages", type=int, default=3, help="list pages read per column")
    ap.add_argument("--as-of", type=date.fromisoformat, default=datetime.now(CST).date())
    ap.add_argument("--no-url-dates", action="store_true")
    ap.add_argument("--dateparser-pages", type=int, default=50, help="0 skips the speed part")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--show-misses", type=int, default=20)
    ap.add_argument(
        "--no-render",
        dest="render",
        action="store_false",
        help="no browser: browser-only lists read as unrendered (not judged)",
    )
    args = ap.parse_args()
    if args.no_url_dates:
        resolve = listpage.resolve_list_dates  # type: ignore[attr-defined]

        def without_urls(matches, *, as_of, urls=None, pinned=None):  # type: ignore[no-untyped-def]
            return resolve(matches, as_of=as_of, pinned=pinned)

        listpage.resolve_list_dates = without_urls  # type: ignore[attr-defined]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
