"""抽查 samples: a seeded, reproducible draw of the running sites of an organisation's tree.

The frame is every site of the organisation and its descendants running on the monitoring
date T, in 标识码 order. One ``random.Random(seed)`` draws from it — stratum after stratum in
key order when stratified — so the same seed over the same frame gives the same sample.
Stratified samples are allocated in proportion to stratum size by the largest-remainder rule
(docs/reports.md has the worked rule).
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scanner.db.models import Organisation, SampledSite, Sampling, Site
from scanner.registry import vocab
from scanner.reports.common import (
    ReportError,
    check_quarter,
    quarter_bounds,
    require_organisation,
    running_sites,
)

STRATA = ("level", "type")  # what a sample may be stratified by, in key order
STRATA_WORDS = {
    "level": "level",
    "层级": "level",
    "级别": "level",
    "type": "type",
    "类型": "type",
    "网站类型": "type",
}
WHOLE = "all"  # the one stratum of an unstratified sample
SEED_LIMIT = 2**63  # a seed fits a BIGINT


def parse_strata(words: Sequence[str]) -> tuple[str, ...]:
    """``--by level --by type`` (or 层级/类型) as the canonical key order."""
    chosen = set()
    for word in words:
        for part in word.replace("+", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if part.lower() not in STRATA_WORDS and part not in STRATA_WORDS:
                raise ReportError(f"无法按 '{part}' 分层：可用 level（层级）或 type（类型）")
            chosen.add(STRATA_WORDS.get(part.lower(), STRATA_WORDS.get(part)))
    return tuple(s for s in STRATA if s in chosen)


def parse_ratio(text: str) -> Decimal:
    """A percentage: ``20``, ``20%`` or ``12.5``; must lie in (0, 100]."""
    try:
        value = Decimal(text.strip().rstrip("%％").strip())
    except InvalidOperation:
        raise ReportError(f"抽查比例 '{text}' 不是百分数 (e.g. 20 or 20%)") from None
    if not value.is_finite() or not 0 < value <= 100:
        raise ReportError(f"抽查比例 {text} 应大于 0 且不超过 100%")
    return value


def stratum_key(site: Site, by: Sequence[str]) -> str:
    if not by:
        return WHOLE
    parts = []
    for what in by:
        parts.append(site.organisation.level.value if what == "level" else site.type.value)
    return "/".join(parts)


LEVEL_ORDER = ("country", "province", "city", "county")
TYPE_ORDER = ("portal", "department", "special")


def stratum_order(key: str) -> tuple[int, ...]:
    """Strata from the top of the hierarchy down, 门户 before 部门 before 专项."""
    rank = {v: i for i, v in enumerate(LEVEL_ORDER)} | {v: i for i, v in enumerate(TYPE_ORDER)}
    return tuple(rank.get(part, 99) for part in key.split("/"))


def stratum_label(key: str) -> str:
    """``county/portal`` → 县级·门户, as officials read it."""
    if key in ("", WHOLE):
        return "全部"
    words = []
    for part in key.split("/"):
        level = {v.value: f"{label}级" for v, label in vocab.LEVEL_LABEL.items()}.get(part)
        kind = {v.value: label for v, label in vocab.SITE_TYPE_LABEL.items()}.get(part)
        words.append(level or kind or part)
    return "·".join(words)


def sample_size(population: int, *, ratio: Decimal | None, size: int | None) -> int:
    """How many to draw: a fixed size, or the ratio of the frame rounded up (at least that %)."""
    if population == 0:
        raise ReportError("抽查范围内没有运行中的网站，无法抽查")
    if (ratio is None) == (size is None):
        raise ReportError("请给出 --ratio（抽查比例）或 --size（抽查数量）之一")
    if size is not None:
        if size < 1:
            raise ReportError(f"抽查数量应至少为 1，而不是 {size}")
        if size > population:
            raise ReportError(f"抽查数量 {size} 大于网站总数 {population}")
        return size
    assert ratio is not None
    n = (Decimal(population) * ratio / 100).to_integral_value(rounding=ROUND_CEILING)
    return max(1, min(population, int(n)))


def allocate(sizes: Mapping[str, int], n: int, *, min_one: bool = False) -> dict[str, int]:
    """Split ``n`` over strata in proportion to their sizes (largest remainder).

    Each stratum gets the whole part of its quota n·N_h/N; the units left over go to the
    largest fractional parts, ties to the stratum given first. With ``min_one`` a non-empty
    stratum whose share rounds to 0 is fixed at 1 and the rest re-allocated over the others
    (so ``n`` must be at least the number of non-empty strata); a share above a stratum's
    size is capped the same way.
    """
    keys = [k for k, v in sizes.items() if v > 0]
    total = sum(sizes[k] for k in keys)
    if not 0 <= n <= total:
        raise ValueError(f"cannot draw {n} from {total}")
    if min_one and n < len(keys):
        raise ValueError(f"{n} is fewer than the {len(keys)} non-empty strata")
    fixed: dict[str, int] = {}
    while True:
        free = [k for k in keys if k not in fixed]
        budget = n - sum(fixed.values())
        pop = sum(sizes[k] for k in free)
        if not free or pop == 0:
            break
        quotas = {k: Fraction(budget * sizes[k], pop) for k in free}
        alloc = {k: math.floor(quotas[k]) for k in free}
        left = budget - sum(alloc.values())
        by_remainder = sorted(free, key=lambda k: (-(quotas[k] - alloc[k]), keys.index(k)))
        for k in by_remainder[:left]:
            alloc[k] += 1
        zero = [k for k in free if min_one and alloc[k] < 1]
        over = [k for k in free if alloc[k] > sizes[k]]
        if zero:
            fixed.update({k: 1 for k in zero})
        elif over:
            fixed.update({k: sizes[k] for k in over})
        else:
            fixed.update(alloc)
            break
    result = {k: fixed.get(k, 0) for k in keys}
    if sum(result.values()) != n:  # pragma: no cover - the loop above always balances
        raise ValueError("allocation did not balance")
    return result


@dataclass(frozen=True)
class Drawn:
    site: Site
    stratum: str


def draw(
    frame: Sequence[Site], n: int, seed: int, by: Sequence[str] = (), *, min_one: bool = False
) -> tuple[list[Drawn], dict[str, tuple[int, int]]]:
    """The sample and, per stratum, (frame size, drawn); pure given the frame and the seed."""
    ordered = sorted(frame, key=lambda s: s.code)
    unordered: dict[str, list[Site]] = {}
    for site in ordered:
        unordered.setdefault(stratum_key(site, by), []).append(site)
    groups = {k: unordered[k] for k in sorted(unordered, key=stratum_order)}
    try:
        quota = allocate({k: len(v) for k, v in groups.items()}, n, min_one=min_one)
    except ValueError:
        raise ReportError(
            f"抽查数量 {n} 少于非空分层数 {len(groups)}，无法每层至少抽取 1 个"
        ) from None
    rng = random.Random(seed)
    drawn: list[Drawn] = []
    for key, members in groups.items():
        picked = rng.sample(members, quota[key])
        drawn += [Drawn(s, key) for s in sorted(picked, key=lambda s: s.code)]
    return drawn, {k: (len(v), quota[k]) for k, v in groups.items()}


@dataclass(frozen=True)
class DrawRequest:
    """What ``census report sampling`` was asked."""

    year: int
    quarter: int
    organisation: str
    ratio: Decimal | None = None
    size: int | None = None
    by: tuple[str, ...] = ()
    min_one: bool = False
    seed: int | None = None
    at: date | None = None
    replace: bool = False
    note: str = ""


@dataclass
class DrawOutcome:
    sampling: Sampling
    strata: dict[str, tuple[int, int]]
    replaced: int | None  # id of the sampling this one replaced


def monitoring_date(year: int, quarter: int, at: date | None, today: date) -> date:
    """T must fall in the quarter; by default today, or the last day of a quarter already over."""
    first, last = quarter_bounds(year, quarter)
    if at is None:
        if first <= today <= last:
            return today
        if today > last:
            return last
        raise ReportError(f"{year}年第{quarter}季度尚未开始，请用 --at 指定监测时间点")
    if not first <= at <= last:
        raise ReportError(f"监测时间点 {at} 不在 {year}年第{quarter}季度（{first} 至 {last}）之内")
    return at


def find_sampling(session: Session, org: Organisation, year: int, quarter: int) -> Sampling | None:
    query = (
        select(Sampling)
        .where(
            Sampling.organisation_id == org.id, Sampling.year == year, Sampling.quarter == quarter
        )
        .options(selectinload(Sampling.sites).selectinload(SampledSite.site))
    )
    return session.scalars(query).first()


def draw_sampling(session: Session, request: DrawRequest, now: datetime) -> DrawOutcome:
    """Draw and store one quarter's sample; refuses a second one unless ``replace``."""
    check_quarter(request.year, request.quarter)
    org = require_organisation(session, request.organisation)
    at = monitoring_date(request.year, request.quarter, request.at, now.date())
    seed = request.seed if request.seed is not None else secrets.randbelow(10**9)
    if not 0 <= seed < SEED_LIMIT:
        raise ReportError(f"随机种子应在 0 与 2^63 之间，而不是 {seed}")
    old = find_sampling(session, org, request.year, request.quarter)
    if old is not None and not request.replace:
        raise ReportError(
            f"{org.name} {request.year}年第{request.quarter}季度已有抽查（编号 {old.id}，"
            f"种子 {old.seed}）；重新抽取请加 --replace"
        )
    frame = running_sites(session, org, at)
    n = sample_size(len(frame), ratio=request.ratio, size=request.size)
    drawn, strata = draw(frame, n, seed, request.by, min_one=request.min_one)
    replaced = None
    if old is not None:
        replaced = old.id
        session.delete(old)
        session.flush()
    sampling = Sampling(
        year=request.year,
        quarter=request.quarter,
        organisation_id=org.id,
        seed=seed,
        drawn_at=now,
        monitoring_date=at,
        strata="+".join(request.by),
        ratio=float(request.ratio) if request.ratio is not None else None,
        size=request.size,
        min_per_stratum=request.min_one,
        population=len(frame),
        note=request.note,
        sites=[SampledSite(site_id=d.site.id, stratum=d.stratum, at=at) for d in drawn],
    )
    sampling.organisation = org
    session.add(sampling)
    session.flush()
    return DrawOutcome(sampling, strata, replaced)


