"""Benchmark: the reader on the real-page corpus, beside htmldate and dateparser, same pages.

Run: /work/venv/bin/python bench/bench_realpages.py [--repeat 3] [--no-dateparser]

Not a test (tests/realpages/test_corpus.py checks every page by name). Needs the corpus bytes
(python -m tests.realpages.corpus --mirror DIR) and htmldate (the [test] extra). Prints, per page
kind and per CMS family: newest date exact, published date exact (articles and guides, the
content pages that show one), kind exact, list items by URL and date (precision, recall), and the
median milliseconds per page of each reader, all in this one process on the same bytes:

- reader: `probes.page.summarize_page` (what `census inspect` prints: decode, parse, links,
  lists, kind, dates), its memos emptied before each read;
- htmldate: `find_date(original_date=True)` for the published date and `find_date()` (its
  "updated" date) for the newest date; it finds no items and no kind;
- dateparser: `search_dates` over the page's visible text, its first date taken as published and
  its latest (not after the scan day) as newest — the naive date-only baseline.

Times are wall-clock per page, best of --repeat, on a shared 2-core machine; the last column
is the reader's median over htmldate's on the same pages.

``--render N`` also renders the first N pages in headless Chromium (scanner/render), served
from 127.0.0.1 under their own host names through an exclusive host map, and prints the
browser's start (timed apart: once a night, not a page's cost), the first page, the median and
max of the others, and the browser's memory: the sum over every Chromium process under this one
(the browser, zygotes, GPU, utility and renderer processes; psutil's ``memory_full_info``,
i.e. /proc/PID/smaps_rollup) of PSS — each shared page divided among the processes mapping it,
so libraries and shared memory count once over the tree — and of RSS (each shared page once per
process: an overstatement, printed beside it), sampled every 0.2 s while it renders (peak), and
the renderer's own after-page measure. The items `inspect_page` reads from each rendered DOM are
compared with the first pass's (the baseline's if given): a change that saves memory must not
lose items. ``--render-only`` skips the reader table.
``--render-baseline FILE`` renders the same pages with another version of
scanner/render/browser.py too (e.g. ``git show 2691cf0:scanner/render/browser.py >
/tmp/old_browser.py``), alternating baseline and current ``--render-rounds`` times in this one
process, so both are measured under the same load. ``--render-candidate LABEL=FILE[@N]``
(repeatable) adds more versions to the same alternation (e.g. the current file with one slot).

``--render-slots N`` renders N pages at once (N tasks feeding one renderer built with
``concurrency=N``), as a night does; by default each version renders with its own
``Renderer``'s default ``concurrency`` — the product's default, so the figures are the
configuration the product runs. ``--render-baseline-slots`` sets the baseline's apart. Each
pass prints its pages per second (pages over the wall time from the browser's start to the last
page read, the launch excluded; the items are read from the DOMs after the pass).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.util
import inspect
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from probes.listpage import forget_memos
from probes.page import inspect_page
from tests.realpages.corpus import Page, as_of, load, page_bytes, pages_dir
from tests.realpages.reading import Reading, read

# Kinds whose published date is measured: content pages that show when they were published.
PUBLISHED_KINDS = ("article", "guide")


@dataclass
class Tally:
    pages: int = 0
    newest_ok: int = 0
    articles: int = 0
    published_ok: int = 0
    kind_ok: int = 0
    found: int = 0
    truth: int = 0
    matched: int = 0
    ms: list[float] = field(default_factory=list)
    other_newest_ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    other_published_ok: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    other_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def best_ms(func: Callable[[], object], repeat: int) -> float:
    """Best of ``repeat`` cold reads (the reader's memos are emptied before each)."""
    best = float("inf")
    for _ in range(repeat):
        forget_memos()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def reader(data: bytes, page: Page) -> dict[str, object]:
    """What is timed of the reader: `inspect_page` and its JSON (not the labels' joins)."""
    inspected = inspect_page(data, page.url, as_of=as_of(page))
    return inspected.to_json()


def htmldate_pair(data: bytes, url: str) -> tuple[date | None, date | None]:
    from htmldate import find_date

    def one(original: bool) -> date | None:
        found = find_date(data, url=url, original_date=original, outputformat="%Y-%m-%d")
        return date.fromisoformat(found) if found else None

    return one(True), one(False)


def dateparser_pair(text: str, day: date) -> tuple[date | None, date | None]:
    from dateparser.search import search_dates

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = search_dates(text, languages=["zh", "en"]) or []
    days = [when.date() for _, when in found if when.date() <= day]
    return (days[0] if days else None), (max(days) if days else None)


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    —  "


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:5.3f}" if whole else "  —  "


