"""200 websocket clients of different roles, each receives exactly the events it may see; a client
that drops and reconnects with ?since= misses nothing."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
import pytest
from sqlmodel import Session
from websockets.asyncio.client import connect

from tests.support.city import COMMUNITY_A, COMMUNITY_B, build_city, cell_centre
from tests.support.server import Server, run_async

CLIENTS = 200
OBSERVE_S = 1.5
CENTRE = ("dispatcher", "shift_lead", "supervisor", "admin", "operator")  # who sees every case


@pytest.fixture
def city(engine):  # noqa: ANN001, ANN201
    with Session(engine) as session:
        return build_city(session)


def post(server: Server, token: str, path: str, body: dict) -> dict:
    r = httpx.post(f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    return r.json()


def report(server: Server, token: str, community: str, k: int, category: str, **extra) -> int:  # noqa: ANN003
    lng, lat = cell_centre(community, k)
    body = {"lat": lat, "lng": lng, "category_code": category, "description": "测试", **extra}
    return post(server, token, "/api/v1/reports", body)["ticket"]["id"]


async def listen(url: str, bag: list, ready: asyncio.Event, stop: asyncio.Event) -> None:
    async with connect(url, max_queue=None) as ws:
        hello = json.loads(await ws.recv())
        assert hello["kind"] == "hello"
        ready.set()
        while not stop.is_set():
            try:
                bag.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=0.2)))
            except TimeoutError:
                continue


def test_two_hundred_clients_each_get_exactly_their_events(city, server):
    users = list(city.tokens)
    ws_base = server.url.replace("http", "ws")
    expected: dict[str, Counter] = {}

    async def scenario() -> dict[int, list]:
        bags = {i: [] for i in range(CLIENTS)}
        readies = [asyncio.Event() for _ in range(CLIENTS)]
        stop = asyncio.Event()
        tasks = [asyncio.create_task(listen(f"{ws_base}/ws?token={city.tokens[users[i % len(users)]]}", bags[i],
                                            readies[i], stop)) for i in range(CLIENTS)]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)

        def act() -> None:
            t1 = report(server, city.tokens["worker_a"], COMMUNITY_A, 1, "E0101")  # → SANITATION
            t2 = report(server, city.tokens["worker_b"], COMMUNITY_B, 2, "C0101")  # → WATER
            t3 = report(server, city.tokens["dispatcher"], COMMUNITY_A, 4, "E0601", source="hotline")
            post(server, city.tokens["sanitation"], f"/api/v1/tickets/{t1}/actions/accept", {})
            post(server, city.tokens["water"], f"/api/v1/tickets/{t2}/actions/accept", {})
            # a worker's report is registered and dispatched in its own transaction: one event for the three
            full = Counter({(t1, "ticket.created"): 1, (t1, "ticket.changed"): 1,
                            (t2, "ticket.created"): 1, (t2, "ticket.changed"): 1, (t3, "ticket.created"): 1})
            for name in CENTRE:
                expected[name] = full
            expected["worker_a"] = Counter({k: v for k, v in full.items() if k[0] in (t1, t3)})
            expected["worker_b"] = Counter({k: v for k, v in full.items() if k[0] == t2})
            # a department sees a case from its dispatch on: the report's event (dispatched) and the accept
            expected["sanitation"] = expected["sanitation_chief"] = Counter({(t1, "ticket.created"): 1,
                                                                             (t1, "ticket.changed"): 1})
            expected["water"] = Counter({(t2, "ticket.created"): 1, (t2, "ticket.changed"): 1})

        await asyncio.to_thread(act)

        def complete() -> bool:
            return all(Counter((e["ticket_id"], e["kind"]) for e in bags[i]) == expected[users[i % len(users)]]
                       for i in range(CLIENTS))

        for _ in range(150):  # up to 30 s for every client to have its events
            if complete():
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(OBSERVE_S)  # keep listening: nothing more may arrive
        stop.set()
        await asyncio.gather(*tasks)
        return bags

    bags = run_async(scenario)
    for i in range(CLIENTS):
        user = users[i % len(users)]
        got = Counter((e["ticket_id"], e["kind"]) for e in bags[i])
        assert got == expected[user], (user, got)
        ids = [e["id"] for e in bags[i]]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_reconnect_with_since_misses_nothing(city, server):
    url = f"{server.url.replace('http', 'ws')}/ws?token={city.tokens['dispatcher']}"

    async def scenario() -> tuple[list, list]:
        first: list = []
        ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(listen(url, first, ready, stop))
        await ready.wait()
        await asyncio.to_thread(report, server, city.tokens["worker_a"], COMMUNITY_A, 1, "E0101")
        for _ in range(100):
            if first:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task  # the network drops
        await asyncio.to_thread(report, server, city.tokens["worker_b"], COMMUNITY_B, 1, "C0101")
        again: list = []
        ready2, stop2 = asyncio.Event(), asyncio.Event()
        task2 = asyncio.create_task(listen(f"{url}&since={first[-1]['id']}", again, ready2, stop2))
        for _ in range(100):
            if again:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        stop2.set()
        await task2
        return first, again

    first, again = run_async(scenario)
    # each report is registered and dispatched in its own transaction: one event, the case as it ended
    assert [(e["kind"], e["payload"]["status"]) for e in first] == [("ticket.created", "dispatched")]
    assert [(e["kind"], e["payload"]["status"]) for e in again] == [("ticket.created", "dispatched")]
    assert again[0]["id"] == first[-1]["id"] + 1 and again[0]["payload"]["category_code"] == "C0101"


def test_redis_carries_events_between_processes(engine, database_url, city, tmp_path):
    """A client on server A sees a case filed on server B at once: Redis wakes A's hub (its own
    outbox poll is set to a minute here, so only Redis can be that quick)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("several app processes need PostgreSQL")
    env = {"GRIDOPS_REDIS_URL": "redis://127.0.0.1:6379/0", "GRIDOPS_LIVE_POLL_SECONDS": "60"}
    a = Server(database_url, tmp_path / "media", **env).start()
    b = Server(database_url, tmp_path / "media", **env).start()
    url = f"{a.url.replace('http', 'ws')}/ws?token={city.tokens['dispatcher']}"

    async def scenario() -> list:
        got: list = []
        ready, stop = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(listen(url, got, ready, stop))
        await ready.wait()
        await asyncio.to_thread(report, b, city.tokens["worker_a"], COMMUNITY_A, 1, "E0101")
        for _ in range(50):  # well under the 60 s poll
            if got:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await task
        return got

    try:
        got = run_async(scenario)
    finally:
        a.stop()
        b.stop()
    assert [(e["kind"], e["payload"]["status"]) for e in got] == [("ticket.created", "dispatched")]
