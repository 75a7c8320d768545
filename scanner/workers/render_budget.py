"""The night's rendering budget shared by every worker through Redis (the broker's server).

In process, one browser renders a whole night and its `RenderBudget` counts the night's pages
and seconds. On workers each process starts its own browser, so a process-local budget would
let N processes render N budgets' worth. Here the counts live in Redis under the night's run
id: ``render_night_pages`` and ``render_night_seconds`` bound the night, all workers together.

A page is reserved atomically (one Lua script checks both counts and takes the page), so
workers rendering at once cannot overrun the budget together. When Redis cannot be reached the
page is not rendered (`RenderBudgetSpent`): its list stays unknown (``unrendered``), which is the
scanner's trouble and never a finding against the site.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import redis

from scanner.errors import RenderBudgetSpent
from scanner.render import RenderBudget

PREFIX = "census:render:"
KEEP_SECONDS = 3 * 24 * 3600  # a night's counts outlive the night, then expire

# KEYS: pages, seconds. ARGV: night pages, night seconds, ttl. Returns {1, pages, seconds} when
# the page is taken, {0, pages, seconds} when the night's budget is spent.
_RESERVE = """
local pages = tonumber(redis.call('GET', KEYS[1]) or '0')
local seconds = tonumber(redis.call('GET', KEYS[2]) or '0')
if pages >= tonumber(ARGV[1]) or seconds >= tonumber(ARGV[2]) then
  return {0, pages, tostring(seconds)}
end
pages = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, pages, tostring(seconds)}
"""


@dataclass(slots=True)
class SharedRenderBudget(RenderBudget):
    """`RenderBudget` whose night counts are Redis's (``pages``/``seconds`` stay this process's
    own share, for its logs)."""

    url: str = ""
    run_id: int = 0
    prefix: str = PREFIX
    _redis: redis.Redis | None = field(default=None, repr=False)

    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self.url, socket_timeout=2.0, socket_connect_timeout=2.0
            )
        return self._redis

    def _keys(self) -> list[str]:
        base = f"{self.prefix}{self.run_id}"
        return [base + ":pages", base + ":seconds"]

    def reserve(self) -> None:
        try:
            taken, pages, seconds = self._client().eval(
                _RESERVE, 2, *self._keys(), self.night_pages, self.night_seconds, KEEP_SECONDS
            )
        except (redis.RedisError, OSError) as exc:
            reason = f"渲染预算无法核对（Redis 不可用：{type(exc).__name__}）"
            raise RenderBudgetSpent(reason) from exc
        if not int(taken):
            raise RenderBudgetSpent(
                f"渲染预算已用完（全部工作进程）：{int(pages)} 页 / {float(seconds):.0f} 秒"
                f"（上限 {self.night_pages} 页 / {self.night_seconds:.0f} 秒）"
            )
        self.pages += 1

    def spend(self, seconds: float) -> None:
        self.seconds += seconds
        key = self._keys()[1]
        # best effort: a lost addition only lets the night render a little longer
        with contextlib.suppress(redis.RedisError, OSError):
            pipe = self._client().pipeline()
            pipe.incrbyfloat(key, seconds)
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
            self._redis = None
