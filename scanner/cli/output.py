"""Shared console objects so every command prints the same way (and tests can capture it)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

# Piped output (CI logs, files) gets a wide console so Chinese tables are not squeezed.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
console_err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for machines: UTF-8 Chinese as-is, stable key order as given, no colour."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# The failure taxonomy as officials read it (the stored values stay the English ids). Keyed by
# scanner.http.FailureKind's values (a StrEnum, so its members look up the same), spelled out
# so that importing the consoles does not load httpx; tests/test_cli_imports.py keeps them equal.
FAILURE_LABELS: dict[str, str] = {
    "dns": "域名解析失败",
    "connect": "无法连接",
    "tls": "证书/TLS错误",
    "timeout": "超时（15秒内未打开）",
    "http_status": "HTTP错误状态",
    "empty": "空白页面",
    "too_large": "页面过大",
    "redirect_loop": "循环跳转",
    "protocol": "协议错误",
}


def failure_label(kind: str | None) -> str:
    return FAILURE_LABELS.get(kind, kind) if kind else ""
