"""The ceiling for bench/report.py: a bare FastAPI endpoint that does one INSERT of a report-like row, served
by the same stack as the service (uvicorn, the same worker count, the service's engine settings from
web.db.make_engine, a sync endpoint run in the thread pool as POST /api/v1/reports is).

Run by bench/report.py: BARE_DATABASE_URL=postgresql+psycopg://… uvicorn _bare:app --app-dir bench"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text

from web.db import make_engine

TABLE = """CREATE TABLE IF NOT EXISTS bare_report (
    id BIGSERIAL PRIMARY KEY, category_code VARCHAR(5) NOT NULL, description TEXT NOT NULL,
    lat DOUBLE PRECISION NOT NULL, lng DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now())"""

engine = make_engine(os.environ["BARE_DATABASE_URL"])
app = FastAPI()


class ReportIn(BaseModel):
    lat: float
    lng: float
    category_code: str
    description: str


@app.post("/api/v1/reports", status_code=201)
def report(body: ReportIn) -> dict:
    with engine.begin() as conn:
        row_id = conn.execute(
            text("INSERT INTO bare_report (category_code, description, lat, lng) "
                 "VALUES (:c, :d, :lat, :lng) RETURNING id"),
            {"c": body.category_code, "d": body.description, "lat": body.lat, "lng": body.lng},
        ).scalar_one()
    return {"id": row_id, "created": True}


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}
