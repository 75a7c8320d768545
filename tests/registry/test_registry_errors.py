"""Every kind of registry error names file, line and field; and nothing is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.clock import RealClock
from scanner.errors import RegistryError
from scanner.registry import import_file, store
from tests.registry.conftest import EXAMPLE, dump

BASE = """\
organisations:
  - {code: "990000", name: 示例省, level: province}
  - {code: "990100", name: 示例市, level: city, parent: "990000"}
  - {code: "990102", name: 示例县, level: county, parent: "990100"}
sites:
  - code: "9901020001"
    name: 示例县人民政府
    url: http://www.example-county.gov.cn/
    host_org: 示例县人民政府办公室
    type: portal
    organisation: "990102"
    opened_on: 2010-01-01
    columns:
      - {name: 工作动态, url: http://www.example-county.gov.cn/gzdt/, category: news}
      - {name: 通知公告, url: http://www.example-county.gov.cn/tzgg/, category: notice}
  - code: "9901000001"
    name: 示例市人民政府
    url: http://www.example-city.gov.cn/
    type: 门户
    organisation: "990100"
"""

# (id, old text, new text, line, field, words the message must contain)
CASES = [
    (
        "yaml-syntax",
        "    name: 示例市人民政府",
        "\tname: 示例市人民政府",
        17,
        None,
        "YAML syntax error",
    ),
    (
        "wrong-type-code",
        'code: "9901000001"',
        "code: 9901000001",
        16,
        "sites[1].code",
        "put codes and numbers in quotes",
    ),
    (
        "wrong-type-list",
        'organisation: "990100"',
        'organisation: ["990100"]',
        20,
        "sites[1].organisation",
        "expected text",
    ),
    (
        "wrong-type-bool",
        'organisation: "990100"',
        'organisation: "990100"\n    navigation_only: maybe',
        21,
        "sites[1].navigation_only",
        "true/false",
    ),
    (
        "unknown-category",
        "category: notice",
        "category: notices",
        15,
        "sites[0].columns[1].category",
        "unknown column category 'notices'",
    ),
    ("unknown-type", "type: 门户", "type: 门户网站x", 19, "sites[1].type", "unknown site type"),
    (
        "duplicate-code",
        'code: "9901000001"',
        'code: "9901020001"',
        16,
        "sites[1].code",
        "duplicate 网站标识码 '9901020001' (first at line 6)",
    ),
    (
        "url-no-scheme",
        "url: http://www.example-city.gov.cn/",
        "url: www.example-city.gov.cn",
        18,
        "sites[1].url",
        "must start with http:// or https://",
    ),
    (
        "url-no-host",
        "url: http://www.example-city.gov.cn/",
        "url: http:///index.html",
        18,
        "sites[1].url",
        "no valid host",
    ),
    (
        "column-url-ftp",
        "http://www.example-county.gov.cn/tzgg/",
        "ftp://example-county.gov.cn/",
        15,
        "sites[0].columns[1].url",
        "http://",
    ),
    (
        "unknown-organisation",
        'organisation: "990100"',
        'organisation: "990199"',
        20,
        "sites[1].organisation",
        "unknown organisation '990199'",
    ),
    (
        "unknown-parent",
        'parent: "990100"}',
        'parent: "990199"}',
        4,
        "organisations[2].parent",
        "unknown organisation '990199'",
    ),
    (
        "bad-date",
        "opened_on: 2010-01-01",
        "opened_on: 2010-02-30",
        12,
        "sites[0].opened_on",
        "not a real date",
    ),
    (
        "bad-date-text",
        "opened_on: 2010-01-01",
        "opened_on: last spring",
        12,
        "sites[0].opened_on",
        "bad date",
    ),
    (
        "missing-field",
        "    name: 示例市人民政府\n",
        "",
        16,
        "sites[1].name",
        "required field is missing",
    ),
    (
        "unknown-key",
        "host_org:",
        "host_orgg:",
        9,
        "sites[0].host_orgg",
        "unknown field 'host_orgg' (did you mean 'host_org'?)",
    ),
    ("unknown-top-key", "sites:\n", "site:\n", 5, "site", "unknown field 'site'"),
    (
        "duplicate-key",
        "    type: 门户\n",
        "    type: 门户\n    type: portal\n",
        20,
        "sites[1].type",
        "appears twice",
    ),
    (
        "status-dates",
        'organisation: "990100"',
        'organisation: "990100"\n    closed_on: 2015-01-01',
        21,
        "sites[1].closed_on",
        "status is running",
    ),
    (
        "static-not-other-info",
        "category: news}",
        "category: news, static: true}",
        14,
        "sites[0].columns[0].static",
        "only other_info",
    ),
    (
        "parent-cycle",
        '{code: "990000", name: 示例省, level: province}',
        '{code: "990000", name: 示例省, level: province, parent: "990102"}',
        2,
        "organisations[0].parent",
        "cycle",
    ),
]


@pytest.fixture
def seeded(run: Any, reg_db: Any) -> dict[str, Any]:
    """A database that already holds the example registry, to show an error changes nothing."""
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    return dump(reg_db)


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_yaml_error_is_located_and_nothing_is_written(
    tmp_path: Path,
    run: Any,
    reg_db: Any,
    seeded: dict[str, Any],
    old: str,
    new: str,
    line: int,
    field: str | None,
    words: str,
) -> None:
    assert old in BASE
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace(old, new, 1), encoding="utf-8")
    result = run("sites", "import", str(bad))
    assert result.exit_code == 2, result.output
    assert "数据库未作任何修改" in result.stderr
    lines = [x for x in result.stderr.splitlines() if str(bad) in x]
    expected = f"{bad}, line {line}" + (f", field '{field}'" if field else "")
    assert any(x.strip().startswith(expected) and words in x for x in lines), result.stderr
    assert dump(reg_db) == seeded


def test_base_file_is_valid(tmp_path: Path, run: Any) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE, encoding="utf-8")
    result = run("sites", "import", str(good))
    assert result.exit_code == 0, result.output


def test_not_a_mapping(tmp_path: Path, run: Any, reg_db: Any, seeded: dict[str, Any]) -> None:
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n", encoding="utf-8")
    result = run("sites", "import", str(bad))
    assert result.exit_code == 2
    assert f"{bad}, line 1" in result.stderr
    assert "expected a mapping" in result.stderr
    assert dump(reg_db) == seeded


@pytest.mark.parametrize("text", ["", "sites: 3\n", "organisations: {a: 1}\n"])
def test_empty_or_misshapen_file(tmp_path: Path, run: Any, text: str) -> None:
    bad = tmp_path / "odd.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run("sites", "import", str(bad))
    assert result.exit_code == 2
    assert str(bad) in result.stderr


def test_all_problems_are_reported_together_in_file_order(tmp_path: Path, run: Any) -> None:
    text = (
        BASE.replace("category: notice", "category: notices")
        .replace("host_org:", "hostorg:")
        .replace('organisation: "990100"', 'organisation: "990199"')
    )
    bad = tmp_path / "many.yaml"
    bad.write_text(text, encoding="utf-8")
    result = run("sites", "import", str(bad))
    assert result.exit_code == 2
    assert "有 3 个问题" in result.stderr
    located = [x for x in result.stderr.splitlines() if str(bad) in x and ", line " in x]
    assert [int(x.split(", line ")[1].split(",")[0]) for x in located] == [9, 15, 20]


def test_unknown_organisation_may_be_in_the_database(tmp_path: Path, run: Any) -> None:
    """A site may point at an organisation imported earlier, not repeated in this file."""
    assert run("sites", "import", str(EXAMPLE)).exit_code == 0
    only_site = tmp_path / "site.yaml"
    only_site.write_text(
        'sites:\n  - {code: "9901029999", name: 示例县教育局, '
        'url: http://jyj.example-county.gov.cn/, type: department, organisation: "990102"}\n',
        encoding="utf-8",
    )
    result = run("sites", "import", str(only_site))
    assert result.exit_code == 0, result.output


def test_missing_file_and_unknown_suffix(tmp_path: Path, run: Any) -> None:
    result = run("sites", "import", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "no such file" in result.stderr
    odd = tmp_path / "sites.csv"
    odd.write_text("x", encoding="utf-8")
    result = run("sites", "import", str(odd))
    assert result.exit_code == 2 and "unknown file type" in result.stderr


def test_a_failing_write_rolls_everything_back(
    reg_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Organisations and sites already flushed are rolled back when a later write fails."""
    before = dump(reg_db)

    def boom(*args: Any) -> bool:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_write_columns", boom)
    with pytest.raises(RuntimeError):
        import_file(reg_db, EXAMPLE, RealClock().now())
    assert dump(reg_db) == before


def test_registry_error_carries_every_problem(tmp_path: Path, reg_db: Any) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("type: portal", "type: blog"), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        import_file(reg_db, bad, RealClock().now())
    (problem,) = caught.value.problems
    assert (problem.file, problem.location, problem.field) == (str(bad), "line 10", "sites[0].type")
