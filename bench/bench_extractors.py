"""Benchmark: precision and recall of the interaction, service and content extractors.

Run: /work/venv/bin/python bench/bench_extractors.py [--sites 20] [--seed 0]

Not a test. The farm serves the demo sites, 白山县 and 龙溪县 (farm/interaction.py) and
``--sites`` random sites built here: a 信箱 of 30–45 messages over two or three list
pages (random ages, open or answered late or in time, some replies without a date;
drawn as a table or, on two sites in three, in the two 龙讯 lonsun letter layouts with
智能预答复 on every fourth), six guides with random element subsets, labels (canonical or
synonym) and layouts, attachments in every state, and ten articles each, some carrying
a miswritten leader's name (a random homophone or near-form of one character, next to
a title) or a forbidden word, others the correct names. Sites use every template and
one in three is GBK. Every figure is computed against the farm's truth (or the truth
written down with the random spec); the targets are ≥ 0.95 each, and no content
candidate on a clean page.

Units: a message counts as right when its asked date, reply date (when shown) and state are
all right; a guide element is a (guide, category) pair; an attachment is right when its state
(ok / missing / html_error / not_offered) is; a content hit is (page, kind, words).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import random
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from farm import FarmThread
from farm.builtin import scenario
from farm.interaction import CONTENT_HITS, interaction
from farm.scenario import (
    CST,
    GUIDE_ELEMENTS,
    TEMPLATES,
    AttachmentSpec,
    ColumnSpec,
    FarmSpec,
    GuideSpec,
    ItemSpec,
    MessageSpec,
    SiteSpec,
)
from probes.content import ContentChecker, load_wordlists, name_variants
from probes.messages import read_messages

LEADERS = [
    ("习近平", "总书记"), ("李强", "总理"), ("赵乐际", "委员长"), ("王沪宁", "全国政协主席"),
    ("丁薛祥", "副总理"), ("韩正", "国家副主席"),
]  # fmt: skip
FILLER = [
    "会议强调，要坚持稳中求进工作总基调。", "各乡镇、各部门要压实责任，确保各项任务落地见效。",
    "全县上下要凝心聚力，推动高质量发展。", "要依法打击网络赌博等违法犯罪活动。",
    "村民李祥、张强、王平等参加座谈。", "李蔷同志作表态发言。",
]  # fmt: skip
TOPICS = ["供水", "道路", "入学", "医保", "就业"]
FORBIDDEN = ["网上赌场", "代开发票", "出售枪支", "时时彩开户", "裸聊"]


@dataclass
class Score:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self) -> str:
        ok = "ok" if min(self.precision, self.recall) >= 0.95 else "BELOW TARGET"
        return (
            f"{self.name:<28} precision {self.precision:6.3f}  recall {self.recall:6.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn})  {ok}"
        )


LETTERS: tuple[Literal["table", "rows", "cells"], ...] = ("table", "rows", "cells")


def random_site(i: int, rng: random.Random, checker: ContentChecker) -> tuple[SiteSpec, dict]:
    """A random site and the content truth of its articles (title → hits)."""
    n = rng.randint(30, 45)
    messages = []
    for k in range(n):
        asked = rng.randint(0, 500)
        answered = None
        if rng.random() < 0.75:
            answered = max(0, asked - rng.randint(0, 150))
        messages.append(
            MessageSpec(
                f"群众留言{i}-{k}：关于{rng.choice(TOPICS)}的问题",
                asked=asked,
                answered=answered,
                show_reply_date=rng.random() > 0.15,
                pre_reply=k % 4 == 0,  # drawn only by the lonsun layouts
            )
        )
    messages.sort(key=lambda m: m.asked if isinstance(m.asked, int) else 0)
    guides = []
    for k in range(6):
        elements = tuple(e for e in GUIDE_ELEMENTS if rng.random() > 0.25)
        atts = tuple(
            AttachmentSpec(
                f"{rng.choice(['登记', '申请', '备案', '变更'])}{k}{j}{rng.choice(['表', '书'])}",
                f"f{k}{j}.{rng.choice(['doc', 'xls', 'pdf', 'docx'])}",
                state=rng.choice(["ok", "ok", "missing", "html_error", "not_offered"]),
            )
            for j in range(rng.randint(0, 3))
        )
        guides.append(
            GuideSpec(
                f"随机事项{i}-{k}",
                elements=elements,
                synonyms=rng.random() < 0.5,
                layout=rng.choice(["table", "dl", "headings"]),
                attachments=atts,
            )
        )
    articles = []
    content: dict[str, tuple[tuple[str, str], ...]] = {}
    for k in range(10):
        name, title = rng.choice(LEADERS)
        hits: list[tuple[str, str]] = []
        shown = name
        roll = rng.random()
        if roll < 0.3:
            shown = rng.choice(sorted(name_variants(name, checker.lists.near_forms)))
            hits.append(("misspelt_name", shown))
        said = f"{title}{shown}指出" if rng.random() < 0.5 else f"{shown}{title}指出"
        text = rng.choice(FILLER) + said + "，" + rng.choice(FILLER)
        if 0.3 <= roll < 0.45:
            word = rng.choice(FORBIDDEN)
            text += f"页面被植入“{word}”等信息。"
            hits.append(("forbidden_word", word))
        t = f"随机文章{i}-{k}：学习贯彻会议精神"
        articles.append(ItemSpec(t, date=rng.randint(0, 60), body=text))
        content[t] = tuple(hits)
    cols = (
        ColumnSpec("要闻动态", "news", "ywdt", tuple(articles)),
        # the letters as a table, or as 龙讯 lonsun draws them (no reply date on the list)
        ColumnSpec("领导信箱", "consult", "ldxx", messages=tuple(messages), letters=LETTERS[i % 3]),
        ColumnSpec("办事指南", "guide", "bszn", guides=tuple(guides)),
    )
    spec = SiteSpec(
        f"r{i:03d}.bench.example.gov.cn",
        f"91990{i:05d}",
        f"随机站点{i}",
        "100000",
        template=TEMPLATES[i % len(TEMPLATES)],  # type: ignore[arg-type]
        encoding="gbk" if i % 3 == 0 else "utf-8",
        columns=cols,
    )
    return spec, content


def farm_spec(n: int, seed: int, checker: ContentChecker) -> tuple[FarmSpec, dict]:
    rng = random.Random(seed)
    today = datetime.now(CST).date()
    demo = scenario("demo")
    extra = interaction(today)
    sites = [random_site(i, rng, checker) for i in range(n)]
    content = dict(CONTENT_HITS)
    for _, c in sites:
        content.update(c)
    orgs = demo.organisations + tuple(
        o for o in extra.organisations if o.code not in {x.code for x in demo.organisations}
    )
    spec = replace(
        demo,
        sites=demo.sites + extra.sites + tuple(s for s, _ in sites),
        organisations=orgs,
        today=today,
    )
    return spec, content


def pairs(found: Iterable[tuple], want: Iterable[tuple], name: str) -> Score:
    f, w = set(found), set(want)
    return Score(name, len(f & w), len(f - w), len(w - f))


async def run(farm: FarmThread, content_truth: dict) -> tuple[list[Score], float, int]:
    from scanner.checks.run import check_sites
    from scanner.settings import load_settings
    from scanner.snapshots import WantedColumn, WantedSite

    settings = load_settings()
    hosts = [s.host for s in farm.spec.sites if s.registered and not s.cert_mismatch]
    sites = []
    for n, host in enumerate(hosts):
        spec = farm.spec.site(host)
        cols = tuple(
            WantedColumn(1000 * n + k, c.name, c.category, farm.url(host, c.url_path), None)
            for k, c in enumerate(spec.columns)
        )
        sites.append(WantedSite(n, spec.code, spec.name, farm.url(host, "/"), cols))
    checker = ContentChecker(load_wordlists())
    started = time.perf_counter()
    results = await check_sites(settings, sites, as_of=farm.today, checker=checker)
    elapsed = time.perf_counter() - started
    truth = farm.truth
    lookback = inspect.signature(read_messages).parameters["lookback_days"].default
    since = farm.today - timedelta(days=lookback)
    skip = {"www.donghu.example.gov.cn"}  # down 1.5 h a day by design
    # messages: (url, asked, answered_on as shown, answered?)
    got_m, want_m = [], []
    got_e, want_e = [], []
    got_miss, want_miss = [], []
    got_a, want_a = [], []
    got_c, want_c = [], []
    titles: dict[str, str] = {}
    for r in results:
        host = r.site.url.split("/")[2]
        if host in skip:
            continue
        for read in r.messages.values():
            got_m += [(m.url, m.asked_on, m.answered_on, m.answered) for m in read.messages]
        for col in r.guides.values():
            for g in col.guides:
                if g.read is None:
                    continue
                got_e += [(g.url, e) for e in g.read.present]
                got_miss += [(g.url, e) for e in g.read.missing]
                for a in g.read.attachments:
                    check = g.downloads.get(a.url) if a.url else None
                    if a.url is None:
                        state = "not_offered"
                    elif check is not None and check.ok:
                        state = "ok"
                    else:
                        state = (
                            "html_error" if check and check.failure == "html_error" else "missing"
                        )
                    got_a.append((g.url, a.name, state))
        for page in r.content:
            got_c += [(page.url, h.kind, h.matched) for h in page.hits]
        layouts = {c.name: c.letters for c in farm.spec.site(host).columns}
        for m in truth.messages(host):
            shown = m.answered if m.reply_date_shown else None
            # A lonsun list shows no reply date and a letter asked before the look-back is
            # never opened (it can affect neither rule): its reply date stays unread.
            if layouts[m.column] != "table" and m.asked < since:
                shown = None
            want_m.append((m.url, m.asked, shown, m.answered is not None))
        for g in truth.guides(host):
            want_e += [(g.url, e) for e in g.present]
            want_miss += [(g.url, e) for e in g.missing]
        for a in truth.attachments(host):
            state = a.state if a.state != "missing" else "missing"
            want_a.append((a.page, a.name, state))
        for c in truth.columns(host):
            for it in c.items:
                titles[it.url] = it.title
    for url, t in titles.items():
        want_c += [(url, kind, words) for kind, words in content_truth.get(t, ())]
    scores = [
        pairs(got_m, want_m, "messages (dates + state)"),
        pairs(got_e, want_e, "guide elements present"),
        pairs(got_miss, want_miss, "guide elements missing"),
        pairs(got_a, want_a, "attachments (state)"),
        pairs(got_c, want_c, "content candidates"),
    ]
    pages = sum(r.pages_read for r in results)
    return scores, elapsed, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=20, help="random sites besides the demo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    checker = ContentChecker(load_wordlists())
    spec, content_truth = farm_spec(args.sites, args.seed, checker)
    with FarmThread(spec) as farm:
        os.environ["CENSUS_HOST_MAP"] = farm.host_map
        os.environ["CENSUS_EXTRA_CA_FILE"] = str(farm.ca_pem)
        os.environ["CENSUS_PER_HOST_RATE"] = "200"
        os.environ["CENSUS_PER_HOST_CONNECTIONS"] = "4"
        scores, elapsed, pages = asyncio.run(run(farm, content_truth))
    print(f"farm: demo + 白山县 + {args.sites} random sites (seed {args.seed}); "
          f"checks ran in {elapsed:.1f} s, content read {pages} pages")  # fmt: skip
    for s in scores:
        print(s.line())


if __name__ == "__main__":
    main()
