"""The hourly probe rounds as units: a slot's round run by a probe worker is the in-process
round (every site of the slot probed once, stored once); a unit that comes too late (redelivered
after its worker died) is recorded missed, never probed as if it were on time; and with a
broker, `census monitor` hands its slots to a real `census worker --probes`."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus
from scanner.monitor.rounds import load_targets
from scanner.monitor.units import probe_unit
from tests.schedule.conftest import night_settings, registered_db
from tests.workers.processes import CENSUS, start_worker

MONITOR = ["--every", "10", "--slots", "2", "--misfire-grace", "5"]  # a round every 5 s


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(scenario("demo"), now=midday_clock()) as f:
        yield f


def test_a_probe_unit_probes_its_slot_once_and_a_late_one_is_missed(
    farm: FarmThread, tmp_path: Path
) -> None:
    db = registered_db(farm, tmp_path)
    settings = night_settings(farm, db.url)
    slot_sites = {t.site_id for t in load_targets(db, slot=1, slots=2)}
    assert slot_sites
    due = datetime.now(UTC).replace(microsecond=0)
    assert probe_unit(db, settings, 1, 2, due, [], late_after=120) in ("done", "invalid")
    # The same unit again (a redelivered copy): nothing stored twice.
    assert probe_unit(db, settings, 1, 2, due, [], late_after=120) == "already stored"
    late = due - timedelta(hours=1)
    assert probe_unit(db, settings, 1, 2, late, [], late_after=120) == "missed"
    with db.session() as s:
        rounds = {r.scheduled_for.replace(tzinfo=UTC): r for r in s.scalars(select(ProbeRound))}
        probed = set(
            s.scalars(select(ProbeResult.site_id).where(ProbeResult.round_id == rounds[due].id))
        )
        per_site = s.execute(
            select(ProbeResult.site_id, func.count()).group_by(ProbeResult.site_id)
        ).all()
    assert len(rounds) == 2
    assert probed == slot_sites
    assert all(n == 1 for _, n in per_site)
    assert rounds[late].status == RoundStatus.MISSED
    db.dispose()


def test_the_monitor_hands_its_slots_to_a_probe_worker(
    farm: FarmThread, tmp_path: Path, redis_url: str
) -> None:
    db = registered_db(farm, tmp_path)
    settings = night_settings(farm, db.url)
    sites = {t.site_id for t in load_targets(db)}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")} | {
        "CENSUS_CONFIG": str(tmp_path / "no-such-census.toml"),
        "CENSUS_DATABASE_URL": db.url,
        "CENSUS_HOST_MAP": settings.host_map,
        "CENSUS_EXTRA_CA_FILE": str(settings.extra_ca_file),
        "CENSUS_BROKER_URL": redis_url,
    }
    worker = start_worker(env, tmp_path / "probes.log", "--probes")
    with (tmp_path / "monitor.log").open("wb") as out:
        monitor = subprocess.Popen(
            [*CENSUS, "monitor", "--no-nightly", *MONITOR],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            with db.session() as s:
                done = list(
                    s.scalars(select(ProbeRound).where(ProbeRound.status == RoundStatus.DONE))
                )
                probed = set(
                    s.scalars(
                        select(ProbeResult.site_id).where(
                            ProbeResult.round_id.in_([r.id for r in done])
                        )
                    )
                )
            if {r.slot for r in done} == {0, 1} and probed == sites:
                break
            assert time.monotonic() < deadline, (tmp_path / "probes.log").read_text()[-3000:]
            assert worker.poll() is None and monitor.poll() is None
            time.sleep(0.5)
        log = (tmp_path / "monitor.log").read_text()
        assert "handed to a probe worker" in log
        assert "census.probe_round" in (tmp_path / "probes.log").read_text()
    finally:
        for p in (monitor, worker):
            p.terminate()
            p.wait(timeout=120)
        db.dispose()
