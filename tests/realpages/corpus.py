"""The real-page corpus: which pages, where their bytes live, and what a person read on each.

MANIFEST.tsv names every page by repository, commit and path with the SHA-256 of its bytes;
labels.yaml holds the truth written by reading each page (kind, published date, newest date,
list items in order). The page bytes themselves are third-party copies and are not committed:
they are materialised from a local mirror of the source repositories into a directory found as

1. ``CENSUS_TEST_REALPAGES_DIR`` when set,
2. ``tests/realpages/pages/`` (git-ignored) when it holds the pages,
3. ``../shared/realpages/`` beside the checkout (where the steering repository keeps data).

``python -m tests.realpages.corpus --mirror DIR`` copies every page out of a mirror whose
layout is ``DIR/<owner>+<name>/repo`` (a git directory, as the search tool's fetch leaves it)
and checks every digest. A page kept inside another file (a parser's test that pastes a saved
page into a string) names its byte range in the manifest's ``extract`` column
(``bytes=START-END`` of the file at that commit, or ``escaped=START-END`` for a page kept as an
escaped string literal inside a crawler's pickled record); the digest is of the page's bytes.

Some pages come from repositories too large to fetch whole; the search tool's ``read_file`` serves
their files one by one as stored text (16,000 characters a call). Their manifest ``source`` is
``index``: the page file is that text joined and encoded UTF-8 (the index gives ``\r\n`` line
ends as ``\n``; a declared charset is left as written). Materialising them needs the search tool
(read the file in pages, join, encode, write ``pages/<id>.html``); ``--mirror`` leaves them and
``--check`` verifies every page in place, naming those missing or changed.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DIR_ENV = "CENSUS_TEST_REALPAGES_DIR"
REQUIRED_ENV = "CENSUS_TEST_REALPAGES"
DEFAULT_AS_OF = date(2026, 12, 1)


@dataclass(frozen=True, slots=True)
class LabelledItem:
    href: str
    date: date | None
    state: str | None = None  # a message list's entries: answered | open, as the list shows


@dataclass(frozen=True, slots=True)
class Page:
    """One corpus page: where it came from and what a reader of it sees."""

    id: str
    repository: str
    commit: str
    path: str
    sha256: str
    site: str
    cms: str
    kind: str
    url: str
    published: date | None
    newest: date | None
    items: tuple[LabelledItem, ...] = field(default=())
    as_of: date | None = None
    extract: str = ""  # "bytes=START-END" when the page is a slice of the file
    source: str = "git"  # "git": bytes from a mirror; "index": text from the search tool's index
    redirect: str | None = None  # where a redirect stub sends the browser (kind "redirect")
    # One message's page (kind "messages", no list): (asked, answered, state) as it shows them.
    message: tuple[date | None, date | None, str] | None = None
    # A service guide (kind "guide"): each element category it shows, with its label as shown.
    guide: tuple[tuple[str, str], ...] = ()


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load() -> list[Page]:
    """Every page of the manifest joined with its labels (a page without labels is an error)."""
    labels = yaml.safe_load((HERE / "labels.yaml").read_text(encoding="utf-8"))
    pages = []
    with (HERE / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            label = labels[row["id"]]
            items = tuple(
                LabelledItem(
                    href=str(entry["href"]), date=_day(entry.get("date")), state=entry.get("state")
                )
                for entry in label.get("items") or ()
            )
            pages.append(
                Page(
                    id=row["id"], repository=row["repository"], commit=row["commit"],
                    path=row["path"], sha256=row["sha256"], site=row["site"], cms=row["cms"],
                    kind=label["kind"], url=label["url"], published=_day(label.get("published")),
                    newest=_day(label.get("newest")), items=items, as_of=_day(label.get("as_of")),
                    extract=row.get("extract") or "", source=row.get("source") or "git",
                    redirect=label.get("redirect"), message=_message(label.get("message")),
                    guide=tuple((str(k), str(v)) for k, v in (label.get("guide") or {}).items()),
                )
            )  # fmt: skip
    return pages


def _message(value: Any) -> tuple[date | None, date | None, str] | None:
    if not value:
        return None
    return _day(value.get("asked")), _day(value.get("answered")), str(value["state"])


def pages_dir() -> Path | None:
    """The directory holding the page bytes, or None when no copy is present."""
    configured = os.environ.get(DIR_ENV)
    candidates = (
        [Path(configured)] if configured else [HERE / "pages", ROOT.parent / "shared" / "realpages"]
    )
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.html")):
            return candidate
    return None


def page_bytes(page: Page, directory: Path) -> bytes:
    """The page's bytes, checked against the manifest's digest."""
    data = (directory / f"{page.id}.html").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != page.sha256:
        raise ValueError(f"{page.id}: sha256 {digest} is not the manifest's {page.sha256}")
    return data


def as_of(page: Page) -> date:
    """The scan day a page is read on: its label's, else one fixed day after every corpus date."""
    return page.as_of or DEFAULT_AS_OF


def materialize(mirror: Path, out: Path) -> int:
    """Copy every manifest page out of the mirrored git directories; returns pages written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for page in load():
        if page.source != "git":
            continue  # text read through the search tool's index, not a git object (see --check)
        base = mirror / page.repository.replace("/", "+") / "repo"
        git_dir = base / ".git" if (base / ".git").is_dir() else base
        data = subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"{page.commit}:{page.path}"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        data = _slice(data, page.extract)
        if hashlib.sha256(data).hexdigest() != page.sha256:
            raise ValueError(f"{page.id}: the mirror's bytes differ from the manifest")
        (out / f"{page.id}.html").write_bytes(data)
        written += 1
    return written


def _slice(data: bytes, extract: str) -> bytes:
    """The page's bytes inside the file: all of it, or the manifest's ``bytes=START-END``.

    ``escaped=START-END`` names a byte range holding the page as an escaped string literal
    (a crawler's pickled record, protocol 0: ``\\n``, ``\\xe6``, ``\\'``); the page is that
    range with its backslash escapes undone, so the bytes are the ones the crawler stored.
    """
    if not extract:
        return data
    kind, _, span = extract.partition("=")
    start, _, end = span.partition("-")
    if kind not in ("bytes", "escaped") or not start.isdigit() or not end.isdigit():
        raise ValueError(f"unknown extract {extract!r}")
    cut = data[int(start) : int(end)]
    return codecs.escape_decode(cut)[0] if kind == "escaped" else cut


def check(directory: Path) -> list[str]:
    """Pages missing from ``directory`` or whose digest differs from the manifest's."""
    problems = []
    for page in load():
        path = directory / f"{page.id}.html"
        if not path.is_file():
            problems.append(f"{page.id}: missing (source {page.source})")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != page.sha256:
            problems.append(f"{page.id}: sha256 {digest} is not the manifest's {page.sha256}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, help="copy the git-sourced pages out of DIR")
    parser.add_argument("--check", action="store_true", help="verify every page in place")
    parser.add_argument("--out", type=Path, default=HERE / "pages")
    args = parser.parse_args(argv)
    if args.mirror is None and not args.check:
        parser.error("give --mirror DIR, --check, or both")
    if args.mirror is not None:
        print(f"{materialize(args.mirror, args.out)} pages written to {args.out}")
    if args.check:
        problems = check(args.out)
        for problem in problems:
            print(problem)
        print(f"{len(load()) - len(problems)} pages verified in {args.out}")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
