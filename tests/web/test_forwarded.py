"""Behind a reverse proxy the public rate limits key on the real client: X-Forwarded-For is believed only from
the proxies GRIDOPS_FORWARDED_ALLOW_IPS names (by default none), so a client cannot dodge its limit by sending
the header itself, and the clients behind one proxy do not share the proxy's limit."""

from __future__ import annotations

from fastapi.testclient import TestClient

from web.app import create_app

PROXY, OTHER = "10.0.0.5", "203.0.113.9"


def answers(client: TestClient, forwarded_for: str | None, n: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return [client.get("/public/v1/categories", headers=headers).status_code for _ in range(n)]


def test_a_forwarded_address_keys_the_limit_only_from_a_trusted_proxy(engine, city, settings):  # noqa: ANN001
    tight = settings.model_copy(update={"public_requests_per_minute": 3, "forwarded_allow_ips": PROXY})
    app = create_app(tight)
    with TestClient(app, client=(OTHER, 40000)) as client:  # not a proxy: its header is its own words
        assert answers(client, "198.51.100.1", 3) == [200] * 3
        assert answers(client, "198.51.100.2", 1) == [429]  # the same peer, whatever it says it forwards
    with TestClient(app, client=(PROXY, 40000)) as client:  # the proxy: each client behind it has its own limit
        assert answers(client, "198.51.100.1", 4) == [200] * 3 + [429]
        assert answers(client, "198.51.100.2", 1) == [200]
        assert answers(client, "198.51.100.3, 198.51.100.4", 1) == [200]  # (the nearest hop not a proxy)


def test_by_default_no_proxy_is_trusted(engine, city, settings):  # noqa: ANN001
    tight = settings.model_copy(update={"public_requests_per_minute": 2})
    assert tight.forwarded_allow_ips == ""
    with TestClient(create_app(tight), client=("127.0.0.1", 40000)) as client:
        assert answers(client, "198.51.100.1", 2) == [200, 200]
        assert answers(client, "198.51.100.2", 1) == [429]
