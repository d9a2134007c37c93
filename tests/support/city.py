"""A small test city: district 310101 → street 310101001 → communities 001, 002 → 2×3 cells each,
cells of 0.001° × 0.001° (about 95 m × 111 m) near the Bund, plus the catalogue, rules and users."""

from __future__ import annotations

import io
from dataclasses import dataclass

from fastapi.testclient import TestClient
from PIL import Image
from shapely.geometry import box
from sqlmodel import Session

from geo.loaders import GridFeature
from grid.calendars import ensure_calendars
from grid.catalogue import load_default_catalogue
from grid.hierarchy import import_areas
from grid.models import AreaLevel, Role
from grid.people import Actor, create_user
from grid.routing import add_rule
from tests.support import database
from tests.support.clock import FakeClock
from web.auth import hash_password, issue_token

X0, Y0, D = 121.480, 31.230, 0.001
DISTRICT, STREET = "310101", "310101001"
COMMUNITY_A, COMMUNITY_B = "310101001001", "310101001002"


def cell_code(community: str, k: int) -> str:
    return f"{community}{k:03d}"


def cell_box(col: int, row: int):  # noqa: ANN201
    return box(X0 + col * D, Y0 + row * D, X0 + (col + 1) * D, Y0 + (row + 1) * D)


def cell_centre(community: str, k: int) -> tuple[float, float]:
    """(lng, lat) of the middle of a cell; community A holds columns 0-2, B columns 3-5, rows 0-1."""
    offset = 0 if community == COMMUNITY_A else 3
    col, row = offset + (k - 1) % 3, (k - 1) // 3
    return X0 + (col + 0.5) * D, Y0 + (row + 0.5) * D


def city_features() -> list[GridFeature]:
    cells = []
    for community, offset in ((COMMUNITY_A, 0), (COMMUNITY_B, 3)):
        for k in range(1, 7):
            col, row = offset + (k - 1) % 3, (k - 1) // 3
            cells.append(GridFeature(cell_code(community, k), f"网格{community[-3:]}-{k}", cell_box(col, row), {}))
    return cells


@dataclass
class City:
    tokens: dict[str, str]
    actors: dict[str, Actor]


# (database URL, rules, password, fake clock's now) → the city and every row it wrote
_built: dict[tuple, tuple[City, database.Rows]] = {}


def build_city(session: Session, *, rules: bool = True, password: str | None = None) -> City:
    """The city in an empty database, every user with the password when one is given. The first build on
    a database is kept and later ones put its rows back (same ids, tokens and stamps). A database that is
    not empty gets a real build on top of what it holds."""
    conn = session.connection()
    key = (conn.engine.url.render_as_string(hide_password=False), rules, password,
           FakeClock.current.now if FakeClock.current else None)
    empty = database.is_empty(conn)
    if empty and key in _built:
        city, rows = _built[key]
        database.restore(conn, rows)
        session.commit()
        return City(dict(city.tokens), dict(city.actors))
    city = _build(session, rules=rules, password=password)
    if empty:
        _built[key] = (city, database.capture(session.connection()))
        session.commit()  # ends the reading transaction (on SQLite it holds the write lock)
    return City(dict(city.tokens), dict(city.actors))


def _build(session: Session, *, rules: bool, password: str | None) -> City:
    ensure_calendars(session=session)
    load_default_catalogue(session=session)
    import_areas(session=session, level=AreaLevel.cell, features=city_features())
    if rules:
        add_rule(session=session, department_code="SANITATION", category="E01", area_code=DISTRICT)
        add_rule(session=session, department_code="WATER", category="C01", area_code=DISTRICT)
    people = {
        "worker_a": dict(role=Role.worker, cell_codes=[cell_code(COMMUNITY_A, k) for k in range(1, 7)]),
        "worker_b": dict(role=Role.worker, cell_codes=[cell_code(COMMUNITY_B, k) for k in range(1, 7)]),
        "dispatcher": dict(role=Role.dispatcher),
        "shift_lead": dict(role=Role.shift_lead),
        "sanitation": dict(role=Role.department, department_code="SANITATION"),
        "sanitation_chief": dict(role=Role.department, department_code="SANITATION"),
        "water": dict(role=Role.department, department_code="WATER"),
        "supervisor": dict(role=Role.supervisor),
        "admin": dict(role=Role.admin),
        "operator": dict(role=Role.operator),
    }
    secret = hash_password(password) if password else None
    tokens, actors = {}, {}
    for name, kwargs in people.items():
        user = create_user(session=session, username=name, **kwargs)
        user.is_leader = name.endswith("_chief")
        user.password_hash = secret
        tokens[name] = issue_token(session=session, user=user)
        actors[name] = Actor.of(session=session, user=user)
    session.commit()
    return City(tokens, actors)


class Api:
    """A TestClient that speaks as one of the city's users."""

    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def as_(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, url: str, **kw):  # noqa: ANN003, ANN201
        return self.client.get(url, headers=self.as_(user), **kw)

    def post(self, user: str, url: str, headers: dict | None = None, **kw):  # noqa: ANN003, ANN201
        return self.client.post(url, headers={**self.as_(user), **(headers or {})}, **kw)

    def report(self, user: str, community: str = COMMUNITY_A, k: int = 1, **fields):  # noqa: ANN003, ANN201
        lng, lat = cell_centre(community, k)
        body = {"lat": lat, "lng": lng, "category_code": "E0101", "description": "暴露垃圾一堆", **fields}
        return self.post(user, "/api/v1/reports", json=body)

    def act(self, user: str, ticket_id: int, action: str, **body):  # noqa: ANN003, ANN201
        return self.post(user, f"/api/v1/tickets/{ticket_id}/actions/{action}", json=body)

    def resolve(self, user: str, ticket_id: int, reason: str = "已处置"):  # noqa: ANN201
        """Resolve with one after-photo, as the default catalogue's categories require."""
        return self.post(user, f"/api/v1/tickets/{ticket_id}/actions/resolve", data={"reason": reason},
                         files=[("photos", ("after.jpg", after_photo(), "image/jpeg"))])


def after_photo() -> bytes:
    """A small JPEG: a photo of the result for a resolve."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (60, 140, 90)).save(out, "JPEG")
    return out.getvalue()
