"""Compressed time: days of hourly rounds in seconds, on a simulated clock.

The farm (and the test fixture farm) read the same clock for their down periods, so a
scenario "site X is down 6 % of the week" yields exactly the failures the scenario defines:
each round sets the clock to its scheduled time, probes for real over loopback, and the site
answers as it would at that instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from scanner.clock import SimulatedClock
from scanner.db import Database
from scanner.monitor.rounds import (
    RoundOptions,
    RoundOutcome,
    Target,
    load_targets,
    probe_and_store,
    round_client,
)
from scanner.settings import Settings

# Simulated rounds are small and time is not scarce: pace starts faster than in production.
SIMULATED = RoundOptions(start_rate=2000.0)


async def run_simulated_days(
    db: Database,
    settings: Settings,
    clock: SimulatedClock,
    *,
    days: float,
    every: timedelta = timedelta(minutes=60),
    canaries: Sequence[str] = (),
    targets: Sequence[Target] | None = None,
    options: RoundOptions = SIMULATED,
) -> list[RoundOutcome]:
    """Run a round at ``clock.now()`` and every ``every`` after it for ``days`` days (the end
    excluded), storing each; the clock is left at the end of the period."""
    if targets is None:
        targets = load_targets(db)
    start = clock.now()
    count = int(timedelta(days=days) / every)
    outcomes: list[RoundOutcome] = []
    async with round_client(settings, options) as client:
        for index in range(count):
            when = start + index * every
            clock.set(when)
            outcome, _ = await probe_and_store(
                db,
                settings,
                clock=clock,
                scheduled_for=when,
                canaries=canaries,
                options=options,
                targets=targets,
                client=client,
            )
            outcomes.append(outcome)
    clock.set(start + count * every)
    return outcomes