def median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f}" if values else "     —"


def report(name: str, tally: Tally, others: list[str]) -> str:
    cells = [
        f"{name:<18}{tally.pages:>4}",
        pct(tally.newest_ok, tally.pages),
        pct(tally.published_ok, tally.articles),
        pct(tally.kind_ok, tally.pages),
        ratio(tally.matched, tally.found),
        ratio(tally.matched, tally.truth),
        median(tally.ms),
    ]
    for other in others:
        cells += [
            pct(tally.other_newest_ok[other], tally.pages),
            pct(tally.other_published_ok[other], tally.articles),
            median(tally.other_ms[other]),
        ]
    theirs = tally.other_ms["htmldate"]
    if tally.ms and theirs and statistics.median(theirs) > 0:
        cells.append(f"{statistics.median(tally.ms) / statistics.median(theirs):5.2f}x")
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-dateparser", action="store_true")
    parser.add_argument("--failures", action="store_true", help="list every page the reader misses")
    parser.add_argument("--render", type=int, default=0, metavar="N", help="render N pages")
    parser.add_argument("--render-only", action="store_true", help="skip the reader table")
    parser.add_argument(
        "--render-baseline", type=Path, metavar="FILE", help="another browser.py to compare"
    )
    parser.add_argument("--render-rounds", type=int, default=1, metavar="R")
    parser.add_argument(
        "--render-slots", type=int, metavar="N", help="pages at once (default: the renderer's)"
    )
    parser.add_argument(
        "--render-baseline-slots", type=int, metavar="N", help="pages at once for the baseline"
    )
    parser.add_argument(
        "--render-candidate",
        action="append",
        default=[],
        metavar="LABEL=FILE[@N]",
        help="another browser.py (N: its pages at once) in the same alternation",
    )
    args = parser.parse_args()
    directory = pages_dir()
    if directory is None:
        sys.exit("no corpus: python -m tests.realpages.corpus --mirror DIR")
    if args.render_only:
        render_all(args, directory)
        return
    others = ["htmldate"] + ([] if args.no_dateparser else ["dateparser"])
    groups: dict[str, Tally] = defaultdict(Tally)
    failures: list[str] = []
    for page in load():
        data = page_bytes(page, directory)
        reading: Reading = read(page, data)
        ms = best_ms(functools.partial(reader, data, page), args.repeat)
        results: dict[str, tuple[tuple[date | None, date | None], float]] = {
            "htmldate": (
                htmldate_pair(data, page.url),
                best_ms(functools.partial(htmldate_pair, data, page.url), args.repeat),
            )
        }
        if not args.no_dateparser:
            text = inspect_page(data, page.url, as_of=as_of(page)).text
            results["dateparser"] = (
                dateparser_pair(text, as_of(page)),
                best_ms(functools.partial(dateparser_pair, text, as_of(page)), 1),
            )
        for key in ("all", f"kind:{page.kind}", f"cms:{page.cms}"):
            add(groups[key], page, reading, ms, results)
        if problems := describe(page, reading):
            failures.append(f"{page.id}: {problems}")
    header = (
        f"{'group':<18}{'n':>4} | newest  | publ.   | kind    | P     | R     | ms    "
        + "".join(f"| {o[:8]:<8} new | publ.   | ms     " for o in others)
        + "| reader/htmldate (medians)"
    )
    print(header)
    print("-" * len(header))
    for key in sorted(groups, key=lambda k: (k != "all", k)):
        print(report(key, groups[key], others))
    if args.failures:
        print("\nPages the reader misses:")
        print("\n".join(failures) or "none")
    if args.render:
        render_all(args, directory)


@dataclass
class RenderRun:
    """One pass over the pages with one version of the renderer."""

    launch_ms: float | None = None  # the browser's start, where the renderer times it apart
    first_incl_launch_ms: float = 0.0  # from nothing to the first page read
    ms: list[float] = field(default_factory=list)  # each page's own render time
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    rest_pss_mb: list[float] = field(default_factory=list)  # the renderer's own, after each page
    launches: int = 0
    lanes: int = 0  # contexts the current renderer made (0: not told)
    slowest: str = ""
    pages_per_s: float = 0.0  # pages over the wall time after the browser's start
    ids: list[str] = field(default_factory=list)  # page ids in the order they were read (``ms``)
    items: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)  # page id: read


