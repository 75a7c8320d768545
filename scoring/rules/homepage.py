"""What counts as the homepage's columns: the homepage, or its second-level pages."""

from __future__ import annotations

from datetime import date

from scoring.facts import DatedItem, Homepage


def homepage_scope(homepage: Homepage) -> str:
    return "二级页面栏目" if homepage.navigation_only else "首页栏目"


def homepage_new_items(homepage: Homepage, start: date, at: date) -> tuple[list[DatedItem], int]:
    """Distinct dated items inside [start, at], and how many entries had no date.

    首页仅为网站栏目导航入口: the second-level pages stand in for the homepage. Items are
    distinct by URL (the same article listed on two pages is one update).
    """
    if homepage.navigation_only:
        pools = [page.items for page in homepage.second_level]
    else:
        pools = [homepage.items]
    seen: set[str] = set()
    new: list[DatedItem] = []
    undated = 0
    for pool in pools:
        for item in pool:
            if item.date is None:
                undated += 1
                continue
            if start <= item.date <= at:
                key = item.url or f"{item.title}|{item.date.isoformat()}"
                if key not in seen:
                    seen.add(key)
                    new.append(item)
    new.sort(key=lambda i: (i.date, i.url), reverse=True)
    return new, undated


def unread_homepage_reason(homepage: Homepage) -> str:
    return (
        f"首页（{homepage.url}）在监测期内未能读取（无法打开，或首页由脚本生成而浏览器未能渲染），"
        "首页栏目更新未能判定"
    )
