"""A new case's rows (dispatch.newcase): on PostgreSQL kept while the report is built and written, with the
case number, in one statement that goes to the database with the COMMIT; on SQLite written by the ORM.
Either way the case reads back the same, and whatever the transaction does next sees it."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from dispatch import audit, service
from dispatch.models import LiveEvent, SlaTimer, Ticket, TicketCounter, TicketEvent
from dispatch.options import DispatchOptions
from geo.index import CellIndex
from grid.hierarchy import cell_geometries
from tests.support.city import COMMUNITY_A, build_city, cell_centre

OPTIONS = DispatchOptions()


@pytest.fixture
def filing(session):  # noqa: ANN001, ANN201
    city = build_city(session)
    index = CellIndex(*cell_geometries(session=session))

    def report(k: int = 1) -> service.ReportResult:
        lng, lat = cell_centre(COMMUNITY_A, k)
        return service.report(session=session, actor=city.actors["worker_a"], index=index, options=OPTIONS,
                              lat=lat, lng=lng, category_code="E0101", description=f"垃圾 {k}")

    report.city = city
    return report


def test_the_case_reads_back_as_it_was_built(session, filing):
    result = filing()
    session.commit()
    assert result.ticket.case_number.startswith("E0101") and result.ticket.case_number[-4:] == "0001"
    session.expunge_all()
    stored = session.get(Ticket, result.ticket.id)
    assert (stored.case_number, stored.status, stored.department_code, stored.audit_count) == (
        result.ticket.case_number, "dispatched", "SANITATION", 3)
    assert stored.sla_red_at == result.ticket.sla_red_at and stored.created_at == result.ticket.created_at
    timers = {t.stage: t for t in session.exec(select(SlaTimer).where(SlaTimer.ticket_id == stored.id))}
    assert {s: t.active for s, t in timers.items()} == {t.stage: t.active for t in result.timers}
    assert all(timers[t.stage].due_at == t.due_at for t in result.timers)
    events = audit.timeline(session=session, ticket_id=stored.id)
    assert [e.action for e in events] == ["report", "register", "dispatch"]
    live = session.exec(select(LiveEvent).where(LiveEvent.ticket_id == stored.id)).all()
    assert [json.loads(e.payload)["case_number"] for e in live] == [stored.case_number]
    checked, _, problems = audit.verify(session=session)
    assert checked >= 1 and problems == []


def test_an_act_in_the_same_transaction_finds_the_case(session, filing):
    """The write waits for the commit on PostgreSQL; a statement before it runs it first."""
    result = filing()
    ticket = service.act(session=session, actor=filing.city.actors["sanitation"], ticket_id=result.ticket.id,
                         action="accept", options=OPTIONS)
    session.commit()
    assert ticket.case_number == result.ticket.case_number and not ticket.case_number.startswith("~")
    session.expunge_all()
    assert [e.action for e in audit.timeline(session=session, ticket_id=result.ticket.id)] == [
        "report", "register", "dispatch", "accept"]
    assert session.get(Ticket, result.ticket.id).status == "accepted"
    assert audit.verify(session=session)[2] == []


def test_a_rolled_back_report_leaves_nothing_and_the_next_one_takes_its_number(session, filing):
    filing(1)
    session.rollback()
    assert session.exec(select(Ticket)).all() == [] and session.exec(select(TicketCounter)).all() == []
    assert session.exec(select(TicketEvent)).all() == []
    result = filing(2)
    session.commit()
    assert result.ticket.case_number.endswith("0001")
    assert len(session.exec(select(Ticket)).all()) == 1


def test_a_failed_write_at_commit_is_an_integrity_error_and_leaves_nothing(session, filing, engine):
    """Two reports with one Idempotency-Key in separate transactions: the second's write fails at its commit
    as SQLAlchemy's IntegrityError (what the API catches to answer with the first case)."""
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import Session

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: the two reports cannot overlap")
    session.commit()  # the city
    city = filing.city
    index = CellIndex(*cell_geometries(session=session))
    lng, lat = cell_centre(COMMUNITY_A, 1)
    kwargs = dict(actor=city.actors["worker_a"], index=index, options=OPTIONS, lat=lat, lng=lng,
                  category_code="E0101", description="垃圾", idempotency_key="k-1")
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        service.report(session=first, **kwargs)
        service.report(session=second, **kwargs)  # does not see the first (not committed)
        first.commit()
        with pytest.raises(IntegrityError):
            second.commit()
        second.rollback()
    session.expire_all()
    assert len(session.exec(select(Ticket)).all()) == 1
    assert session.exec(select(TicketCounter)).one().value == 1


def test_a_row_has_only_its_fields():
    with pytest.raises(TypeError, match="has no field"):
        Ticket(case_numbr="x")