def load_browser(name: str, path: Path) -> Any:
    """Another version of scanner/render/browser.py, imported under its own module name."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_slots(module: Any) -> int:
    """The pages a version's `Renderer` renders at once unless told: its ``concurrency``."""
    if module is None:
        from scanner.render import Renderer

        renderer_class = Renderer
    else:
        renderer_class = module.Renderer
    default = inspect.signature(renderer_class).parameters["concurrency"].default
    return int(default)


def render_all(args: argparse.Namespace, directory: Path) -> None:
    """Render ``--render`` pages, alternating with the baseline renderer if one is given."""
    pages = load()[: args.render]
    versions: dict[str, tuple[Any, int]] = {}
    if args.render_baseline is not None:
        module = load_browser("baseline_browser", args.render_baseline)
        versions["baseline"] = (module, args.render_baseline_slots or default_slots(module))
    versions["current"] = (None, args.render_slots or default_slots(None))
    for number, candidate in enumerate(args.render_candidate):
        label, _, rest = candidate.partition("=")
        path, _, slots = rest.partition("@")
        module = load_browser(f"candidate_browser_{number}", Path(path))
        versions[label] = (module, int(slots) if slots else default_slots(module))
    slots_of = ", ".join(f"{name} {slots}" for name, (_, slots) in versions.items())
    print(f"pages rendering at once: {slots_of}", flush=True)
    runs: dict[str, list[RenderRun]] = defaultdict(list)
    for _ in range(args.render_rounds):
        for name, (module, slots) in versions.items():
            runs[name].append(asyncio.run(render_pages(pages, directory, module, slots)))
            print(f"{name}: {describe_runs(runs[name][-1:], pages)}", flush=True)
    load_avg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nrendered {len(pages)} pages x {args.render_rounds} round(s); load {load_avg}")
    for name, done in runs.items():
        print(f"{name:>9} ({versions[name][1]} at once): {describe_runs(done, pages)}")
    reference = next(iter(runs.values()))[0].items  # the first pass (the baseline's if given)
    for name, done in runs.items():
        differ = sorted({p for run in done for p in run.items if run.items[p] != reference[p]})
        total = statistics.median(sum(map(len, run.items.values())) for run in done)
        print(
            f"{name:>9}: items read from the rendered DOM ({total:.0f} a pass) differ from the "
            f"first pass's on {len(differ)} of {len(pages)} pages {differ[:10] or ''}"
        )


def describe_runs(runs: list[RenderRun], pages: list[Page]) -> str:
    later = [ms for run in runs for ms in run.ms[1:]]
    firsts = [run.first_incl_launch_ms for run in runs]
    launches = [run.launch_ms for run in runs if run.launch_ms is not None]
    launch = f"launch median {statistics.median(launches):.0f} ms; " if launches else ""
    return (
        f"{launch}first page incl. launch median {statistics.median(firsts):.0f} ms "
        f"(its own render median {statistics.median(run.ms[0] for run in runs):.0f} ms); "
        f"the other {len(later)}: median {statistics.median(later):.0f} ms, "
        f"max {max(later):.0f} ms ({', '.join(run.slowest for run in runs)}); browser "
        f"peak PSS {max(run.peak_pss_mb for run in runs):.0f} MB, "
        f"peak RSS {max(run.peak_rss_mb for run in runs):.0f} MB (peak PSS a pass "
        f"{', '.join(f'{run.peak_pss_mb:.0f}' for run in runs)}); after a page (the "
        f"renderer's own measure) max {max(max(run.rest_pss_mb) for run in runs):.0f} MB; "
        f"browsers started per pass {max(run.launches for run in runs) or '(not told)'}, "
        f"contexts {max(run.lanes for run in runs) or '(one a page)'}; "
        f"pages/s {statistics.median(run.pages_per_s for run in runs):.2f} "
        f"(a pass: {', '.join(f'{run.pages_per_s:.2f}' for run in runs)})"
    )


def chromium_memory_mb() -> tuple[float, float]:
    """PSS and RSS (MB) of every Chromium process under this one: the whole tree."""
    import psutil

    pss = rss = 0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in child.name().lower():
                info = child.memory_full_info()
                pss += getattr(info, "pss", info.rss)
                rss += info.rss
    return pss / 2**20, rss / 2**20


