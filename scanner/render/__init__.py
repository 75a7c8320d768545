"""Rendering script-built pages in a headless browser (Playwright driving Debian's Chromium)."""

from scanner.render.browser import (
    CHROMIUM,
    SKIPPED_TYPES,
    RenderBudget,
    RenderBudgetSpent,
    RenderedPage,
    Renderer,
    RenderFailed,
    browser_rss_mb,
    renderer_for,
)

__all__ = [
    "CHROMIUM",
    "SKIPPED_TYPES",
    "RenderBudget",
    "RenderBudgetSpent",
    "RenderFailed",
    "RenderedPage",
    "Renderer",
    "browser_rss_mb",
    "renderer_for",
]
