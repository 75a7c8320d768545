"""The 抽查 statistics of the 政府网站监管年度报表 (section 一 网站抽查).

A quarter's 抽查 is a seeded, reproducible sample of the sites running in an organisation's
tree (``sampling``); each sampled site's result is its stored scorecard at the sampling's
monitoring date. ``accountability`` keeps the 问责 entered by hand and counts them as the form's
instructions say; ``supervision`` turns both into the form's figures per quarter and for the
year; ``xlsx`` lays them out like the form. Decisions are written up in docs/reports.md.
"""

from scanner.errors import ReportError

__all__ = ["ReportError"]
