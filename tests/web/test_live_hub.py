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


def test_a_client_that_missed_more_than_a_replay_holds_is_told_to_load_again(api):
    """Issue 11, defect 8: a reconnect with a ``since`` older than the replay window silently missed
    events. Now it gets ``resync`` (the page reloads its data) and then what is new."""
    hub = api.client.app.state.gridops.hub
    hub.replay_limit = 2
    token = api.tokens["dispatcher"]
    first = api.report("worker_a").json()["ticket"]["id"]
    for _ in range(3):
        api.report("worker_a")
    with api.client.websocket_connect(f"/ws?token={token}&since=0") as ws:
        resync = ws.receive_json()
        assert resync["kind"] == "resync" and resync["last_id"] >= 4 and "more than 2" in resync["reason"]
        assert ws.receive_json()["kind"] == "hello"
    with api.client.websocket_connect(f"/ws?token={token}&since={resync['last_id'] - 2}") as ws:  # within it
        assert ws.receive_json()["kind"] == "hello"  # then the replay
        replayed = [ws.receive_json() for _ in range(2)]
        assert [e["kind"] for e in replayed] == ["ticket.created"] * 2
        assert first not in {e["ticket_id"] for e in replayed}


def test_a_refused_websocket_gets_a_close_code_the_page_can_read(api):
    """Issue 11: refusals were a failed handshake (HTTP 403, seen by the page as 1006); now 4401 / 4403."""
    from starlette.websockets import WebSocketDisconnect

    with api.client.websocket_connect("/ws?token=gro_not-a-token") as ws:
        try:
            ws.receive_text()
            raise AssertionError("the socket stayed open")
        except WebSocketDisconnect as closed:
            assert closed.code == 4401
    api.client.cookies.set("gridops_session", "whatever")
    try:
        with api.client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
            try:
                ws.receive_text()
                raise AssertionError("the socket stayed open")
            except WebSocketDisconnect as closed:
                assert closed.code == 4403
    finally:
        api.client.cookies.clear()
