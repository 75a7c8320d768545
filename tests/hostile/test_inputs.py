"""Class 4: registry files are parsed strictly and within bounds — an alias bomb, a huge or
deeply nested file, a workbook with a stale <dimension> or a zip bomb is refused (or read
whole), with the file named, and nothing written."""

from __future__ import annotations

import re
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from scanner.db.models import Site
from scanner.registry.importer import MAX_REGISTRY_BYTES
from scanner.registry.xlsx_form import MAX_INFLATED_BYTES, write_xlsx
from tests.hostile.conftest import Census, assert_clean, fresh_db, registry_yaml

BILLION_LAUGHS = """organisations:
  - {code: "990000", name: 示例省, level: province}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
sites: *i
"""

MERGE = (
    registry_yaml("http://www.example.gov.cn/")
    .replace("    type: portal\n", "    type: portal\n    <<: *defaults\n")
    .replace("sites:\n", "defaults: &defaults {icp: 京ICP备1号}\nsites:\n")
)

ALIAS_NAME = (
    registry_yaml("http://www.example.gov.cn/", name="x")
    .replace('name: "x"', "name: *n")
    .replace("organisations:\n", "n: &n 名称\norganisations:\n")
)


def _sites(url: str) -> int:
    db = fresh_db(url)
    with db.session() as s:
        n = s.scalar(select(func.count()).select_from(Site)) or 0
    db.dispose()
    return n


def _import(
    census: Census, tmp_path: Path, name: str, content: str | bytes, *, measure: bool = False
) -> tuple[str, Any]:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    census("sites", "list", CENSUS_DATABASE_URL=url)  # everything imported before measuring
    if measure:
        tracemalloc.start()
    try:
        ran = census("sites", "import", str(path), CENSUS_DATABASE_URL=url)
        ran.peak = tracemalloc.get_traced_memory()[1] if measure else 0  # type: ignore[attr-defined]
    finally:
        tracemalloc.stop()
    return url, ran


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        pytest.param(BILLION_LAUGHS, "line 4", "aliases", id="billion-laughs"),
        pytest.param(MERGE, "line 10", "aliases", id="merge-key"),
        pytest.param(ALIAS_NAME, "line 6", "aliases", id="plain-alias"),
        pytest.param("sites: [" * 2000 + "]" * 2000, "", "nested too deeply", id="deep-nesting"),
        pytest.param("sites:\n  - code: [unclosed\n", "line", "YAML syntax", id="syntax"),
        pytest.param("\ufeff\x00\x01binary", "", "special characters", id="binary-garbage"),
    ],
)
def test_a_hostile_yaml_registry_is_refused_in_bounded_memory(
    census: Census, tmp_path: Path, content: str, line: str, words: str
) -> None:
    measure = content is BILLION_LAUGHS  # tracing slows every case; the bomb is the one
    url, ran = _import(census, tmp_path, "sites.yaml", content, measure=measure)
    peak = ran.peak  # type: ignore[attr-defined]
    assert_clean(ran)  # type: ignore[arg-type]
    assert ran.code == 2, ran.text  # type: ignore[attr-defined]
    assert "sites.yaml" in ran.err and line in ran.err and words in ran.err, ran.err  # type: ignore[attr-defined]
    assert peak < 64 * 1024 * 1024, peak
    assert _sites(url) == 0


def test_a_huge_registry_is_refused_before_reading(census: Census, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:  # sparse: the size is real, the disk is not used
        handle.truncate(MAX_REGISTRY_BYTES + 1)
    ran = census("sites", "import", str(path), CENSUS_DATABASE_URL=url)
    assert_clean(ran)
    assert ran.code == 2 and "huge.yaml" in ran.err and "larger than" in ran.err, ran.text
    assert _sites(url) == 0


@pytest.mark.parametrize(
    ("target", "words"),
    [
        pytest.param("/dev/zero", "not a regular file", id="dev-zero"),
        pytest.param("folder.yaml", "is a folder", id="folder"),
        pytest.param("missing.yaml", "no such file", id="missing"),
    ],
)
def test_a_registry_that_is_not_a_file_is_named(
    census: Census, tmp_path: Path, target: str, words: str
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    (tmp_path / "folder.yaml").mkdir()
    path = target if target.startswith("/") else str(tmp_path / target)
    ran = census("sites", "import", path, CENSUS_DATABASE_URL=url)
    assert_clean(ran)
    assert ran.code == 2 and path in ran.err and words in ran.err, ran.text


def _registry(n: int) -> dict[str, object]:
    return {
        "organisations": [{"code": "990000", "name": "示例省", "level": "province"}],
        "sites": [
            {
                "code": f"99000000{i:02d}",
                "name": f"示例网站{i}",
                "url": f"http://www{i}.example.gov.cn/",
                "host_org": "办公厅",
                "type": "portal",
                "organisation": "990000",
            }
            for i in range(n)
        ],
    }


def _rewrite(path: Path, edit: dict[str, Callable[[bytes], bytes]]) -> None:
    with zipfile.ZipFile(path) as old:
        members = {i.filename: old.read(i.filename) for i in old.infolist()}
    for name, change in edit.items():
        members[name] = change(members[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members.items():
            new.writestr(name, data)


@pytest.mark.parametrize("stale", ["A1:H2", "A1:A1", "A1:Z1"])
def test_an_xlsx_with_a_stale_dimension_loses_no_row(
    census: Census, tmp_path: Path, stale: str
) -> None:
    path = tmp_path / "sites.xlsx"
    write_xlsx(_registry(12), path)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    _rewrite(
        path,
        {
            n: lambda b: re.sub(
                rb'<dimension ref="[^"]*"/>', f'<dimension ref="{stale}"/>'.encode(), b
            )
            for n in sheets
        },
    )
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    ran = census("sites", "import", str(path), CENSUS_DATABASE_URL=url)
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert _sites(url) == 12  # every row, whatever the file's <dimension> claims


def test_an_xlsx_zip_bomb_is_refused_unread(census: Census, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    write_xlsx(_registry(1), path)
    block = bytes(8 * 1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _ in range(MAX_INFLATED_BYTES // len(block) + 1):
            member.write(block)
    url = f"sqlite:///{tmp_path / 'census.db'}"
    fresh_db(url).dispose()
    ran = census("sites", "import", str(path), CENSUS_DATABASE_URL=url)
    assert_clean(ran)
    assert ran.code == 2 and "bomb.xlsx" in ran.err and "unpacks to" in ran.err, ran.text
    assert _sites(url) == 0


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not a zip at all", id="garbage"),
        pytest.param(b"PK\x03\x04" + bytes(100), id="broken-zip"),
        pytest.param(None, id="truncated"),
    ],
)
def test_an_unreadable_xlsx_is_named(census: Census, tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "sites.xlsx"
    if content is None:
        write_xlsx(_registry(3), path)
        content = path.read_bytes()[: path.stat().st_size // 2]
    url, ran = _import(census, tmp_path, "sites.xlsx", content)
    assert_clean(ran)  # type: ignore[arg-type]
    assert ran.code == 2 and "sites.xlsx" in ran.err, ran.text  # type: ignore[attr-defined]
    assert _sites(url) == 0
