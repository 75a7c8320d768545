"""Scorecards: the scanner's facts mapped to ``scoring``, scored, stored and rendered.

``facts`` reads ``SiteFacts`` for many sites in bulk; ``compute`` scores and stores them (checks
not yet run are left unjudged, never charged); ``render`` prints the Chinese table and writes the
official 评分表 layout as xlsx.
"""

from scanner.scorecards.compute import (
    Scored,
    card_at,
    card_body,
    score_and_store,
    score_input,
    score_sites,
    stored_card,
    window_for,
)
from scanner.scorecards.facts import CHECKS, SiteInput, Window, load_site_inputs

__all__ = [
    "CHECKS",
    "Scored",
    "SiteInput",
    "Window",
    "card_at",
    "card_body",
    "load_site_inputs",
    "score_and_store",
    "score_input",
    "score_sites",
    "stored_card",
    "window_for",
]
