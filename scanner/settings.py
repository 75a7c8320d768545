"""All settings in one place, with help text, from layered sources.

Priority, lowest first: defaults here < a TOML file (``CENSUS_CONFIG`` or ``./census.toml``) <
environment variables ``CENSUS_*`` < values a CLI command passes explicitly.
Thresholds of the scoring table are *not* settings: they live in the ruleset file.
"""

from __future__ import annotations

import copy
import inspect
import ipaddress
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from scanner.errors import ConfigError, Problem

DEFAULT_DB_FILE = "census.db"


def parse_host_map(text: str) -> dict[str, tuple[str, int]]:
    """Parse ``host=127.0.0.1:port,…`` (like ``curl --resolve``) into {host: (ip, port)}.

    A ``*.suffix`` host matches every name under that suffix.
    """
    mapping: dict[str, tuple[str, int]] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        host, sep, target = entry.partition("=")
        ip, colon, port = target.rpartition(":")
        if not sep or not colon or not host.strip() or not port.isdigit():
            raise ValueError(f"host map entry {entry!r} is not host=ip:port")
        mapping[host.strip().lower()] = (ip.strip("[]"), int(port))
    return mapping


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``10.0.0.0/8, 192.168.1.0/24`` → networks; ValueError names the bad entry."""
    out: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            out.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an address range such as 10.0.0.0/8") from None
    return out


# -- the layers and the checks (what pydantic-settings did here) -------------------------------
# Settings were a pydantic-settings model; `census scan` paid ≈ 3.5 MB of peak memory and
# ≈ 40 ms of start-up for it (pydantic-settings' import and its model of 60 plain fields),
# measured in docs/crawl.md ("A leaner scan"). The fields are str, int, float and bool with
# bounds, so the same layers and the same lax conversions as pydantic's are written here: the
# ``CENSUS_*`` environment read case-insensitively, strings converted as pydantic converts
# them ("1_000", " 5 ", "5.0" for an int; "true/yes/on/1/t/y" and their opposites for a
# bool), integers and bools accepted where a float is wanted, no number where text is wanted,
# unknown keys in the file or arguments refused. tests/test_settings.py holds the layers.


class FieldInfo:
    """A setting's default, help text and bounds (``Settings.model_fields[name]``)."""

    __slots__ = ("allow_inf_nan", "default", "description", "ge", "gt", "kind", "le", "name")

    def __init__(
        self,
        default: Any,
        description: str,
        gt: float | None,
        ge: float | None,
        le: float | None,
        allow_inf_nan: bool,
    ):
        self.default, self.description = default, description
        self.gt, self.ge, self.le, self.allow_inf_nan = gt, ge, le, allow_inf_nan
        self.name = self.kind = ""

    def convert(self, value: Any) -> Any:
        """The value as this setting's type, within its bounds; ValueError says why not."""
        value = _CONVERT[self.kind](value)
        if self.kind in ("int", "float"):
            if self.kind == "float" and not self.allow_inf_nan and not math.isfinite(value):
                raise ValueError("Input should be a finite number")
            if self.gt is not None and not value > self.gt:
                raise ValueError(f"Input should be greater than {self.gt}")
            if self.ge is not None and not value >= self.ge:
                raise ValueError(f"Input should be greater than or equal to {self.ge}")
            if self.le is not None and not value <= self.le:
                raise ValueError(f"Input should be less than or equal to {self.le}")
        return value


def Field(
    *,
    default: Any,
    description: str = "",
    gt: float | None = None,
    ge: float | None = None,
    le: float | None = None,
    allow_inf_nan: bool = True,
) -> Any:
    """A setting's declaration (named as the pydantic call the declarations were written for)."""
    return FieldInfo(default, description, gt, ge, le, allow_inf_nan)


def field_validator(name: str) -> Callable[[Any], Any]:
    """Marks a classmethod as the extra check of setting ``name`` (it returns the value)."""

    def mark(method: Any) -> Any:
        method.__func__.checks = name
        return method

    return mark


_INT_TEXT = re.compile(r"\s*[+-]?[0-9][0-9_]*(\.0*)?\s*")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("Input should be a valid string")


def _to_int(value: Any) -> int:
    if isinstance(value, bool | int):
        return int(value)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    if isinstance(value, str):
        if value.isascii() and _INT_TEXT.fullmatch(value) and "__" not in value:
            return int(value.strip().split(".")[0])
        raise ValueError("Input should be a valid integer, unable to parse string as an integer")
    raise ValueError("Input should be a valid integer")


