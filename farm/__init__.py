"""Simulated government-site farm: many realistic sites on one loopback port, with ground truth.

Used by tests, benchmarks and ``census demo``; it never touches the internet. Independent of
``scanner``, ``scoring`` and ``probes`` so that it can judge them. See docs/farm.md.
"""

from farm.generate import generated_farm
from farm.scenario import (
    AttachmentSpec,
    ColumnSpec,
    DownPeriod,
    FarmSpec,
    Fault,
    GeneratedSpec,
    GuideSpec,
    ItemSpec,
    LinkSpec,
    MessageSpec,
    Organisation,
    SiteSpec,
    load_scenario,
)
from farm.server import Farm, FarmThread, midday_clock
from farm.truth import AttachmentTruth, ColumnTruth, GuideTruth, LinkTruth, MessageTruth, Truth

__all__ = [
    "AttachmentSpec", "AttachmentTruth", "ColumnSpec", "ColumnTruth", "DownPeriod", "Farm",
    "FarmSpec", "FarmThread", "Fault", "GeneratedSpec", "GuideSpec", "GuideTruth", "ItemSpec",
    "LinkSpec", "LinkTruth", "MessageSpec", "MessageTruth", "Organisation", "SiteSpec", "Truth",
    "generated_farm", "load_scenario", "midday_clock",
]  # fmt: skip
