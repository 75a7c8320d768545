"""The night's rendering budget on workers: every process's browser draws on one count in Redis,
so N worker processes render at most the night's pages and seconds together, not N times them.
"""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from scanner.errors import RenderBudgetSpent
from scanner.render import Renderer
from scanner.settings import Settings
from scanner.workers.render_budget import SharedRenderBudget
from scanner.workers.runtime import make_render_budget


def _budget(url: str, run_id: int, **kw: float) -> SharedRenderBudget:
    return SharedRenderBudget(url=url, run_id=run_id, **kw)  # type: ignore[arg-type]


def test_two_processes_share_the_nights_pages(redis_url: str) -> None:
    one, two = _budget(redis_url, 1, night_pages=3), _budget(redis_url, 1, night_pages=3)
    one.reserve()
    two.reserve()
    one.reserve()
    with pytest.raises(RenderBudgetSpent, match="全部工作进程"):
        two.reserve()
    assert (one.pages, two.pages) == (2, 1)
    _budget(redis_url, 2, night_pages=3).reserve()  # another night has its own budget


def test_seconds_spent_in_one_process_stop_the_other(redis_url: str) -> None:
    one, two = _budget(redis_url, 3, night_seconds=4), _budget(redis_url, 3, night_seconds=4)
    one.reserve()
    one.spend(2.5)
    two.reserve()
    two.spend(2.0)
    with pytest.raises(RenderBudgetSpent):
        one.reserve()


def test_processes_reserving_at_once_never_overrun(redis_url: str) -> None:
    """Eight threads, each its own Redis connection, race for 25 pages."""
    taken: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        budget = _budget(redis_url, 4, night_pages=25)
        for _ in range(10):
            try:
                budget.reserve()
            except RenderBudgetSpent:
                continue
            with lock:
                taken.append(1)
        budget.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 25


def test_without_redis_nothing_is_rendered_and_nothing_crashes() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    budget = _budget(f"redis://127.0.0.1:{port}/0", 5)
    with pytest.raises(RenderBudgetSpent, match="无法核对"):
        budget.reserve()
    budget.spend(1.0)  # best effort, silent
    assert budget.pages == 0


async def test_a_renderer_on_a_spent_shared_budget_refuses_before_starting_a_browser(
    redis_url: str,
) -> None:
    _budget(redis_url, 6, night_pages=1).reserve()  # another process took the night's page
    missing = "/nonexistent/chromium"  # would fail differently if it were launched
    async with httpx.AsyncClient() as client:
        renderer = Renderer(client, budget=_budget(redis_url, 6, night_pages=1), executable=missing)
        with pytest.raises(RenderBudgetSpent):
            await renderer.render("http://www.example.gov.cn/")
        await renderer.close()


def test_workers_take_the_shared_budget_only_with_a_broker(redis_url: str) -> None:
    settings = Settings(broker_url=redis_url, render_night_pages=7, render_night_seconds=30)
    budget = make_render_budget(settings, 9)
    assert isinstance(budget, SharedRenderBudget)
    assert (budget.night_pages, budget.night_seconds, budget.run_id) == (7, 30.0, 9)
    assert make_render_budget(Settings(), 9) is None
