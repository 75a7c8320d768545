"""Dump what the page reader says about every page it can be shown, to compare two versions.

Not a test and not a benchmark: a change to the date grammar or the list finder is proved to
touch only the pages it means to by dumping the reader's output (kind, published, newest date,
items) before and after, and diffing the two files::

    python bench/dump_reads.py before.jsonl            # on the old code
    python bench/dump_reads.py after.jsonl             # on the new code
    python bench/dump_reads.py --compare before.jsonl after.jsonl

Pages: the real-page corpus (when materialised; ``CENSUS_TEST_REALPAGES_DIR``), every HTML file
under tests/ (the fixtures), and every page of the farm's ``demo``, ``scripted`` and
``interaction`` scenarios and of ``generated_farm(--sites, --pages-per-site)`` that the farm
renders as a page (homepages, lists, articles, guides, messages, systems, other).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from farm import generated_farm  # noqa: E402
from farm.builtin import scenario  # noqa: E402
from farm.catalog import Catalog  # noqa: E402
from farm.render import PageBuilder  # noqa: E402
from farm.scenario import CST  # noqa: E402
from probes.page import summarize_page  # noqa: E402
from tests.realpages.corpus import as_of as corpus_as_of  # noqa: E402
from tests.realpages.corpus import load, page_bytes, pages_dir  # noqa: E402

FARM_DAY = date(2024, 3, 15)
FIXTURE_DAY = date(2024, 3, 15)
_PAGE_KINDS = {"homepage", "list", "article", "guide", "message", "system", "other"}


def _row(name: str, summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "page": name,
        "kind": summary["kind"],
        "published": summary["published"],
        "newest": summary["newest_date"],
        "items": [[i["title"], i["url"], i["date"]] for i in summary["items"]],
    }


def corpus_rows() -> Iterator[dict[str, Any]]:
    directory = pages_dir()
    if directory is None:
        raise SystemExit("no real-page corpus (set CENSUS_TEST_REALPAGES_DIR)")
    for page in load():
        data = page_bytes(page, directory)
        yield _row(f"corpus:{page.id}", summarize_page(data, page.url, as_of=corpus_as_of(page)))


def fixture_rows() -> Iterator[dict[str, Any]]:
    for path in sorted((ROOT / "tests").rglob("*.htm*")):
        if "realpages" in path.parts:
            continue
        url = f"http://fixture.example.gov.cn/{path.name}"
        yield _row(
            f"fixture:{path.relative_to(ROOT)}",
            summarize_page(path.read_bytes(), url, as_of=FIXTURE_DAY),
        )


def farm_rows(sites: int, pages_per_site: int) -> Iterator[dict[str, Any]]:
    now = datetime.combine(FARM_DAY, time(12), tzinfo=CST)
    specs = [
        (name, dataclasses.replace(scenario(name), today=FARM_DAY))
        for name in ("demo", "scripted", "interaction")
    ]
    specs.append(
        (
            "generated",
            generated_farm(sites, pages_per_site, today=FARM_DAY, big_sites=0, huge_site=False),
        )
    )
    for name, spec in specs:
        catalog = Catalog(spec, FARM_DAY)
        hosts = list(catalog.hosts())
        if spec.generated is not None:
            hosts = hosts[:sites]
        for host in hosts:
            site = catalog.get(host)
            if site is None:
                continue
            for path in site.page_paths():
                target = site.locate(path, faults=False)
                if target.kind not in _PAGE_KINDS:
                    continue
                html = PageBuilder(site, now).render(target, path).html
                url = site.url(path)
                yield _row(f"farm:{name}:{url}", summarize_page(html, url, as_of=FARM_DAY))


def compare(before: Path, after: Path) -> int:
    def rows(path: Path) -> dict[str, dict[str, Any]]:
        return {r["page"]: r for r in map(json.loads, path.read_text().splitlines())}

    old, new = rows(before), rows(after)
    differ = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    groups: dict[str, int] = {}
    for p in old:
        groups[p.split(":", 1)[0]] = groups.get(p.split(":", 1)[0], 0) + 1
    print(f"{len(old)} pages before, {len(new)} after ({groups}); {len(differ)} differ")
    for p in differ:
        a, b = old.get(p), new.get(p)
        print(f"  {p}")
        for key in ("kind", "published", "newest"):
            if (a or {}).get(key) != (b or {}).get(key):
                print(f"    {key}: {(a or {}).get(key)} -> {(b or {}).get(key)}")
        if (a or {}).get("items") != (b or {}).get("items"):
            print(
                f"    items: {len((a or {}).get('items', []))} -> {len((b or {}).get('items', []))}"
            )
    return len(differ)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--pages-per-site", type=int, default=200)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    if args.out is None:
        parser.error("an output file, or --compare BEFORE AFTER")
    n = 0
    with args.out.open("w") as out:
        for source in (corpus_rows(), fixture_rows(), farm_rows(args.sites, args.pages_per_site)):
            for row in source:
                out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
                n += 1
    print(f"{n} pages written to {args.out}")


if __name__ == "__main__":
    main()
