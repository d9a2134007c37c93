"""The live hub reads only what is new: ids above the newest it has, plus the ids it skipped below it (a
transaction may commit a lower id after a higher one), until a skipped id is old enough to be a rollback."""

from __future__ import annotations

from datetime import UTC, datetime

from dispatch.models import LiveEvent
from web.background.live import GAP_SECONDS, LiveHub


def row(i: int) -> LiveEvent:
    return LiveEvent(id=i, kind="ticket.changed", payload="{}", created_at=datetime.now(UTC))


def test_a_lower_id_committed_later_is_still_delivered_and_old_gaps_are_dropped():
    hub = LiveHub(engine=None)  # type: ignore[arg-type]  (no database: _take is fed rows directly)
    offered: list[int] = []
    hub._offer = lambda client, events: offered.extend(e.id for e in events)  # type: ignore[method-assign]
    hub.clients.add(object())  # type: ignore[arg-type]
    hub._take([row(1), row(2), row(4), row(6)], now=0.0)
    assert hub.last_id == 6 and set(hub.gaps) == {3, 5}
    hub._take([row(5), row(7)], now=1.0)  # 5 committed after 6
    assert offered == [1, 2, 4, 6, 5, 7] and set(hub.gaps) == {3}
    hub._take([row(5)], now=2.0)  # read again: not offered twice
    assert offered == [1, 2, 4, 6, 5, 7]
    hub._take([], now=GAP_SECONDS + 1)  # 3 never came: its transaction rolled back
    assert hub.gaps == {}
