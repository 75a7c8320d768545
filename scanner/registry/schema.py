"""Validation of a registry: pydantic models for each entry, then checks across entries.

Each organisation and site is validated on its own so that one bad entry does not hide the
problems of the others; pydantic's error locations are data paths, which ``RawForm.where`` turns
back into YAML lines or xlsx rows. Nothing here touches the database: what the database already
knows (organisation codes and their parents) is passed in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
)

from scanner.db.models import ColumnCategory, OrgLevel, SiteStatus, SiteType
from scanner.errors import RegistryError
from scanner.registry import vocab
from scanner.registry.form import Path, RawForm

# ------------------------------------------------------------------ field types


def check_url(value: str) -> str:
    """Only absolute http(s) URLs with a host: anything else cannot be probed or crawled."""
    if re.search(r"\s", value):
        raise ValueError(f"URL {value!r} contains spaces")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"URL {value!r} must start with http:// or https://")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ValueError(f"URL {value!r} is malformed ({exc})") from None
    if not host or not re.fullmatch(r"[0-9a-z.\-\[\]:]+", host) or host.startswith("."):
        raise ValueError(f"URL {value!r} has no valid host name")
    return value


def check_host(value: str) -> str:
    if not re.fullmatch(r"(?:[0-9a-z\-]+\.)*[0-9a-z\-]+(?::\d+)?", value.lower()):
        raise ValueError(f"{value!r} is not a host name (write www.example.gov.cn, no http://)")
    return value.lower()


_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def no_controls(value: str) -> str:
    """Refuse control characters (ESC, NUL, bidi overrides): a register has no use for them,
    they would drive the terminal of whoever lists it, and PostgreSQL cannot store NUL."""
    found = _CONTROL_RE.search(value)
    if found:
        raise ValueError(f"contains control character U+{ord(found.group()):04X}")
    return value


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(no_controls),
]
OptText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(no_controls)
]
Code = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[0-9A-Za-z][0-9A-Za-z_\-.]*$"
    ),
]
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(check_url),
]
Host = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(check_host)
]
Day = Annotated[date | None, BeforeValidator(vocab.to_date)]


def _bool(what: str) -> BeforeValidator:
    return BeforeValidator(lambda v: vocab.to_bool(v, what))


TypeField = Annotated[
    SiteType,
    BeforeValidator(lambda v: vocab.to_enum(v, SiteType, vocab.SITE_TYPE_WORDS, "site type")),
]
StatusField = Annotated[
    SiteStatus,
    BeforeValidator(lambda v: vocab.to_enum(v, SiteStatus, vocab.STATUS_WORDS, "status")),
]
LevelField = Annotated[
    OrgLevel,
    BeforeValidator(lambda v: vocab.to_enum(v, OrgLevel, vocab.LEVEL_WORDS, "level")),
]
CategoryField = Annotated[
    ColumnCategory,
    BeforeValidator(
        lambda v: vocab.to_enum(v, ColumnCategory, vocab.CATEGORY_WORDS, "column category")
    ),
]

# ------------------------------------------------------------------ entries


class Entry(BaseModel):
    """Unknown keys are errors: a typo (``catgory``) must not silently drop a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgEntry(Entry):
    """A node of the supervising hierarchy; ``parent`` is another organisation's code."""

    code: Code
    name: Text
    level: LevelField
    parent: Code | None = None


class ColumnEntry(Entry):
    """A 栏目 or online system; its category picks the update window of rules-2015.md."""

    name: Text
    url: Url
    category: CategoryField
    exempt: Annotated[bool, _bool("exempt")] = False
    static: Annotated[bool, _bool("static")] = False
    selector: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    render: Annotated[bool, _bool("render")] = False  # read through the headless browser


