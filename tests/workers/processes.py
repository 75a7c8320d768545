"""Starting `census worker` processes the way an operator does, for the worker tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CENSUS = [sys.executable, "-c", "from scanner.cli import main; main()"]


def start_worker(
    env: dict[str, str], log: Path, *options: str, own_group: bool = False
) -> subprocess.Popen[bytes]:
    """`census worker OPTIONS` logging to ``log``; ``own_group`` puts it in a process group of
    its own, so that a SIGKILL to the group kills it whole."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [*CENSUS, "worker", *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=own_group,
        )
