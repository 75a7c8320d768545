"""Benchmark: ``census scan``'s fixed cost — what one process pays before and after its crawl.

Run: /work/venv/bin/python bench/bench_startup.py [--runs 12] [--python /tmp/base-venv/bin/python]
     /work/venv/bin/python bench/bench_startup.py --breakdown   # where the start-up goes

Not a test. Times whole processes under ``/usr/bin/time`` (CPU = user + sys, peak RSS):

- *empty scan*: ``census scan bench`` of a registered site whose homepage is refused at once
  (a closed port on 127.0.0.1): the interpreter, the imports, the settings, the database check,
  the scan's rows, the summary and the exit, with no crawl to speak of. A fresh copy of the
  database each run.
- ``census scan --help`` and ``census --help``.

With ``--python`` (repeatable) the same runs go through each interpreter's ``census`` script
(e.g. main installed apart), alternated run by run so that a change of load falls on all of
them; the first is the baseline and each other's median is printed as a ratio to it, with the
runs it used less CPU in. Compare within one invocation only: on a shared machine the CPU time
of the same command moves by a third between minutes.

``--breakdown`` runs one child that imports the scan's modules group by group (the collector
off, as `census scan` imports) and prints each group's CPU, then the command's own run after
the imports. Traffic: 127.0.0.1 only (the refused homepage).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Import groups in the order `census scan` meets them (`--breakdown`); each line's CPU is what
# that group adds to those before it.
GROUPS: list[tuple[str, list[str]]] = [
    ("asyncio, ssl (the guard, the event loop)", ["asyncio"]),
    ("rich (output, progress, table)", ["rich.console", "rich.progress", "rich.table"]),
    ("typer (the command)", ["typer", "typer.main"]),
    ("scanner.cli (scan command, guard)", ["scanner.cli", "scanner.cli.edge", "scanner.cli.scan"]),
    ("SQLAlchemy Core", ["sqlalchemy"]),
    ("SQLAlchemy ORM", ["sqlalchemy.orm"]),
    ("httpx, httpcore", ["httpx", "httpcore"]),
    ("scanner.http", ["scanner.http"]),
    ("probes (page, links)", ["probes.page", "probes.links"]),
    ("the scan's models", ["scanner.db.models.registry", "scanner.db.models.crawl"]),
    ("scanner.crawl and the rest", ["scanner.crawl", "scanner.registry.lookup", "scanner.leases"]),
]

_CHILD = """
import gc, importlib, json, sys, time
gc.disable()
out = [("interpreter start", time.process_time())]
for label, modules in {groups!r}:
    before = time.process_time()
    for name in modules:
        importlib.import_module(name)
    out.append((label, time.process_time() - before))
gc.freeze()
gc.enable()
sys.argv = ["census", "scan", "bench"]
from scanner.cli import main
before = time.process_time()
try:
    main()
except SystemExit:
    pass
out.append(("the command itself (settings, database, scan rows, summary)",
            time.process_time() - before))
print("BREAKDOWN " + json.dumps([out, len(sys.modules)]))
"""


def compile_for(python: Path) -> None:
    """Write the bytecode of that interpreter's census, as ``pip install`` does: from an
    editable checkout under ``PYTHONDONTWRITEBYTECODE=1`` each run would otherwise compile our
    modules from source (≈ 0.07 CPU s; bench_crawl.compile_sources)."""
    find = (
        "import os, scanner, probes, scoring; "
        "print(*(os.path.dirname(m.__file__) for m in (scanner, probes, scoring)))"
    )
    dirs = subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True,
                          cwd="/").stdout.split()  # fmt: skip
    subprocess.run([str(python), "-m", "compileall", "-q", *dirs], stdout=subprocess.DEVNULL,
                   check=True)  # fmt: skip


def closed_port() -> int:
    """A loopback port nothing listens on: the homepage is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def make_database(folder: Path) -> Path:
    """A database at the code's schema with one site, ``bench``, on a refused port."""
    from bench_crawl import register  # the sites every bench registers, one way

    from scanner.db import Database

    path = folder / "template.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    register(db, f"127.0.0.1:{closed_port()}")
    db.dispose()
    return path


