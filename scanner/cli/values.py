"""Option values checked once, the same way by every command, naming the option when wrong."""

from __future__ import annotations

from datetime import date

from scanner.errors import ConfigError

__all__ = ["EARLIEST_DAY", "LATEST_DAY", "parse_day"]

# Monitoring points outside these years are typing mistakes (0001-01-01, 9999-12-31); dates
# that far out also overflow the week and quarter arithmetic behind every report.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)


def parse_day(text: str, option: str = "--at") -> date:
    """A YYYY-MM-DD day between `EARLIEST_DAY` and `LATEST_DAY`, or a ConfigError naming
    ``option``."""
    try:
        day = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ConfigError(f"{option}: 不是日期 YYYY-MM-DD (not a date): {text!r}") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ConfigError(
            f"{option}: 日期应在 {EARLIEST_DAY} 至 {LATEST_DAY} 之间 (out of range): {text!r}"
        )
    return day
