"""One corpus page read by the project's reader and compared with its labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

from probes.page import inspect_page
from tests.realpages.corpus import Page, as_of


@dataclass(frozen=True, slots=True)
class Reading:
    """What the reader said about one page, next to the truth."""

    page: Page
    kind: str
    published: date | None
    newest: date | None
    items: list[tuple[str, date | None]]
    truth_items: list[tuple[str, date | None]]
    redirect: str | None = None

    @property
    def matched_items(self) -> int:
        """Items found with the right URL and date (each truth item matched once)."""
        remaining = list(self.truth_items)
        hits = 0
        for item in self.items:
            if item in remaining:
                remaining.remove(item)
                hits += 1
        return hits


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def read(page: Page, data: bytes) -> Reading:
    """Run `inspect_page` (what `census inspect` prints) on the page's bytes.

    A page whose redirect target the reader finds is read as kind ``redirect`` (a stub that
    sends the browser on), whatever kind its own few bytes would have.
    """
    inspected = inspect_page(data, page.url, as_of=as_of(page))
    summary, redirect = inspected.to_json(), inspected.redirect
    items = [(item["url"], _day(item["date"])) for item in summary["items"]]
    truth = [(urljoin(page.url, item.href), item.date) for item in page.items]
    return Reading(
        page=page, kind="redirect" if redirect else summary["kind"],
        published=_day(summary["published"]), newest=_day(summary["newest_date"]),
        items=items, truth_items=truth, redirect=redirect,
    )  # fmt: skip