class SiteEntry(Entry):
    """One website keyed by its 网站标识码; ``columns=None`` means "not managed by this file"."""

    code: Code
    name: Text
    url: Url
    host_org: OptText = ""
    type: TypeField
    organisation: Code
    icp: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(no_controls)
    ] = ""
    police: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(no_controls)
    ] = ""
    status: StatusField = SiteStatus.RUNNING
    opened_on: Day = None
    closed_on: Day = None
    merged_on: Day = None
    merged_into: Code | None = None
    navigation_only: Annotated[bool | None, _bool("navigation_only")] = None
    own_hosts: list[Host] = []
    columns: list[ColumnEntry] | None = None


class Document(Entry):
    """The top level: only these two keys."""

    organisations: list[Any] = []
    sites: list[Any] = []


@dataclass(frozen=True)
class Registry:
    """A validated registry, ready to be written."""

    file: str
    organisations: list[OrgEntry]
    sites: list[SiteEntry]


M = TypeVar("M", bound=Entry)

FIELDS: dict[str, list[str]] = {
    "document": list(Document.model_fields),
    "organisation": list(OrgEntry.model_fields),
    "site": list(SiteEntry.model_fields),
    "column": list(ColumnEntry.model_fields),
}

# ------------------------------------------------------------------ pydantic errors → problems


def _kind_at(loc: Path) -> str:
    """Which kind of entry an error location is inside (for "did you mean" suggestions)."""
    if len(loc) >= 4 and loc[0] == "sites" and loc[2] == "columns":
        return "column"
    if len(loc) >= 2 and loc[0] == "sites":
        return "site"
    if len(loc) >= 2 and loc[0] == "organisations":
        return "organisation"
    return "document"


def _message(err: Mapping[str, Any], loc: Path) -> str:
    kind, value = err["type"], err.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, FIELDS[_kind_at((*loc[:-1], "x"))], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        allowed = ", ".join(FIELDS[_kind_at((*loc[:-1], "x"))])
        return f"unknown field '{key}'{hint}; allowed: {allowed}"
    if kind == "string_type":
        hint = " — put codes and numbers in quotes" if isinstance(value, int | float) else ""
        return f"expected text, got {type(value).__name__} {value!r}{hint}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long (at most {err['ctx']['max_length']} characters)"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a code (letters, digits, '-', '_' or '.')"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {type(value).__name__}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping (key: value), got {type(value).__name__}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def _validate_entry(form: RawForm, model: type[M], raw: Any, path: Path) -> M | None:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = path + tuple(err["loc"])
            _, label = form.where(loc)
            if err["type"] == "missing" and label in form.muted:
                continue
            form.add(loc, _message(err, loc))
        return None


# ------------------------------------------------------------------ cross-entry checks


def _raw_code(raw: Any) -> str | None:
    code = raw.get("code") if isinstance(raw, dict) else None
    return code.strip() if isinstance(code, str) else None


def _check_orgs(
    form: RawForm, raws: list[Any], orgs: dict[int, OrgEntry], known: dict[str, str | None]
) -> set[str]:
    """Duplicates, unknown parents and cycles; returns every organisation code now known."""
    first: dict[str, int] = {}
    for i, org in orgs.items():
        if org.code in first:
            loc, _ = form.where(("organisations", first[org.code], "code"))
            form.add(
                ("organisations", i, "code"),
                f"duplicate organisation code '{org.code}' (first at {loc})",
            )
        else:
            first[org.code] = i
    in_file = {c for c in (_raw_code(r) for r in raws) if c}
    codes = in_file | set(known)
    parents = dict(known)
    for code, i in first.items():
        parents[code] = orgs[i].parent
    for code, i in first.items():
        parent = orgs[i].parent
        if parent is None:
            continue
        if parent not in codes:
            form.add(
                ("organisations", i, "parent"),
                f"unknown organisation '{parent}' (not in this file nor in the database)",
            )
            continue
        seen: set[str] = {code}
        node: str | None = parent
        while node is not None and node not in seen:
            seen.add(node)
            node = parents.get(node)
        if node == code:
            form.add(
                ("organisations", i, "parent"),
                f"parent '{parent}' makes a cycle: '{code}' would be its own ancestor",
            )
    return codes