def samplings_in(
    session: Session, org_ids: set[int], year: int, quarter: int | None = None
) -> list[Sampling]:
    """Samplings of a year (or quarter) whose scope lies in ``org_ids``, oldest first."""
    query = (
        select(Sampling)
        .where(Sampling.year == year, Sampling.organisation_id.in_(org_ids))
        .options(
            selectinload(Sampling.sites)
            .selectinload(SampledSite.site)
            .selectinload(Site.organisation),
            selectinload(Sampling.organisation),
        )
        .order_by(Sampling.quarter, Sampling.id)
    )
    if quarter is not None:
        query = query.where(Sampling.quarter == quarter)
    return list(session.scalars(query))


def retime(
    session: Session, org_code: str, year: int, quarter: int, site_code: str, at: date
) -> tuple[SampledSite, date]:
    """Move one sampled site's monitoring date within the quarter (it was checked that day).

    Returns the sampled site and its previous date. The sample itself (which sites) is
    untouched; only which scorecard counts as the site's 抽查 result changes.
    """
    check_quarter(year, quarter)
    org = require_organisation(session, org_code)
    sampling = find_sampling(session, org, year, quarter)
    if sampling is None:
        raise ReportError(f"{org.name} {year}年第{quarter}季度没有抽查记录")
    monitoring_date(year, quarter, at, at)  # inside the quarter, or refused
    for sampled in sampling.sites:
        if sampled.site.code == site_code:
            before = sampled.at
            sampled.at = at
            session.flush()
            return sampled, before
    raise ReportError(f"网站 {site_code} 不在{org.name} {year}年第{quarter}季度的抽查样本中")
