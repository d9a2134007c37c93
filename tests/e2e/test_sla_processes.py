"""The real server on loopback: escalations fire exactly once through a SIGKILL and a restart, and with
two server processes on one PostgreSQL database."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from sqlmodel import Session, select

from dispatch.models import Escalation, Notification, SlaTimer
from dispatch.policies import set_policy
from tests.support.city import COMMUNITY_A, build_city, cell_centre
from tests.support.server import Server, observe, wait_until

LIMIT_S = 5  # natural seconds: yellow at 4 s, red at 5 s, overdue steps 2 s apart after that
LADDER = {"yellow_ratio": 0.8, "overdue_every_hours": 2 / 3600, "max_overdue_steps": 2}
LEVELS = 4  # yellow, red, overdue 1, overdue 2
CASES = 6


@pytest.fixture
def city(engine):  # noqa: ANN001, ANN201
    with Session(engine) as session:
        city = build_city(session)
        set_policy(session=session, stage="handle", category="E0101", limit_hours=LIMIT_S / 3600, basis="natural",
                   ladder=LADDER)
        session.commit()
    return city


def report(server: Server, token: str, n: int) -> int:
    lng, lat = cell_centre(COMMUNITY_A, 1 + n % 6)
    r = httpx.post(f"{server.url}/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                   json={"lat": lat, "lng": lng, "category_code": "E0101", "description": f"case {n}"})
    assert r.status_code == 201, r.text
    return r.json()["ticket"]["id"]


def escalations(engine) -> list[Escalation]:  # noqa: ANN001
    with Session(engine) as session:
        return list(session.exec(select(Escalation).where(Escalation.stage == "handle")))


def assert_each_level_once(engine, ticket_ids: list[int]) -> None:  # noqa: ANN001
    rows = escalations(engine)
    keys = Counter((e.ticket_id, e.level) for e in rows)
    assert set(keys) == {(t, level) for t in ticket_ids for level in range(1, LEVELS + 1)}
    assert max(keys.values()) == 1
    with Session(engine) as session:
        notes = Counter((n.user_id, n.ticket_id, n.kind) for n in session.exec(select(Notification)))
        assert notes and max(notes.values()) == 1  # nobody told twice
        timers = session.exec(select(SlaTimer).where(SlaTimer.stage == "handle")).all()
        assert all(t.warning_level == LEVELS and t.next_fire_at is None for t in timers)
    for e in rows:
        assert e.fired_at >= e.scheduled_at  # never early


def test_sigkill_then_restart_fires_every_missed_level_once(engine, database_url, city, tmp_path):
    server = Server(database_url, tmp_path / "media").start()
    try:
        ids = [report(server, city.tokens["worker_a"], n) for n in range(CASES)]
        server.kill()  # before the first yellow light (4 s)
        with Session(engine) as session:
            assert session.exec(select(Escalation)).first() is None
            last_due = max(t.next_fire_at for t in session.exec(select(SlaTimer).where(SlaTimer.stage == "handle")))
        # stay down until every level's moment has passed (the last overdue step is 5 s after the yellow)
        assert wait_until(lambda: _past(last_due, extra_s=6), timeout=30)
        server.start()  # the start-up pass fires everything missed, late
        assert wait_until(lambda: len(escalations(engine)) >= CASES * LEVELS, timeout=30)
        late = [e for e in escalations(engine) if (e.fired_at - e.scheduled_at).total_seconds() > 1]
        assert late, "the missed levels fired after the restart, not before the kill"
        observe(seconds=2)  # let the server run another pass: nothing may fire twice
        assert_each_level_once(engine, ids)
    finally:
        server.stop()


def test_two_processes_on_postgresql_fire_each_level_once(engine, database_url, city, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("several app processes need PostgreSQL; SQLite runs one (see README)")
    a = Server(database_url, tmp_path / "media", GRIDOPS_SLA_SWEEP_SECONDS="1").start()
    b = Server(database_url, tmp_path / "media", GRIDOPS_SLA_SWEEP_SECONDS="1").start()
    try:
        ids = [report(a if n % 2 else b, city.tokens["worker_a"], n) for n in range(CASES * 2)]
        assert wait_until(lambda: len(escalations(engine)) >= CASES * 2 * LEVELS, timeout=40)
        observe(seconds=3)  # both keep sweeping every second: nothing may fire twice
        assert_each_level_once(engine, ids)
    finally:
        a.stop()
        b.stop()


def _past(moment, extra_s: float) -> bool:  # noqa: ANN001
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) >= moment + timedelta(seconds=extra_s)
