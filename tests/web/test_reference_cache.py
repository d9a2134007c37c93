"""Reference data is cached per process (grid.refcache), and a change made anywhere — the CLI, another
app process, an admin's request — takes effect on the next request: the cache follows a version row that
every change to a reference table bumps in its own transaction."""

from __future__ import annotations

from sqlmodel import Session, select

from grid import refcache
from grid.models import RoutingRule, User, WorkerCell
from grid.routing import add_rule
from tests.support.city import COMMUNITY_B, DISTRICT, cell_code


def test_an_edited_routing_rule_routes_the_next_report(api, engine):
    assert api.report("worker_a").json()["ticket"]["department_code"] == "SANITATION"  # cached now
    with Session(engine) as other:  # as `gridops rule add` would, in another process
        add_rule(session=other, department_code="GREENING", category="E01", area_code=DISTRICT)
        other.commit()
    assert api.report("worker_a", k=2).json()["ticket"]["department_code"] == "GREENING"


def test_a_workers_new_cells_and_a_deactivation_count_at_once(api, engine):
    theirs = api.report("worker_b", COMMUNITY_B, 1).json()["ticket"]
    assert api.get("worker_a", f"/api/v1/tickets/{theirs['id']}").status_code == 404
    with Session(engine) as other:
        user = other.exec(select(User).where(User.username == "worker_a")).one()
        other.add(WorkerCell(user_id=user.id, cell_code=cell_code(COMMUNITY_B, 1)))
        other.commit()
    assert api.get("worker_a", f"/api/v1/tickets/{theirs['id']}").status_code == 200
    with Session(engine) as other:
        user = other.exec(select(User).where(User.username == "worker_a")).one()
        user.active = False
        other.add(user)
        other.commit()
    assert api.get("worker_a", "/api/v1/me").status_code == 401


def test_a_change_rolled_back_leaves_the_cache_right(api, engine):
    assert api.report("worker_a").json()["ticket"]["department_code"] == "SANITATION"
    with Session(engine) as other:
        before = refcache.version(other)
        rule = other.exec(select(RoutingRule).where(RoutingRule.category == "E01")).one()
        rule.department_code = "GREENING"
        other.add(rule)
        other.flush()  # the version moves inside this transaction …
        assert refcache.version(other) != before
        other.rollback()  # … and back
        assert refcache.version(other) == before
    assert api.report("worker_a", k=2).json()["ticket"]["department_code"] == "SANITATION"


def test_live_events_carry_the_case_number_taken_last_warm_or_cold(api, engine):
    """A report's number is taken just before its commit; the live events written before it carry it too,
    whether the reference caches were warm (nothing flushed yet) or cold (loading them flushed the rows)."""
    import json

    from dispatch.models import LiveEvent

    for cold in (False, True):
        if cold:
            refcache.clear()
        case = api.report("worker_a").json()["ticket"]
        with Session(engine) as session:
            events = session.exec(select(LiveEvent).where(LiveEvent.ticket_id == case["id"])).all()
        assert len(events) == 1 and case["case_number"].startswith("E0101")  # report, register, dispatch: one
        assert {json.loads(e.payload)["case_number"] for e in events} == {case["case_number"]}, cold


def test_the_pool_reads_the_version_as_it_checks_a_connection(api, engine):
    """On PostgreSQL the pool checks each connection it hands out with the version read itself: a request
    sends no separate version statement, and connections the database has dropped (a restart) are
    replaced before a request sees them."""
    import pytest
    from sqlalchemy import event, text

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no pool to check: the version is read in the transaction")
    app_engine = api.client.app.state.gridops.engine
    assert api.get("worker_a", "/api/v1/me").status_code == 200  # the caller is cached
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(app_engine, "before_cursor_execute", note)
    try:
        assert api.get("worker_a", "/api/v1/me").status_code == 200
    finally:
        event.remove(app_engine, "before_cursor_execute", note)
    assert not [s for s in seen if "reference_version" in s], seen
    with engine.connect() as conn:  # the database drops the app's connections, as a restart would
        dropped = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert dropped >= 1
    for _ in range(3):
        assert api.get("worker_a", "/api/v1/me").status_code == 200
    assert api.report("worker_a").status_code == 201