def _to_float(value: Any) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        try:
            if value.isascii():
                return float(value)
        except ValueError:
            pass
        raise ValueError("Input should be a valid number, unable to parse string as a number")
    raise ValueError("Input should be a valid number")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
    raise ValueError("Input should be a valid boolean, unable to interpret input")


_CONVERT: dict[str, Callable[[Any], Any]] = {
    "str": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
}


class _Layered:
    """Fields declared as ``name: type = Field(...)``; an instance reads the layers (defaults
    < TOML file < ``CENSUS_*`` environment < keyword arguments) and checks every value."""

    model_fields: ClassVar[dict[str, FieldInfo]] = {}
    _checks: ClassVar[dict[str, Callable[[Any], Any]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        fields: dict[str, FieldInfo] = {}
        checks: dict[str, Callable[[Any], Any]] = {}
        for name, kind in inspect.get_annotations(cls).items():
            info = cls.__dict__.get(name)
            if isinstance(info, FieldInfo):
                info.name, info.kind = name, str(kind)
                fields[name] = info
                delattr(cls, name)  # the value lives on each instance
        for attr in list(cls.__dict__.values()):
            func = getattr(attr, "__func__", None)
            if func is not None and hasattr(func, "checks"):
                checks[func.checks] = getattr(cls, func.__name__)
        cls.model_fields, cls._checks = fields, checks

    def __init__(self, **values: Any) -> None:
        toml = _toml_layer()
        env = {k.lower(): v for k, v in os.environ.items()}
        problems: list[Problem] = []
        for name in [*toml, *values]:
            if name not in self.model_fields:
                problems.append(_problem(name, "Extra inputs are not permitted"))
        for name, info in self.model_fields.items():
            if name in values:
                raw = values[name]
            elif f"census_{name}" in env:
                raw = env[f"census_{name}"]
            else:
                raw = toml.get(name, info.default)
            try:
                value = info.convert(raw)
                check = self._checks.get(name)
                if check is not None:
                    value = check(value)
            except ValueError as exc:
                message = str(exc)
                if name in self._checks and not message.startswith("Input should"):
                    message = f"Value error, {message}"
                problems.append(_problem(name, message))
                continue
            self.__dict__[name] = value
        if problems:
            raise ConfigError(problems)

    def model_dump(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self.model_fields}

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with ``update`` applied as given (not checked, as pydantic's model_copy)."""
        other = copy.copy(self)
        other.__dict__.update(update or {})
        return other

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.model_dump().items())


def _problem(name: str, message: str) -> Problem:
    return Problem(
        file="settings (CENSUS_* environment or census.toml)",
        location="",
        field=name,
        message=message,
    )


def _toml_layer() -> dict[str, Any]:
    """``CENSUS_CONFIG`` or ``./census.toml`` if present (table ``[census]`` or top level)."""
    path = Path(os.environ.get("CENSUS_CONFIG", "census.toml"))
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file to read (≈ 2 ms of every command's start)

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(Problem(str(path), "", "", str(exc))) from exc
    data = raw.get("census", raw)
    return data if isinstance(data, dict) else {}


class Settings(_Layered):
    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DB_FILE}",
        description="SQLAlchemy URL of the database; a SQLite file by default, "
        "postgresql+psycopg://… for scale.",
    )
    host_map: str = Field(
        default="",
        description="host=ip:port,… — connect these host names to these addresses instead of "
        "DNS (the simulated farm and tests). '*.example.gov.cn=127.0.0.1:8080' maps a suffix.",
    )
    allowed_networks: str = Field(
        default="",
        description="Address ranges (CIDR, comma-separated) the scanner may connect to although "
        "they are not public (loopback, private, link-local), for intranet deployments; hosts "
        "named in the host map are always allowed. Empty: public addresses only.",
    )
    user_agent: str = Field(
        default="GovCensusBot/0.1 (+government website census; contact your supervising office)",
        description="User-Agent sent with every request, so site staff can recognise the scanner.",
    )
    page_timeout: float = Field(
        gt=0,
        le=3600,
        allow_inf_nan=False,
        default=15.0,
        description="Seconds a page may take to load completely before it counts as not opened "
        "(the table's 15-second rule).",
    )
    connect_timeout: float = Field(
        gt=0,
        le=3600,
        allow_inf_nan=False,
        default=10.0,
        description="Seconds to establish a connection.",
    )
    max_body_bytes: int = Field(
        ge=1024,
        le=1024**3,
        default=8 * 1024 * 1024,
        description="Bodies larger than this are cut off and recorded as too large.",
    )
    per_host_connections: int = Field(
        ge=1, le=64, default=2, description="At most this many open connections to one host."
    )
    per_host_rate: float = Field(
        gt=0,
        le=1_000_000,
        allow_inf_nan=False,
        default=4.0,
        description="At most this many requests per second to one host (10,000 or more: no "
        "rate limit, only the connection cap; for benchmarks on one's own server).",
    )
    verify_tls: bool = Field(
        default=True,
        description="Verify TLS certificates. An invalid certificate is recorded as a 'tls' "
        "failure either way when verification is on.",
    )
    extra_ca_file: str = Field(
        default="",
        description="A PEM file of extra certificate authorities to trust (the farm's test CA).",
    )

    render_pages: bool = Field(
        default=True,
        description="Read a column whose page lists nothing but looks script-built through "
        "headless Chromium (after trying the data URL its script requests); columns marked "
        "'render' always are.",
    )
    chromium_path: str = Field(
        default="/usr/bin/chromium", description="The Chromium that renders script-built pages."
    )
    render_page_seconds: float = Field(
        default=8.0, description="Seconds a rendered page may take to load and settle."
    )
    render_night_pages: int = Field(
        default=300,
        description="At most this many pages are rendered in one read of the sites (a night; on "
        "workers with a broker, all worker processes together, counted in Redis).",
    )
    render_night_seconds: float = Field(
        default=900.0,
        description="At most this many seconds of rendering in one read (on workers, all "
        "processes together).",
    )
    render_max_rss_mb: float = Field(
        default=400.0,
        description="The most memory a browser may use (MB, PSS of its processes), its peak while "
        "a page renders included: after a page, a browser above this less 40 MB of headroom "
        "per render slot first closes that page's emptied context; still above, it is "
        "restarted (after the pages still rendering in it end).",
    )
    render_slots: int = Field(
        ge=1,
        le=8,
        default=1,
        description="Pages one browser renders at once. One keeps the browser under 400 MB; "
        "two read ≈ 1.6x the pages a second but peak at ≈ 410–420 MB, so set "
        "render_max_rss_mb to 480 with them (40 MB of headroom a slot; under that the browser "
        "restarts so often that two slots are no faster than one).",
    )

    crawl_max_depth: int = Field(
        ge=0,
        le=1000,
        default=8,
        description="How many links deep a scan follows a site from its homepage (homepage = 0).",
    )
    crawl_max_pages: int = Field(
        ge=1, default=20_000, description="At most this many pages are fetched per site and scan."
    )
    crawl_query_cap: int = Field(
        ge=1,
        default=50,
        description="At most this many URLs per path and set of query parameter names "
        "(bounds calendar and search traps such as ?month=2024-01, ?month=2024-02, …).",
    )
    crawl_session_params: str = Field(
        default="sid,jsessionid,phpsessid,sessionid,aspsessionid,sessid,sess_id,session_id,"
        "cfid,cftoken",
        description="Query parameters dropped from every URL (session ids), comma-separated.",
    )
    crawl_sites_at_once: int = Field(
        ge=1,
        le=10_000,
        default=20,
        description="How many sites one scan run crawls at the same time.",
    )
    crawl_processes: int = Field(
        ge=1,
        le=256,
        default=1,
        description="Processes one scan run of many sites is split over (sites split by host, "
        "so per-host limits hold; hosts outside a process's sites get 1/N of the limits, "
        "counted over all the processes where 1/N is under one connection).",
    )
    link_check_bytes: int = Field(
        ge=512,
        le=1024**3,
        default=16_384,
        description="A GET made to check a link reads at most this many bytes (enough for the "
        "title and a soft-404 message), never a whole large file.",
    )
    link_checks_at_once: int = Field(
        ge=1,
        le=10_000,
        default=50,
        description="Link checks in flight at once over all hosts (each host stays within its "
        "own connection and rate limits).",
    )
    link_recheck_delay: float = Field(
        ge=0,
        le=366 * 86400,
        allow_inf_nan=False,
        default=6 * 3600.0,
        description="Seconds between a link's first failure and the re-check that confirms it; "
        "only confirmed broken links are charged.",
    )
    link_recheck_wait: float = Field(
        ge=0,
        le=366 * 86400,
        allow_inf_nan=False,
        default=300.0,
        description="A scan waits in-process for re-checks due within this many seconds; later "
        "ones are done by the next 'census scan' (or 'census scan --recheck').",
    )
    link_cache_ttl: float = Field(
        ge=0,
        le=366 * 86400,
        allow_inf_nan=False,
        default=24 * 3600.0,
        description="Seconds a check of an external target (e.g. www.gov.cn) is reused by "
        "other sites' scans.",
    )
    link_verdict_reuse: float = Field(
        ge=0,
        le=31 * 86400,
        allow_inf_nan=False,
        default=0.0,
        description="Seconds an 'ok' link verdict of the site's last finished scan stands for "
        "a check in the next scan (0: every link is checked every scan). Links on the homepage "
        "and the second-level pages, and broken or undetermined ones, are always checked; a "
        "link broken again as that scan confirmed it (same kind and HTTP status, confirmed "
        "within this window) is confirmed by the check, without another re-check.",
    )
    crawl_conditional: bool = Field(
        default=True,
        description="Fetch a page the last night read with If-None-Match / If-Modified-Since "
        "(its ETag and Last-Modified); a 304 Not Modified, or a body identical to the last "
        "one, reuses the page's stored links instead of parsing it again.",
    )
    crawl_page_reuse: float = Field(
        ge=0,
        le=31 * 86400,
        allow_inf_nan=False,
        default=0.0,
        description="Seconds a page deeper than the second level, read 'ok' by an earlier "
        "night, is not requested again: its stored links stand (0: every page is requested "
        "every night). The homepage and the second-level pages are always requested.",
    )
    crawl_detail_days: int = Field(
        ge=0,
        le=3650,
        default=31,
        description="Days a finished crawl keeps its pages, frontier and 'ok' link rows; then "
        "only its broken and undetermined links (with their evidence pages) and its stats stay, "
        "which is all scoring reads. A site's latest finished crawl is always kept whole. "
        "0: keep everything.",
    )
    link_max_occurrences: int = Field(
        ge=0,
        default=20,
        description="Pages stored as evidence per link target (all are counted); the homepage "
        "and second-level pages are always among them.",
    )
    retry_after_cap: float = Field(
        ge=0,
        le=86400,
        allow_inf_nan=False,
        default=600.0,
        description="Longest Retry-After (seconds) a host is paused for after a 429 or 503.",
    )

    canaries: str = Field(
        default="",
        description="Comma-separated URLs known to be up (a control site), probed with every "
        "round; when one fails, the round's probes are kept but marked invalid.",
    )
    probe_interval: float = Field(
        ge=1,
        le=86400,
        allow_inf_nan=False,
        default=3600.0,
        description="Seconds between two homepage probes of a site (3600: 24 a day, above the "
        "table's 20).",
    )
    probe_slots: int = Field(
        ge=1,
        le=86400,
        default=60,
        description="Stagger slots per interval; each site keeps its own slot, so load is even.",
    )
    probe_misfire_grace: int = Field(
        ge=0,
        le=86400,
        default=120,
        description="Seconds a round may start late and still count; later it is recorded as "
        "missed, never faked.",
    )
    probe_start_rate: float = Field(
        gt=0,
        le=100_000,
        allow_inf_nan=False,
        default=250.0,
        description="Probe starts per second within a round (spreads the starts so concurrency "
        "does not distort timings).",
    )
    probe_lag_limit_ms: float = Field(
        gt=0,
        allow_inf_nan=False,
        default=100.0,
        description="When the event loop is later than this during a round, the round's probes "
        "are marked invalid (the scanner's trouble, not the site's).",
    )

    nightly_start: str = Field(
        default="01:00",
        description="Beijing time (HH:MM) at which 'census monitor' starts the nightly pass: "
        "crawl and link checks, column reads, interaction/service/content checks, then scoring.",
    )
    nightly_window: float = Field(
        ge=0,
        le=86400,
        allow_inf_nan=False,
        default=4 * 3600.0,
        description="Seconds after the nightly start over which the sites' starts are spread "
        "(01:00–05:00 by default), so hosts are not all visited at once.",
    )
    nightly_sites_at_once: int = Field(
        default=4,
        ge=1,
        description="Sites whose nightly steps run at the same time: in the one process, or in "
        "each `census worker` process.",
    )
    nightly_steps: str = Field(
        default="crawl,columns,checks",
        description="Per-site steps of the nightly pass, in order, comma-separated "
        "(crawl = crawl and link checks, columns = column reads, checks = interaction, service "
        "and content checks).",
    )
    nightly_crawl_timeout: float = Field(
        gt=0,
        allow_inf_nan=False,
        default=3600.0,
        description="Seconds one site's crawl and link checks may take in the nightly pass; "
        "longer is recorded as a timeout and the scan resumes the next night.",
    )
    nightly_columns_timeout: float = Field(
        gt=0,
        allow_inf_nan=False,
        default=600.0,
        description="Seconds one site's column reads may take in the nightly pass.",
    )
    nightly_checks_timeout: float = Field(
        gt=0,
        allow_inf_nan=False,
        default=900.0,
        description="Seconds one site's interaction, service and content checks may take in the "
        "nightly pass.",
    )
    broker_url: str = Field(
        default="",
        description="Celery broker (redis://host:6379/0) for a census spread over workers: "
        "when set, 'census monitor' and 'census monitor run-nightly' enqueue the night's units "
        "and 'census worker' processes run them (see scale). Empty: everything in one process.",
    )
    broker_visibility_timeout: float = Field(
        gt=0,
        allow_inf_nan=False,
        default=7200.0,
        description="Seconds after which a unit taken by a worker that stopped answering (killed, "
        "machine lost) is handed to another worker; longer than any one site's nightly steps.",
    )
    nightly_score_lag_days: int = Field(
        default=0,
        ge=0,
        description="The nightly scoring's T is the night's date minus this many days (0: the "
        "night's own date, using the facts just gathered; 1: the day before, whose probes are "
        "complete).",
    )

    web_host: str = Field(default="127.0.0.1", description="Address `census serve` listens on.")
    web_port: int = Field(default=8000, ge=1, le=65535, description="Port `census serve` uses.")
    web_session_hours: float = Field(
        default=8.0, gt=0, description="Hours a web login lasts before the user must log in again."
    )
    web_login_failures: int = Field(
        default=5,
        ge=1,
        description="Failed logins for one user name within CENSUS_WEB_LOGIN_WINDOW that lock "
        "further tries for that name until the window has passed (a client address gets four "
        "times as many over all names).",
    )
    web_login_window: float = Field(
        default=900.0, gt=0, description="Seconds over which failed web logins are counted."
    )
    web_secure_cookies: bool = Field(
        default=False,
        description="Mark the session cookie Secure even when the request arrived as plain http "
        "(behind a TLS-terminating proxy); requests that arrive as https always get it.",
    )

    @property
    def nightly_step_list(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.nightly_steps.split(",") if s.strip())

    @property
    def canary_urls(self) -> list[str]:
        return [u.strip() for u in self.canaries.split(",") if u.strip()]

    @field_validator("nightly_start")
    @classmethod
    def _check_nightly_start(cls, value: str) -> str:
        hour, sep, minute = value.strip().partition(":")
        if not (sep and hour.isdigit() and minute.isdigit()) or not (
            0 <= int(hour) < 24 and 0 <= int(minute) < 60
        ):
            raise ValueError(f"nightly start {value!r} is not HH:MM")
        return value.strip()

    @field_validator("nightly_steps")
    @classmethod
    def _check_nightly_steps(cls, value: str) -> str:
        unknown = [s.strip() for s in value.split(",") if s.strip()]
        unknown = [s for s in unknown if s not in ("crawl", "columns", "checks")]
        if unknown:
            raise ValueError(f"unknown nightly steps {unknown} (crawl, columns, checks)")
        return value

    @field_validator("allowed_networks")
    @classmethod
    def _check_allowed_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("host_map")
    @classmethod
    def _check_host_map(cls, value: str) -> str:
        parse_host_map(value)
        return value

    @property
    def session_params(self) -> frozenset[str]:
        return frozenset(p.strip().lower() for p in self.crawl_session_params.split(",") if p)

    @property
    def host_map_parsed(self) -> dict[str, tuple[str, int]]:
        return parse_host_map(self.host_map)


def load_settings(**overrides: Any) -> Settings:
    """Build settings; a wrong value is a ConfigError that names the setting."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
