"""Content checks for `veto.serious_error` candidates: miswritten leaders' names, forbidden words.

A serious error vetoes a site, and only a reviewer can confirm one, so the checks here favour
precision: every hit becomes a candidate in the 人工复核 queue with its page and an excerpt.

- **Protected names**: for each name in ``config/wordlists/leaders.yaml`` every form with ONE
  character replaced by a homophone (same pinyin, any tone, found with pypinyin's dictionary)
  or a listed near-form character (形近字) is searched for. A form counts only right next to
  one of that leader's titles (总书记习近平, 李强总理), after a correct protected name in a
  list (习近平、李墙), or — for three-character names — before 同志. A bare variant is too
  likely to be someone else.
- **Forbidden words**: lists per category in ``config/wordlists/forbidden.yaml``, matched with
  one Aho-Corasick automaton over the visible text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

__all__ = [
    "ContentChecker", "ContentHit", "Leader", "Wordlists", "default_wordlists_dir",
    "homophones", "load_wordlists", "name_variants",
]  # fmt: skip

MISSPELT_NAME = "misspelt_name"
FORBIDDEN_WORD = "forbidden_word"
EXCERPT = 30  # characters each side of a hit
_GAP_RE = re.compile(r"^[\s\u3000]{0,2}")
_LIST_SEP = "、，, "


@dataclass(frozen=True, slots=True)
class Leader:
    name: str
    titles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Wordlists:
    leaders: tuple[Leader, ...] = ()
    name_context: tuple[str, ...] = ("同志",)
    near_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    forbidden: dict[str, tuple[str, ...]] = field(default_factory=dict)  # category → words


@dataclass(frozen=True, slots=True)
class ContentHit:
    """One candidate: ``kind`` misspelt_name | forbidden_word; ``expected`` is the correct name
    or the word list's category."""

    kind: str
    matched: str
    expected: str
    excerpt: str
    start: int
    context: str = ""  # the title or neighbour that made the hit count


def default_wordlists_dir() -> Path:
    """``config/wordlists`` of the installed census_config package (or the checkout)."""
    try:
        return Path(str(resources.files("census_config"))) / "wordlists"
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / "config" / "wordlists"


