"""Class 4, rulesets: a ruleset file given with ``--ruleset`` is operator input too — an alias
bomb, a deep nesting, a device or a folder ends in a clear error naming the file, in bounded
memory, before any database is opened."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from scoring import default_ruleset_path
from tests.hostile.conftest import Census, assert_clean

BOMB_TAIL = """
x_a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
x_b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
x_c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
x_d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
x_e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
x_f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
x_g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
x_h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
x_i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _real_ruleset() -> str:
    return Path(default_ruleset_path()).read_text(encoding="utf-8")


def _score_with(
    census: Census, tmp_path: Path, ruleset: str, *, measure: bool = False
) -> tuple[int, str, int]:
    # A database URL that cannot be opened: the ruleset must be refused before it is needed.
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'census.db'}"
    if measure:  # tracing slows every case; the bomb is the one to measure
        tracemalloc.start()
    try:
        ran = census("score", "--all", "--ruleset", ruleset, CENSUS_DATABASE_URL=url)
        peak = tracemalloc.get_traced_memory()[1] if measure else 0
    finally:
        tracemalloc.stop()
    assert_clean(ran)
    return ran.code, ran.err, peak


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(BOMB_TAIL, "aliases", id="billion-laughs"),
        pytest.param("\nx_deep: " + "[" * 2000 + "]" * 2000 + "\n", "nested too deeply", id="deep"),
    ],
)
def test_a_hostile_ruleset_file_is_refused_in_bounded_memory(
    census: Census, tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(_real_ruleset() + content, encoding="utf-8")
    code, err, peak = _score_with(census, tmp_path, str(path), measure=content is BOMB_TAIL)
    assert code == 2 and "hostile.yaml" in err and words in err, err
    assert peak < 64 * 1024 * 1024, peak


def test_the_real_ruleset_with_a_harmless_extra_key_is_not_refused_for_aliases(
    census: Census, tmp_path: Path
) -> None:
    """The control: the same file without the aliases gets past the ruleset check (it then
    fails on the database that cannot be opened, not on the ruleset)."""
    path = tmp_path / "plain.yaml"
    path.write_text(_real_ruleset(), encoding="utf-8")
    code, err, _ = _score_with(census, tmp_path, str(path))
    assert code == 2 and "no-such-dir" in err, err  # refused for the database, as it should be
    assert "aliases" not in err and "plain.yaml" not in err, err


@pytest.mark.parametrize(
    ("target", "words"),
    [
        pytest.param("/dev/zero", "not a regular file", id="dev-zero"),
        pytest.param("FOLDER", "is a folder", id="folder"),
        pytest.param("BIG", "larger than", id="huge"),
    ],
)
def test_a_ruleset_that_is_no_file_is_refused_before_reading(
    census: Census, tmp_path: Path, target: str, words: str
) -> None:
    if target == "FOLDER":
        target = str(tmp_path)
    elif target == "BIG":
        big = tmp_path / "big.yaml"
        with big.open("wb") as handle:  # sparse: the size is real, the disk is not used
            handle.truncate(64 * 1024 * 1024)
        target = str(big)
    code, err, _ = _score_with(census, tmp_path, target)
    assert code == 2 and words in err, err
