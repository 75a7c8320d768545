"""Availability monitoring: probe rounds, their schedule, and the week's figures per site."""

from scanner.monitor.rounds import (
    RoundOptions,
    RoundOutcome,
    Target,
    load_targets,
    probe_and_store,
    record_missed,
    run_round,
    slot_of,
    store_round,
)
from scanner.monitor.simulate import run_simulated_days
from scanner.monitor.stats import DayCoverage, WeekStats, week_bounds, week_stats

__all__ = [
    "DayCoverage",
    "RoundOptions",
    "RoundOutcome",
    "Target",
    "WeekStats",
    "load_targets",
    "probe_and_store",
    "record_missed",
    "run_round",
    "run_simulated_days",
    "slot_of",
    "store_round",
    "week_bounds",
    "week_stats",
]