def timed(census: Path, args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(CPU s, peak RSS MB) of one ``census`` run under /usr/bin/time."""
    timing = cwd / "time.txt"
    cmd = ["/usr/bin/time", "-o", str(timing), "-f", "%U %S %M", str(census), *args]
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    user, system, rss_kb = timing.read_text().strip().splitlines()[-1].split()
    return float(user) + float(system), int(rss_kb) / 1024


def run_pairs(pythons: list[Path], runs: int, folder: Path, template: Path) -> None:
    cases = {"empty scan": ["scan", "bench"], "scan --help": ["scan", "--help"],
             "--help": ["--help"]}  # fmt: skip
    results: dict[tuple[str, int], list[tuple[float, float]]] = {
        (case, i): [] for case in cases for i in range(len(pythons))
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    env["CENSUS_DATABASE_URL"] = f"sqlite:///{folder / 'run.db'}"
    for run in range(runs):
        order = list(range(len(pythons)))
        if run % 2:
            order.reverse()
        for case, args in cases.items():
            for i in order:
                shutil.copy(template, folder / "run.db")
                for extra in ("run.db-wal", "run.db-shm"):
                    (folder / extra).unlink(missing_ok=True)
                census = pythons[i].with_name("census")
                results[(case, i)].append(timed(census, args, env, folder))
    print(f"{runs} runs each, alternated; load average now {os.getloadavg()[0]:.2f}")
    print(
        f"{'case':12} {'census of':44} {'CPU s median':>12} {'min–max':>11} {'RSS MB':>7}  vs 1st"
    )
    for case in cases:
        base = [cpu for cpu, _ in results[(case, 0)]]
        for i, python in enumerate(pythons):
            cpus = [cpu for cpu, _ in results[(case, i)]]
            rss = statistics.median(r for _, r in results[(case, i)])
            median = statistics.median(cpus)
            ratio = ""
            if i:
                fewer = sum(c < b for c, b in zip(cpus, base, strict=True))
                ratio = f"{median / statistics.median(base):.3f}, lower in {fewer}/{runs}"
            print(f"{case:12} {python.parent.parent!s:44} {median:12.3f} "
                  f"{min(cpus):5.2f}–{max(cpus):4.2f} {rss:7.1f}  {ratio}")  # fmt: skip


def breakdown(python: Path, folder: Path, template: Path) -> None:
    import json

    shutil.copy(template, folder / "run.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    env["CENSUS_DATABASE_URL"] = f"sqlite:///{folder / 'run.db'}"
    code = _CHILD.format(groups=GROUPS)
    done = subprocess.run([str(python), "-c", code], env=env, cwd=folder, capture_output=True,
                          text=True, check=True)  # fmt: skip
    line = [x for x in done.stdout.splitlines() if x.startswith("BREAKDOWN ")][-1]
    parts, modules = json.loads(line.removeprefix("BREAKDOWN "))
    total = sum(cpu for _, cpu in parts)
    print(f"where `census scan` of a refused site spends its CPU ({python}, {modules} modules):")
    for label, cpu in parts:
        print(f"  {label:62} {1000 * cpu:6.1f} ms  {cpu / total:5.1%}")
    print(f"  {'total (process time; the exit not included)':62} {1000 * total:6.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--python", action="append", type=Path, help="an interpreter with census")
    ap.add_argument("--breakdown", action="store_true")
    ap.add_argument("--no-compile", action="store_true", help="leave the checkout's bytecode")
    args = ap.parse_args()
    pythons = args.python or [Path(sys.executable)]
    if not args.no_compile:
        for python in pythons:
            compile_for(python)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        template = make_database(folder)
        if args.breakdown:
            for python in pythons:
                breakdown(python, folder, template)
        else:
            run_pairs(pythons, args.runs, folder, template)


if __name__ == "__main__":
    main()