def _load_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text("utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def load_wordlists(directory: Path | None = None) -> Wordlists:
    """Read leaders.yaml and forbidden.yaml (either may be absent: that check is off)."""
    directory = directory or default_wordlists_dir()
    people = _load_yaml(directory / "leaders.yaml")
    words = _load_yaml(directory / "forbidden.yaml")
    leaders = tuple(
        Leader(str(e["name"]), tuple(str(t) for t in e.get("titles") or ()))
        for e in people.get("leaders") or ()
    )
    near = {
        str(k): tuple(str(c) for c in v or ()) for k, v in (people.get("near_forms") or {}).items()
    }
    forbidden = {
        str(k): tuple(str(w) for w in v or () if str(w).strip())
        for k, v in (words.get("categories") or {}).items()
    }
    context = tuple(str(c) for c in people.get("name_context") or ("同志",))
    return Wordlists(leaders, context, near, forbidden)


@lru_cache(maxsize=1)
def _pinyin() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """From pypinyin's dictionary, in one pass: toneless reading → the CJK characters that have
    it, and character → its toneless readings.

    pypinyin is imported here, not at the top: its dictionaries take tens of megabytes and
    only building name variants needs them.
    """
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    by_sound: dict[str, set[str]] = {}
    by_char: dict[str, frozenset[str]] = {}
    for code, raw in pinyin_dict.items():
        ch = chr(code)
        readings = frozenset(to_normal(r) for r in raw.split(",") if r)
        by_char[ch] = readings
        if 0x4E00 <= code <= 0x9FFF:
            for reading in readings:
                by_sound.setdefault(reading, set()).add(ch)
    return {k: frozenset(v) for k, v in by_sound.items()}, by_char


def _by_sound() -> dict[str, frozenset[str]]:
    return _pinyin()[0]


def _readings(ch: str) -> frozenset[str]:
    return _pinyin()[1].get(ch, frozenset())


def homophones(ch: str) -> frozenset[str]:
    """Characters sharing a reading with ``ch`` (tones ignored), ``ch`` itself excluded."""
    index = _by_sound()
    found: set[str] = set()
    for reading in _readings(ch):
        found |= index.get(reading, frozenset())
    found.discard(ch)
    return frozenset(found)


def name_variants(name: str, near_forms: dict[str, tuple[str, ...]] | None = None) -> set[str]:
    """Every form of ``name`` with exactly one character replaced by a homophone or look-alike."""
    near_forms = near_forms or {}
    out: set[str] = set()
    for i, ch in enumerate(name):
        for other in homophones(ch) | set(near_forms.get(ch, ())):
            if other != ch:
                out.add(name[:i] + other + name[i + 1 :])
    return out


def _excerpt(text: str, start: int, end: int) -> str:
    left = max(0, start - EXCERPT)
    right = min(len(text), end + EXCERPT)
    snippet = text[left:start] + "【" + text[start:end] + "】" + text[end:right]
    return re.sub(r"\s+", " ", snippet).strip()


class ContentChecker:
    """Both automatons built once; `check` is then one pass each over a page's text."""

    def __init__(self, lists: Wordlists) -> None:
        self.lists = lists
        self._names = {leader.name for leader in lists.leaders}
        self._variants: ahocorasick.Automaton | None = None
        self._words: ahocorasick.Automaton | None = None
        if lists.leaders:
            auto = ahocorasick.Automaton()
            for leader in lists.leaders:
                for variant in name_variants(leader.name, lists.near_forms):
                    if variant not in self._names:
                        auto.add_word(variant, (variant, leader))
            auto.make_automaton()
            self._variants = auto
        words = [(w, cat) for cat, ws in lists.forbidden.items() for w in ws]
        if words:
            auto = ahocorasick.Automaton()
            for word, cat in words:
                auto.add_word(word.lower(), (word, cat))
            auto.make_automaton()
            self._words = auto

    def _name_context(self, text: str, start: int, end: int, leader: Leader) -> str:
        """The title or neighbour that makes a variant a name, or "" when nothing does."""
        before = text[max(0, start - 12) : start].rstrip(" \u3000")
        after = _GAP_RE.sub("", text[end : end + 14])
        for title in leader.titles:
            if before.endswith(title) or after.startswith(title):
                return title
        if len(leader.name) >= 3:
            for word in self.lists.name_context:
                if after.startswith(word):
                    return word
        # In a list of leaders: 习近平、李墙、赵乐际
        left = before.rstrip(_LIST_SEP)
        right = after.lstrip(_LIST_SEP)
        if left != before or right != after:
            for name in self._names:
                if (left != before and left.endswith(name)) or (
                    right != after and right.startswith(name)
                ):
                    return name
        return ""

    def check(self, text: str) -> list[ContentHit]:
        """Candidate hits in one page's visible text, in text order."""
        hits: list[ContentHit] = []
        if self._variants is not None:
            for end_index, (variant, leader) in self._variants.iter(text):
                start = end_index - len(variant) + 1
                end = end_index + 1
                context = self._name_context(text, start, end, leader)
                if context:
                    hits.append(
                        ContentHit(
                            MISSPELT_NAME,
                            variant,
                            leader.name,
                            _excerpt(text, start, end),
                            start,
                            context,
                        )
                    )
        if self._words is not None:
            for start, end, cat in _merged(self._words.iter(text.lower())):
                hits.append(
                    ContentHit(
                        FORBIDDEN_WORD, text[start:end], cat, _excerpt(text, start, end), start
                    )
                )
        hits.sort(key=lambda h: h.start)
        return _dedupe(hits)


def _merged(found: Iterable[tuple[int, tuple[str, str]]]) -> list[tuple[int, int, str]]:
    """Overlapping word hits as one span (真人百家乐 + 百家乐开户 → 真人百家乐开户)."""
    spans = sorted((end + 1 - len(word), end + 1, cat) for end, (word, cat) in found)
    out: list[tuple[int, int, str]] = []
    for start, end, cat in spans:
        if out and start < out[-1][1]:
            prev = out[-1]
            out[-1] = (prev[0], max(prev[1], end), prev[2])
        else:
            out.append((start, end, cat))
    return out


def _dedupe(hits: Iterable[ContentHit]) -> list[ContentHit]:
    """One hit per (kind, matched) per page: a name misspelt twice is one finding."""
    seen: set[tuple[str, str]] = set()
    out = []
    for h in hits:
        key = (h.kind, h.matched)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out
