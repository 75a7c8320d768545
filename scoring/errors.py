"""Errors scoring raises on purpose.

``RulesetError`` is a ``ValueError`` (scoring must not import the scanner's exception tree); the
CLI maps it to ``ConfigError`` at its boundary. It carries every problem found, not just the
first, so an operator fixes an edited ruleset in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RulesetProblem:
    """One located problem: file, line (1-based, 0 when unknown), YAML path, rule id."""

    file: str
    line: int
    path: str
    message: str
    rule_id: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rule = f" [rule {self.rule_id}]" if self.rule_id else ""
        path = f" {self.path}:" if self.path else ""
        return f"{where}{rule}{path} {self.message}"


class RulesetError(ValueError):
    """A ruleset file was rejected; ``problems`` lists every problem found."""

    def __init__(self, problems: list[RulesetProblem]):
        self.problems = problems
        super().__init__("invalid ruleset:\n" + "\n".join(f"  {p}" for p in problems))