def _check_sites(form: RawForm, sites: dict[int, SiteEntry], org_codes: set[str]) -> None:
    first_code: dict[str, int] = {}
    first_url: dict[str, int] = {}
    for i, site in sites.items():
        at: Path = ("sites", i)
        if site.code in first_code:
            loc, _ = form.where(("sites", first_code[site.code], "code"))
            form.add((*at, "code"), f"duplicate 网站标识码 '{site.code}' (first at {loc})")
        else:
            first_code[site.code] = i
        url_key = site.url.lower().rstrip("/")
        if url_key in first_url:
            loc, _ = form.where(("sites", first_url[url_key], "url"))
            form.add((*at, "url"), f"homepage {site.url} is already registered (at {loc})")
        else:
            first_url.setdefault(url_key, i)
        if site.organisation not in org_codes:
            form.add(
                (*at, "organisation"),
                f"unknown organisation '{site.organisation}' "
                "(not in this file nor in the database)",
            )
        _check_status(form, at, site)
        seen: dict[str, int] = {}
        for k, column in enumerate(site.columns or []):
            if column.url in seen:
                loc, _ = form.where((*at, "columns", seen[column.url], "url"))
                form.add(
                    (*at, "columns", k, "url"),
                    f"column URL {column.url} appears twice for this site (first at {loc})",
                )
            else:
                seen[column.url] = k
            if column.static and column.category is not ColumnCategory.OTHER_INFO:
                form.add(
                    (*at, "columns", k, "static"),
                    f"only other_info columns may be static, this one is {column.category}",
                )


def _check_status(form: RawForm, at: Path, site: SiteEntry) -> None:
    """Dates must fit the status, so a typo in one of them does not go unnoticed."""
    if site.closed_on and site.status is not SiteStatus.CLOSED:
        form.add((*at, "closed_on"), f"closed_on is set but status is {site.status}")
    if site.status is not SiteStatus.MERGED:
        for name in ("merged_on", "merged_into"):
            if getattr(site, name):
                form.add((*at, name), f"{name} is set but status is {site.status}")
    if site.merged_into and site.merged_into == site.code:
        form.add((*at, "merged_into"), "a site cannot be merged into itself")
    for name in ("closed_on", "merged_on"):
        end = getattr(site, name)
        if site.opened_on and end and end < site.opened_on:
            form.add((*at, name), f"{name} {end} is before opened_on {site.opened_on}")


# ------------------------------------------------------------------ entry point


def validate(form: RawForm, known_orgs: dict[str, str | None]) -> Registry:
    """The validated registry, or RegistryError with every problem of the file at once.

    ``known_orgs`` maps the organisation codes already in the database to their parent codes.
    """
    data = form.data
    orgs: dict[int, OrgEntry] = {}
    sites: dict[int, SiteEntry] = {}
    raw_orgs: list[Any] = []
    raw_sites: list[Any] = []
    if data is None and not form.problems:
        form.add((), "the file is empty; expected 'organisations' and 'sites'")
    elif data is not None:
        doc = _validate_entry(form, Document, data, ())
        if doc is not None:
            raw_orgs, raw_sites = doc.organisations, doc.sites
    for i, raw in enumerate(raw_orgs):
        org = _validate_entry(form, OrgEntry, raw, ("organisations", i))
        if org is not None:
            orgs[i] = org
    for i, raw in enumerate(raw_sites):
        site = _validate_entry(form, SiteEntry, raw, ("sites", i))
        if site is not None:
            sites[i] = site
    org_codes = _check_orgs(form, raw_orgs, orgs, known_orgs)
    _check_sites(form, sites, org_codes)
    if form.problems:
        raise RegistryError(form.sorted_problems())
    return Registry(file=form.file, organisations=list(orgs.values()), sites=list(sites.values()))
