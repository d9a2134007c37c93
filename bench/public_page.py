"""The public report page (/c/) on an old phone over slow 3G: what its first load weighs, how long until it
can be used, and how long a report with a camera photo takes to send — beside the same on an unthrottled
connection, and beside the grid worker's page (/m/, which loads the map at once) as a reference.

Run: uv run python bench/public_page.py
It builds the demo city in a throw-away SQLite database, starts the real server on loopback and drives
Debian's Chromium (Playwright). "Slow 3G" is DevTools' preset: 2 s round trips, 400 kbit/s down and up,
with the phone's CPU 4× slower than this machine's. The issue's target: a first load under 300 KB
compressed, usable on slow 3G. It prints figures; it never fails on speed."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlmodel import Session  # noqa: E402

from web.cli.demo import DEMO_PASSWORD, build_demo  # noqa: E402
from web.db import make_engine, upgrade  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--use-gl=swiftshader",
        "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist"]
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
WHERE = {"latitude": 31.2350, "longitude": 121.4880}  # in the demo city


def camera_photo(path: Path) -> Path:
    """A 4000×3000 JPEG with a scene's gradients and a sensor's noise, as a phone's camera makes (a few MB)."""
    noise = Image.effect_noise((4000, 3000), 24).convert("RGB")
    scene = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    img = Image.blend(scene, noise, 0.35)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


def serve(url: str, media: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "GRIDOPS_DATABASE_URL": url, "GRIDOPS_MEDIA_DIR": str(media),
           "GRIDOPS_SCHEDULER_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.asgi:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def load(browser, base: str, path: str, ready: str, *, throttle: bool, cookie: dict | None = None) -> dict:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  permissions=["geolocation"], geolocation=WHERE)
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: list[int] = []
    cdp.on("Network.loadingFinished", lambda e: sizes.append(int(e.get("encodedDataLength", 0))))
    if throttle:
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    start = time.perf_counter()
    page.goto(f"{base}{path}", wait_until="commit")
    page.wait_for_selector(ready, timeout=180_000)
    usable = time.perf_counter() - start
    return {"context": context, "page": page, "usable_s": usable, "kb": sum(sizes) / 1024}


def report(page, photo: Path) -> float:  # noqa: ANN001
    page.click("#use-gps")
    page.wait_for_selector("#place[data-status=ok]", timeout=120_000)
    page.click("#categories button[data-code=E0101]")
    page.fill("#description", "小区门口垃圾堆了两天没人清运")
    page.set_input_files("#photos", str(photo))
    page.wait_for_selector("#thumbs img", timeout=120_000)  # shrunk on the phone before it is sent
    start = time.perf_counter()
    page.click("#submit")
    page.wait_for_selector("[data-result=filed]", timeout=300_000)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = f"sqlite:///{root / 'bench.db'}"
        upgrade(make_engine(url))
        with Session(make_engine(url)) as session:
            build_demo(session=session, media_dir=root / "media", tickets=40, progress=lambda _: None)
        port = 18000 + os.getpid() % 1000
        base = f"http://127.0.0.1:{port}"
        server = serve(url, root / "media", port)
        photo = camera_photo(root / "camera.jpg")
        try:
            login = httpx.post(f"{base}/api/v1/login", json={"username": "worker", "password": DEMO_PASSWORD})
            cookie = {"name": "gridops_session", "value": login.cookies.get("gridops_session", ""), "url": base}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                print(f"camera photo: {photo.stat().st_size / 1e6:.1f} MB, 4000×3000 (shrunk to 1600 px on the phone)")
                print(f"{'page':28} {'network':9} {'first load':>11} {'usable after':>13} {'report sent in':>15}")
                for throttle in (False, True):
                    net = "slow 3G" if throttle else "loopback"
                    run = load(browser, base, "/c/", "body[data-ready='1']", throttle=throttle)
                    sent = report(run["page"], photo)
                    run["context"].close()
                    print(f"{'/c/ public report page':28} {net:9} {run['kb']:8.1f} KB {run['usable_s']:11.2f} s "
                          f"{sent:13.2f} s")
                    ref = load(browser, base, "/m/", "#map[data-ready='1']", throttle=throttle, cookie=cookie)
                    ref["context"].close()
                    print(f"{'/m/ worker page (reference)':28} {net:9} {ref['kb']:8.1f} KB {ref['usable_s']:11.2f} s "
                          f"{'':>15}")
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"peak RSS of this script: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
