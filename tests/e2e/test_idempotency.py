"""A phone on a bad line retries the same report several times at once: every retry is answered (201 for
the one that made the case, 200 with that same case for the others), never a 500, and one case is made
per Idempotency-Key. Real server processes, so the retries really run concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, func, select

from dispatch.models import Ticket
from tests.support.city import COMMUNITY_A, build_city, cell_centre

KEYS, RETRIES = 4, 6


def test_concurrent_retries_with_one_key_make_one_case(engine, server):
    with Session(engine) as session:
        city = build_city(session)
    lng, lat = cell_centre(COMMUNITY_A, 3)

    def send(key: str) -> tuple[str, int, int | None]:
        r = httpx.post(f"{server.url}/api/v1/reports", timeout=30,
                       headers={"Authorization": f"Bearer {city.tokens['worker_a']}", "Idempotency-Key": key},
                       json={"lat": lat, "lng": lng, "category_code": "E0101", "description": "暴露垃圾"})
        return key, r.status_code, r.json().get("ticket", {}).get("id") if r.status_code < 500 else None

    with ThreadPoolExecutor(max_workers=KEYS * RETRIES) as pool:
        answers = list(pool.map(send, [f"phone-{k}" for k in range(KEYS) for _ in range(RETRIES)]))
    assert sorted({status for _, status, _ in answers}) in ([200, 201], [201])
    for k in range(KEYS):
        mine = [(status, tid) for key, status, tid in answers if key == f"phone-{k}"]
        assert sum(1 for status, _ in mine if status == 201) == 1, mine
        assert len({tid for _, tid in mine}) == 1, mine
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == KEYS