async def render_pages(
    pages: list[Page], directory: Path, baseline: Any = None, slots: int = 1
) -> RenderRun:
    """Render corpus pages in headless Chromium behind an exclusive host map, ``slots`` at
    once through one renderer of that ``concurrency``; their costs."""
    from aiohttp import web

    from scanner.http import build_client
    from scanner.render import Renderer
    from scanner.settings import Settings

    by_path = {urlsplit(p.url).path: page_bytes(p, directory) for p in pages}

    async def serve(request: web.Request) -> web.Response:
        body = by_path.get(request.path)
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hosts = sorted({urlsplit(p.url).hostname or "" for p in pages})
    settings = Settings(host_map=",".join(f"{h}=127.0.0.1:{port}" for h in hosts))
    run = RenderRun()
    done = asyncio.Event()

    async def sample() -> None:  # the tree's peak, the same way for every version
        while not done.is_set():
            pss, rss = await asyncio.to_thread(chromium_memory_mb)
            run.peak_pss_mb, run.peak_rss_mb = max(run.peak_pss_mb, pss), max(run.peak_rss_mb, rss)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.2)

    renderer_class = Renderer if baseline is None else baseline.Renderer
    client = build_client(settings, follow_redirects=False)
    sampler = asyncio.create_task(sample())
    queue = list(reversed(pages))
    dom: dict[str, str] = {}

    async def feed(renderer: Any, began: float) -> None:  # one of ``slots`` pages in flight
        while queue:
            page = queue.pop()
            parts = urlsplit(page.url)  # served over plain HTTP here
            rendered = await renderer.render(f"http://{parts.hostname}{parts.path}")
            if not run.ms:
                run.first_incl_launch_ms = (time.perf_counter() - began) * 1000
            run.ms.append(rendered.ms)
            run.ids.append(page.id)
            run.rest_pss_mb.append(rendered.rss_mb)
            dom[page.id] = rendered.html  # read after the pass: not in its pages/s

    try:
        async with renderer_class(client, owns_client=True, concurrency=slots) as renderer:
            began = time.perf_counter()
            if hasattr(renderer, "start"):  # the current renderer starts Chromium apart
                await renderer.start()
                run.launch_ms = sum(renderer.launch_ms)
            started = time.perf_counter()
            await asyncio.gather(*(feed(renderer, began) for _ in range(slots)))
            run.pages_per_s = len(pages) / (time.perf_counter() - started)
            run.launches = len(getattr(renderer, "launch_ms", []))  # 0: not told
            run.lanes = getattr(renderer, "lanes_opened", 0)
    finally:
        done.set()
        await sampler
        await runner.cleanup()
    for page in pages:
        items = inspect_page(dom[page.id], page.url, as_of=as_of(page)).items
        run.items[page.id] = [(it.url, str(it.date) if it.date else None) for it in items]
    slowest = max(range(1, len(run.ms)), key=run.ms.__getitem__, default=0)
    run.slowest = run.ids[slowest]
    return run


def add(
    tally: Tally,
    page: Page,
    reading: Reading,
    ms: float,
    results: dict[str, tuple[tuple[date | None, date | None], float]],
) -> None:
    tally.pages += 1
    tally.newest_ok += reading.newest == page.newest
    tally.kind_ok += reading.kind == page.kind
    if page.kind in PUBLISHED_KINDS:
        tally.articles += 1
        tally.published_ok += reading.published == page.published
    tally.found += len(reading.items)
    tally.truth += len(reading.truth_items)
    tally.matched += reading.matched_items
    tally.ms.append(ms)
    for name, ((published, newest), other_ms) in results.items():
        tally.other_newest_ok[name] += newest == page.newest
        if page.kind in PUBLISHED_KINDS:
            tally.other_published_ok[name] += published == page.published
        tally.other_ms[name].append(other_ms)


def describe(page: Page, reading: Reading) -> str:
    wrong = []
    if reading.kind != page.kind:
        wrong.append(f"kind {reading.kind} (truth {page.kind})")
    if page.kind in PUBLISHED_KINDS and reading.published != page.published:
        wrong.append(f"published {reading.published} (truth {page.published})")
    if reading.newest != page.newest:
        wrong.append(f"newest {reading.newest} (truth {page.newest})")
    if reading.items != reading.truth_items:
        wrong.append(
            f"items {reading.matched_items}/{len(reading.truth_items)} of {len(reading.items)}"
        )
    return "; ".join(wrong)


if __name__ == "__main__":
    main()
