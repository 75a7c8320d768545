"""Shared console objects so every command prints the same way (and tests can capture it)."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from scanner.http import FailureKind

# Piped output (CI logs, files) gets a wide console so Chinese tables are not squeezed.
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
console_err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON for machines: UTF-8 Chinese as-is, stable key order as given, no colour."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# The failure taxonomy as officials read it (the stored values stay the English ids).
FAILURE_LABELS: dict[str, str] = {
    FailureKind.DNS: "域名解析失败",
    FailureKind.CONNECT: "无法连接",
    FailureKind.TLS: "证书/TLS错误",
    FailureKind.TIMEOUT: "超时（15秒内未打开）",
    FailureKind.HTTP_STATUS: "HTTP错误状态",
    FailureKind.EMPTY: "空白页面",
    FailureKind.TOO_LARGE: "页面过大",
    FailureKind.REDIRECT_LOOP: "循环跳转",
    FailureKind.PROTOCOL: "协议错误",
}


def failure_label(kind: str | None) -> str:
    return FAILURE_LABELS.get(kind, kind) if kind else ""
