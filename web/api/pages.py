"""The pages people use, served by the app itself: sign-in, the mobile report page (/m/), the
control-room map (/map), the department workbench (/desk), the
administration console (/admin), the public report and tracking page (/c/) and the hotline
screen (/hotline). Their scripts and styles are bundled
from web/frontend at install time into web/static; nothing is fetched from the internet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as FastPath
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlmodel import Session

from web.api.deps import StateDep
from web.api.session import LANDING
from web.auth import SESSION_COOKIE, session_for_cookie, write_touches

HERE = Path(__file__).resolve().parents[1]
PAGES = HERE / "frontend" / "pages"
STATIC = HERE / "static"

router = APIRouter(include_in_schema=False)


def page(name: str, status_code: int = 200) -> Response:
    path = PAGES / f"{name}.html"
    if not (STATIC / "dist").exists():
        return HTMLResponse("<h1>gridops</h1><p>The pages are not built yet: run <code>make demo</code> "
                            "(or <code>cd web/frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>).</p>",
                            status_code=503)
    return FileResponse(path, status_code=status_code, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/")
def home(request: Request, state: StateDep) -> RedirectResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with Session(state.engine) as session:
            found = session_for_cookie(session=session, token=cookie, limits=state.limits)
        write_touches(state.engine, session)
        if found and not found[1].must_change_password:  # (else the sign-in page asks for the new password)
            return RedirectResponse(LANDING.get(found[1].role, "/map"))
    return RedirectResponse("/login")


@router.get("/login")
def login_page() -> Response:
    return page("login")


@router.get("/m/")
def mobile_page() -> Response:
    return page("mobile")


@router.get("/m")
def mobile_redirect() -> RedirectResponse:
    return RedirectResponse("/m/")


@router.get("/m/sw.js")
def service_worker() -> Response:
    """The report page's service worker, served from /m/ so that its scope is the page."""
    return FileResponse(STATIC / "dist" / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/m/"})


@router.get("/m/manifest.webmanifest")
def manifest() -> Response:
    return FileResponse(PAGES / "manifest.webmanifest", media_type="application/manifest+json")


@router.get("/icon.svg")
def icon() -> Response:
    """The pages' icon (browser tab, bookmark, the report page on a phone's home screen)."""
    return FileResponse(PAGES / "icon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    """What a browser asks for when a page names no icon (a JSON answer, a download): the same icon."""
    return RedirectResponse("/icon.svg", status_code=301)


ROBOTS = """\
# The public report page and the open data are for everyone; a tracking link is its reporter's alone, and the
# staff's pages and the API are not for search engines.
User-agent: *
Disallow: /c/t/
Disallow: /api/
Disallow: /login
Disallow: /m/
Disallow: /map
Disallow: /desk
Disallow: /admin
Disallow: /hotline
Disallow: /board
Disallow: /cases/
"""


@router.get("/robots.txt")
def robots() -> PlainTextResponse:
    return PlainTextResponse(ROBOTS, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/map")
def map_page() -> Response:
    return page("map")


@router.get("/desk")
def desk_page() -> Response:
    return page("desk")


@router.get("/admin")
def admin_page() -> Response:
    """The administration console: a client of the API like every page (other roles are told it is for admins)."""
    return page("admin")


@router.get("/c/")
def citizen_page() -> Response:
    """The public report page: no account; a citizen reports a problem and gets a tracking link."""
    return page("citizen")


@router.get("/c")
def citizen_redirect() -> RedirectResponse:
    return RedirectResponse("/c/")


@router.get("/c/t/{token:path}")
def tracking_page(token: str) -> Response:
    """A citizen's private tracking page (the same page, which reads the token from its address); never indexed,
    even where a link to it was published. Whatever follows /c/t/: a link pasted from a message often brings
    "。", ")" or a space along, or lost its end; the page drops what a token cannot hold, cleans its address and
    asks the API (which takes only a well-formed token), else says 没有找到这个诉求. The token is never written
    into the answer."""
    answer = page("citizen")
    answer.headers["X-Robots-Tag"] = "noindex, nofollow"
    return answer


@router.get("/c/{rest:path}")
def citizen_not_found(rest: str) -> Response:
    """Any other address under /c/ (a damaged tracking link): the public page, which says it found nothing, in
    the citizen's words and with the way to report, as 404."""
    answer = page("citizen", status_code=404)
    answer.headers["X-Robots-Tag"] = "noindex, nofollow"
    return answer


@router.get("/hotline")
def hotline_page() -> Response:
    """The 12345 operators' intake screen and call-back list."""
    return page("hotline")


@router.get("/open")
def open_data_page() -> Response:
    """数据开放: the public statistics and the anonymised case data to download (no account)."""
    return page("open")


@router.get("/board")
def board_page() -> Response:
    """The supervisors' board (考评看板): the period's figures, league tables, the grid's heat, the printable report."""
    return page("board")


@router.get("/cases/{ticket_id}/sheet")
def case_sheet(ticket_id: Annotated[int, FastPath(ge=1, le=2**31 - 1)]) -> Response:
    """A case as an A4 sheet to print (案卷处理单); the page reads the case with the caller's own rights."""
    return page("sheet")
