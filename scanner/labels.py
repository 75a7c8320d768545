"""How officials read the scanner's English ids (stored values stay the ids).

Imports nothing, so the CLI's consoles and the scorecard renderer share one table without
loading httpx; tests/test_cli_imports.py keeps it equal to `scanner.http.FailureKind`.
"""

from __future__ import annotations

# The failure taxonomy: keyed by FailureKind's values (a StrEnum, so its members look up the same).
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

# How a column's entries were read (`PageRead.read_via`, stored on each column snapshot): the
# scorecard's 读取方式. "" is a column with no read by T.
READ_VIA_LABELS: dict[str, str] = {
    "static": "静态",
    "endpoint": "数据接口",
    "browser": "浏览器渲染",
    "unrendered": "未能读取（列表由脚本生成，浏览器未能渲染）",
    "": "未读取",
}


def read_via_label(value: str | None) -> str:
    return READ_VIA_LABELS.get(value or "", str(value))
