"""Database rows → ``scoring.SiteFacts``: what the scanner knew about each site at T.

Read in bulk: one query per fact table for a chunk of sites (not one per site), so scoring a
province's or a country's sites is bounded by the table scans, not by round trips. Raw driver
values are read where SQLAlchemy's per-row type processing would dominate (SQLite datetimes).

A check the scanner has not run yet for a site (no column read, no finished crawl, interaction
and service checks not built) is reported in ``SiteInput.not_run``; ``scanner.scorecards.compute``
then leaves its rules unjudged and makes the card provisional instead of deducting for facts that
were never collected.
"""

from scanner.scorecards.facts.assemble import iter_site_inputs, load_site_inputs, running_site_ids
from scanner.scorecards.facts.interaction import interaction_facts
from scanner.scorecards.facts.window import CHECKS, COLUMNS, INTERACTION, LINKS, SiteInput, Window

__all__ = [
    "CHECKS",
    "COLUMNS",
    "INTERACTION",
    "LINKS",
    "SiteInput",
    "Window",
    "interaction_facts",
    "iter_site_inputs",
    "load_site_inputs",
    "running_site_ids",
]
