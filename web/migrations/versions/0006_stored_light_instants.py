"""stored light instants: each timer's yellow and red moments, each case's earliest of them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 05:40:00

``sla_timer.yellow_at`` / ``red_at``: when the running timer's light turns yellow and red as it stands;
``ticket.sla_yellow_at`` / ``sla_red_at`` / ``sla_due_at``: the earliest of those (and of the running
deadlines) over the case's running timers, so that the control room's counters are SQL aggregates; and
the indexes today's counters read (handling fulfilled today, cases closed today).

The upgrade fills them for the timers already running, with the working-time arithmetic
(dispatch.worktime.calendar, pure) and plain SQL for the rows, so it does not depend on today's models.
"""
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('sla_timer') as batch:
        batch.add_column(sa.Column('yellow_at', TS, nullable=True))
        batch.add_column(sa.Column('red_at', TS, nullable=True))
    with op.batch_alter_table('ticket') as batch:
        batch.add_column(sa.Column('sla_yellow_at', TS, nullable=True))
        batch.add_column(sa.Column('sla_red_at', TS, nullable=True))
        batch.add_column(sa.Column('sla_due_at', TS, nullable=True))
    op.create_index('ix_sla_timer_stage_fulfilled', 'sla_timer', ['stage', 'fulfilled_at'])
    op.create_index('ix_ticket_closed_at', 'ticket', ['closed_at'])
    _backfill(op.get_bind())


def _aware(value):  # noqa: ANN001, ANN202
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _calendars(conn):  # noqa: ANN001, ANN202
    from dispatch.worktime.calendar import WorkCalendar, parse_periods

    days: dict[str, tuple[set, set]] = {}
    for code, day, kind in conn.execute(sa.text("SELECT calendar_code, day, kind FROM calendar_day")):
        day = day if not isinstance(day, str) else datetime.fromisoformat(day).date()
        days.setdefault(code, (set(), set()))[0 if kind == "holiday" else 1].add(day)
    found = {"24x7": WorkCalendar.always(), "standard": WorkCalendar()}
    for code, tz, periods, weekdays, always in conn.execute(
            sa.text("SELECT code, timezone, periods, weekdays, always_on FROM calendar")):
        holidays, workdays = days.get(code, (set(), set()))
        found[code] = WorkCalendar.always(ZoneInfo(tz)) if always else WorkCalendar(
            timezone=ZoneInfo(tz), periods=parse_periods(periods),
            weekdays=frozenset(int(d) - 1 for d in weekdays.split(",") if d.strip()),
            holidays=frozenset(holidays), workdays=frozenset(workdays))
    return found


def _stamped(sql: str, *names: str) -> sa.TextClause:
    """The statement with its instants stored as the models store them (UTC; naive text on SQLite)."""
    from grid.dbtypes import UTCDateTime

    return sa.text(sql).bindparams(*(sa.bindparam(n, type_=UTCDateTime()) for n in names))


def _backfill(conn) -> None:  # noqa: ANN001
    calendars = _calendars(conn)
    rows = conn.execute(sa.text(
        "SELECT id, ticket_id, paused_at, anchor_at, anchor_remaining_s, limit_s, extension_s, ladder, due_at, "
        "calendar_code FROM sla_timer WHERE active")).all()
    cases: dict[int, list] = {}
    for r in rows:
        total = r.limit_s + r.extension_s
        ratio = json.loads(r.ladder or "{}").get("yellow_ratio", 0.8)
        due, anchor = _aware(r.due_at), _aware(r.anchor_at)
        if r.paused_at is not None:  # a paused timer keeps its light
            used = total - r.anchor_remaining_s
            paused = _aware(r.paused_at)
            yellow = paused if used >= ratio * total else None
            red = paused if used >= total else None
        else:
            cal = calendars.get(r.calendar_code, calendars["standard"])
            yellow = cal.shift(anchor, r.anchor_remaining_s - (1 - ratio) * total)
            red = due
        conn.execute(_stamped("UPDATE sla_timer SET yellow_at = :y, red_at = :r WHERE id = :id", "y", "r"),
                     {"y": yellow, "r": red, "id": r.id})
        cases.setdefault(r.ticket_id, []).append((yellow, red, None if r.paused_at is not None else due))
    for ticket_id, timers in cases.items():
        def earliest(i):  # noqa: ANN001, ANN202
            return min((t[i] for t in timers if t[i] is not None), default=None)
        conn.execute(_stamped("UPDATE ticket SET sla_yellow_at = :y, sla_red_at = :r, sla_due_at = :d WHERE id = :id",
                              "y", "r", "d"),
                     {"y": earliest(0), "r": earliest(1), "d": earliest(2), "id": ticket_id})


def downgrade() -> None:
    op.drop_index('ix_ticket_closed_at', table_name='ticket')
    op.drop_index('ix_sla_timer_stage_fulfilled', table_name='sla_timer')
    with op.batch_alter_table('ticket') as batch:
        batch.drop_column('sla_due_at')
        batch.drop_column('sla_red_at')
        batch.drop_column('sla_yellow_at')
    with op.batch_alter_table('sla_timer') as batch:
        batch.drop_column('red_at')
        batch.drop_column('yellow_at')
