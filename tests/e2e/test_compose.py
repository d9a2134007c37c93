"""compose.yaml is production; there is no Docker engine here, so this starts the same processes directly on
loopback: the one-shot migration, then `gridops serve --workers 2` on PostgreSQL with Redis, exactly as
the `migrate` and `app` services run them, and files a case through one of the workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import Session

from tests.support.city import COMMUNITY_A, build_city, cell_centre
from tests.support.server import ROOT, free_port, wait_until

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def gridops_bin() -> str:
    found = Path(sys.executable).with_name("gridops")
    return str(found) if found.exists() else "gridops"


def test_compose_file_wires_database_redis_migration_and_app():
    services = COMPOSE["services"]
    assert set(services) == {"db", "redis", "migrate", "app"}
    app, migrate = services["app"], services["migrate"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["GRIDOPS_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert app["environment"]["GRIDOPS_REDIS_URL"].startswith("redis://redis:")
    assert migrate["command"] == ["gridops", "db", "upgrade"]
    assert app["command"][:2] == ["gridops", "serve"]


def test_the_processes_compose_runs_serve_on_postgresql_with_redis(engine, database_url, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("compose runs PostgreSQL")
    with Session(engine) as session:
        city = build_city(session)
    app = COMPOSE["services"]["app"]
    port = free_port()
    env = {**os.environ, **{k: str(v) for k, v in app["environment"].items()}}
    env.update(GRIDOPS_DATABASE_URL=database_url, GRIDOPS_REDIS_URL="redis://127.0.0.1:6379/0",
               GRIDOPS_MEDIA_DIR=str(tmp_path / "media"))

    def command(service: str) -> list[str]:
        argv = list(COMPOSE["services"][service]["command"])
        argv[0] = gridops_bin()
        if service == "app":  # loopback instead of 0.0.0.0:8000, and two workers on a two-core machine
            argv[argv.index("--host") + 1] = "127.0.0.1"
            argv[argv.index("--port") + 1] = str(port)
            argv[argv.index("--workers") + 1] = "2"
        return argv

    migrated = subprocess.run(command("migrate"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert migrated.returncode == 0, migrated.stderr
    log = (tmp_path / "app.log").open("wb")
    proc = subprocess.Popen(command("app"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert wait_until(healthy, timeout=60), (tmp_path / "app.log").read_text()[-2000:]
        lng, lat = cell_centre(COMMUNITY_A, 2)
        headers = {"Authorization": f"Bearer {city.tokens['worker_a']}"}
        filed = httpx.post(f"{url}/api/v1/reports", headers=headers, timeout=10, json={
            "lat": lat, "lng": lng, "category_code": "E0101", "description": "暴露垃圾"})
        assert filed.status_code == 201, filed.text
        case = filed.json()["ticket"]
        assert case["status"] == "dispatched" and case["department_code"] == "SANITATION"
        # any worker process answers for it
        for _ in range(6):
            seen = httpx.get(f"{url}/api/v1/tickets/{case['id']}", headers=headers, timeout=10)
            assert seen.status_code == 200 and seen.json()["case_number"] == case["case_number"]
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=10)
        log.close()
