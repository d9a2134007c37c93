"""The public's API (/public/v1): no account. What the public report page needs — the public category list,
the managed area's outline, locating a point, address search, nearby open cases — and reporting, supporting
an open case, following one's case by its private tracking link and rating it.

Every route is rate-limited per client address (``Settings.public_requests_per_minute``), reports and
supports also per address and per phone number an hour (``public_reports_per_hour``): 429 with Retry-After.
Errors are JSON ``{"error": code, "message": …, …parameters}`` as everywhere in the API. Nothing here
names a staff member or shows another reporter's words, photos or contact."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dispatch import ratings, service, tracking
from dispatch.lifecycle import STATES
from dispatch.models import Ticket
from dispatch.nearby import open_nearby
from dispatch.photos import MediaStore
from dispatch.privacy import normalize_phone
from dispatch.ratings import Level
from geo.crs import normalize_crs, to_wgs84
from grid import addresses, catalogue
from grid.clock import utcnow
from grid.errors import Conflict, InvalidInput, NotFound
from grid.hierarchy import ancestors_of, areas_geojson
from grid.models import AreaLevel, Category
from grid.people import CITIZEN
from web.api import errors
from web.api.deps import SessionDep, StateDep, UnitDep
from web.api.grid import AreaGeometry
from web.api.map import BasemapOut, basemap_config
from web.api.uploads import openapi_body, read_body, validated
from web.state import AppState

MAX_PHOTOS = 3
TRACK = tracking.TRACK_PATH


def client_address(request: Request) -> str:
    """The client's address: the connecting one, or, from a trusted reverse proxy (GRIDOPS_FORWARDED_ALLOW_IPS),
    the one its X-Forwarded-For names (web.app applies it to every request)."""
    return request.client.host if request.client else ""


def limited(request: Request) -> str:
    """Every public request counts against its address's per-minute limit; the address, for the routes."""
    address = client_address(request)
    state: AppState = request.app.state.gridops
    if state.public_limits is not None:
        state.public_limits.request(address)
    return address


Address = Annotated[str, Depends(limited)]
LIMITED = {429: {"description": "too many requests from this address (or reports from this number): wait for "
                                "Retry-After seconds"}}
router = APIRouter(prefix="/public/v1", tags=["public"], responses=LIMITED)
Token = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class PublicCategoryOut(BaseModel):
    code: str
    kind: str
    name: str = Field(description="the plain words citizens use (the class's public name, else its name)")
    name_en: str


class OutlineProperties(BaseModel):
    code: str
    name: str


class OutlineFeature(BaseModel):
    type: Literal["Feature"]
    id: str = Field(description="the community's code")
    geometry: AreaGeometry
    properties: OutlineProperties


class OutlineOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[OutlineFeature]


class PublicLocateOut(BaseModel):
    inside: bool = Field(description="whether the point is inside the managed area")
    cell_code: str | None
    community_name: str | None
    street_name: str | None
    distance_m: float | None = Field(description="outside: how far the nearest cell is")


class PublicAddressOut(BaseModel):
    name: str
    lat: float
    lng: float


class PublicNearbyItem(BaseModel):
    case_number: str
    category_code: str
    public_status: str = Field(description="the case's status; its public wording: GET /api/v1/lifecycle's "
                                           "public_label (the pages: status_public.<status>)")
    distance_m: float


class PublicNearbyOut(BaseModel):
    radius_m: float
    items: list[PublicNearbyItem]


class PublicReportIn(BaseModel):
    lat: StrictFloat | StrictInt | str
    lng: StrictFloat | StrictInt | str
    crs: str | None = Field(default=None, description="wgs84 (default), gcj02, bd09 or cgcs2000")
    category_code: str = Field(max_length=8)
    description: str
    address: str = Field(default="", max_length=200)
    contact_name: str = Field(default="", max_length=40)
    contact_phone: str = Field(default="", max_length=32)
    confidential: StrictBool | Literal["true", "false", "on", ""] = False
    client_id: str = Field(default="", max_length=64, description="a random id the page keeps (supports without a "
                                                                  "number count once per client)")
    website: str = Field(default="", max_length=200, description="leave empty (a field people do not see)")


class PublicReportOut(BaseModel):
    case_number: str
    tracking_token: str = Field(description="the private link's key: shown once, kept only as a hash")
    tracking_url: str
    public_status: str


class SupportIn(BaseModel):
    contact_phone: str | None = Field(default=None, max_length=32)
    client_id: str | None = Field(default=None, max_length=64)


class SupportOut(BaseModel):
    case_number: str
    support_count: int


class NoteOut(BaseModel):
    at: datetime
    action: str = Field(description="the act: reject, resolve, explain, reopen, approve_void")
    text: str


class PublicPhotoOut(BaseModel):
    id: int
    stage: str = Field(description="report (the reporter's) or resolve (after handling)")
    url: str


class PublicRatingOut(BaseModel):
    level: str
    comment: str
    at: datetime


class MergedOut(BaseModel):
    case_number: str = Field(description="the case the report is handled with (合并: the same problem)")
    public_status: str
    public_label: dict[str, str] = Field(description="its status in the public's words, zh-CN and en")
    department_name: str | None
    department_name_en: str | None
    expected_at: datetime | None
    expected_stage: str | None
    closed_at: datetime | None
    notes: list[NoteOut] = Field(description="the department's public reply on that case")


class TrackOut(BaseModel):
    case_number: str
    category_code: str
    category_name: str
    category_name_en: str
    public_status: str
    public_label: dict[str, str] = Field(description="the status in the public's words, zh-CN and en")
    description: str
    address: str
    created_at: datetime
    department_name: str | None
    department_name_en: str | None
    expected_at: datetime | None = Field(description="when it is due (the running time limit); null once closed")
    expected_stage: str | None = Field(description="the time limit's stage (verify, register, dispatch, accept, "
                                                   "handle, check, close, rectify): what is expected by then; "
                                                   "null when none runs")
    closed_at: datetime | None
    notes: list[NoteOut]
    photos: list[PublicPhotoOut]
    rating: PublicRatingOut | None = Field(description="the rating of the latest closing")
    can_rate: bool
    rate_until: datetime | None
    cannot_rate: str | None = Field(description="why not: not_closed, already_rated, rating_window_closed, or ended "
                                                "(rejected, void or merged: never rated as itself)")
    support_count: int
    merged_into: MergedOut | None = Field(description="a merged report (已并案办理): the case it is handled with, "
                                                      "followed here to its end")


class RateIn(BaseModel):
    level: Level
    comment: str = Field(default="", max_length=500)


def _track_out(session: Session, state: AppState, ticket, token: str) -> TrackOut:  # noqa: ANN001
    data = tracking.view(session=session, ticket=ticket, options=state.options, now=utcnow())
    for photo in data["photos"]:
        photo["url"] = photo["url"].replace("{token}", token)
    status = STATES[ticket.status]
    if data["merged_into"] is not None:
        into = STATES[data["merged_into"]["public_status"]]
        data["merged_into"]["public_label"] = {"zh-CN": into.public_zh, "en": into.public_en}
    return TrackOut(**data, public_label={"zh-CN": status.public_zh, "en": status.public_en})


@router.get("/categories", response_model=list[PublicCategoryOut])
def categories(session: SessionDep, _: Address) -> list[PublicCategoryOut]:
    """The classes the public may report, in plain words: the enabled classes that have a public name."""
    rows = session.exec(select(Category).where(Category.active, Category.public_name != "").order_by(Category.code))
    return [PublicCategoryOut(code=c.code, kind=str(c.kind), name=c.public_name,
                              name_en=c.public_name_en or c.name_en) for c in rows]


@router.get("/outline", response_model=OutlineOut)
def outline(session: SessionDep, _: Address) -> dict:
    """The communities of the managed area as GeoJSON (code, name): where a report may be placed."""
    data = areas_geojson(session=session, level=AreaLevel.community)
    for feature in data["features"]:
        feature["properties"] = {"code": feature["properties"]["code"], "name": feature["properties"]["name"]}
    return data


@router.get("/basemap", response_model=BasemapOut)
def basemap(state: StateDep, _: Address) -> dict:
    """The optional base map under the pin map (an intranet tile server; none: the outline is the map)."""
    return basemap_config(state.settings)


@router.get("/locate", response_model=PublicLocateOut)
def locate(session: SessionDep, state: StateDep, _: Address, lat: str, lng: str, crs: str | None = None
           ) -> PublicLocateOut:
    """Whether a point is inside the managed area, and its cell, community and street."""
    wlng, wlat = to_wgs84(lng, lat, normalize_crs(crs))
    index = state.index.get(session)
    code = index.locate(wlng, wlat)
    if code is None:
        distance = index.nearest(wlng, wlat)[1] if len(index) else None
        return PublicLocateOut(inside=False, cell_code=None, community_name=None, street_name=None,
                               distance_m=round(distance, 1) if distance is not None else None)
    chain = {a.level: a.name for a in ancestors_of(session=session, cell_code=code)}
    return PublicLocateOut(inside=True, cell_code=code, community_name=chain.get(AreaLevel.community),
                           street_name=chain.get(AreaLevel.street), distance_m=None)


@router.get("/addresses", response_model=list[PublicAddressOut])
def search_addresses(session: SessionDep, _: Address, q: Annotated[str, Query(max_length=60)]
                     ) -> list[PublicAddressOut]:
    """Up to 10 addresses whose name holds every word of ``q``."""
    return [PublicAddressOut(name=a.name, lat=a.lat, lng=a.lng)
            for a in addresses.search(session=session, q=q, limit=10)]


@router.get("/nearby", response_model=PublicNearbyOut)
def nearby(session: SessionDep, state: StateDep, _: Address, lat: str, lng: str,
           category_code: Annotated[str, Query(max_length=8)], crs: str | None = None) -> PublicNearbyOut:
    """Open cases of the category near a point ("is it one of these?"): category, status and distance only."""
    wlng, wlat = to_wgs84(lng, lat, normalize_crs(crs))
    code = category_code.strip().upper()
    if code not in catalogue.categories(session):
        raise InvalidInput(f"unknown category {category_code!r}", code="unknown_category", field="category_code")
    radius = state.options.duplicate_radius_m
    found = open_nearby(session=session, category_code=code, lng=wlng, lat=wlat, radius_m=radius)
    return PublicNearbyOut(radius_m=radius, items=[
        PublicNearbyItem(case_number=t.case_number, category_code=t.category_code, public_status=str(t.status),
                         distance_m=round(d, 1)) for t, d in found if t.status != "verify_disputed"])


@router.post("/reports", status_code=201, response_model=PublicReportOut, openapi_extra=openapi_body(PublicReportIn),
             responses=errors.responses(413, 422))
async def report(request: Request, state: StateDep, session: SessionDep, unit: UnitDep, address: Address
                 ) -> PublicReportOut:
    """Report a problem: JSON, or multipart with up to 3 `photos`. The answer is the case number and the private
    tracking link (its token is shown this once). The cell's grid worker verifies the report on site first."""
    limits = state.public_limits
    if limits is not None:  # every attempt, before the body is read (its photos cost work to check) …
        limits.attempt(address)
    fields, photos = await read_body(request, state.settings.model_copy(update={"max_photos": MAX_PHOTOS}))
    body: PublicReportIn = validated(PublicReportIn, fields)
    if body.website:
        raise InvalidInput("the form was not accepted: reload the page and send it again", code="form_not_accepted")
    phone = normalize_phone(body.contact_phone)
    if limits is not None:
        limits.phone(phone, count=False)
    token, digest = tracking.new_token()

    def work() -> PublicReportOut:
        with unit:
            result = service.report(
                session=session, actor=CITIZEN, index=state.index.get(session), options=state.options,
                lat=body.lat, lng=body.lng, crs=body.crs, category_code=body.category_code,
                description=body.description, address=body.address, photos=photos, store=unit.media,
                contact_name=body.contact_name, contact_phone=phone,
                confidential=body.confidential in (True, "true", "on"), tracking_hash=digest,
            )
            ratings.reporter_supports(session=session, ticket=result.ticket, phone=phone, client_id=body.client_id)
            if limits is not None:  # … and only an accepted one against the reports (a refused one is corrected
                limits.report(address)  # and sent again); a 429 here files nothing
                limits.phone(phone)
        return PublicReportOut(case_number=result.ticket.case_number, tracking_token=token,
                               tracking_url=f"{TRACK}{token}", public_status=str(result.ticket.status))

    return await anyio.to_thread.run_sync(work, limiter=state.filing)


@router.post("/cases/{case_number}/support", response_model=SupportOut,
             responses=errors.responses(404, 409, 422))
def support(case_number: Annotated[str, Path(max_length=24)], body: SupportIn, request: Request, state: StateDep,
            session: SessionDep, unit: UnitDep, address: Address) -> SupportOut:
    """"Same problem": count this person's support on an open case instead of a new report (once per phone
    number, or per client without one)."""
    phone = normalize_phone(body.contact_phone)
    with unit:
        ticket = session.exec(select(Ticket).where(Ticket.case_number == case_number)).first()
        if ticket is None:
            raise NotFound(f"no case {case_number}")
        if state.public_limits is not None:
            state.public_limits.report(address)
            state.public_limits.phone(phone)
        try:
            service.act_on(session=session, actor=CITIZEN, ticket=ticket, action="support", options=state.options,
                           payload={"contact_phone": phone or None, "client_id": body.client_id})
        except IntegrityError:
            raise Conflict("this number already supports the case", code="already_supported") from None
        return SupportOut(case_number=ticket.case_number, support_count=ticket.support_count)


@router.get("/track/{token}", response_model=TrackOut, responses=errors.responses(not_found="no case has this link"))
def track(token: Token, state: StateDep, session: SessionDep, _: Address) -> TrackOut:
    """The case of a private tracking link, as its reporter may see it."""
    return _track_out(session, state, tracking.find(session=session, token=token), token)


@router.post("/track/{token}/rating", status_code=201, response_model=TrackOut,
             responses=errors.responses(404, 409, 422))
def rate(token: Token, body: RateIn, state: StateDep, session: SessionDep, unit: UnitDep, _: Address) -> TrackOut:
    """好差评: rate the closed case (one rating per closing, within the rating window). 非常满意 … 非常不满意;
    a bad rating is reviewed by the shift lead."""
    with unit:
        ticket = tracking.find(session=session, token=token)
        why_not = tracking.cannot_rate(session, ticket, state.options, utcnow())
        if why_not == "not_closed":
            raise Conflict("the case is not closed yet: it can be rated once it is done", code="not_closed",
                           status=str(ticket.status))
        if why_not == "ended":
            raise Conflict("this report was not handled as a case of its own (not accepted, void or merged into "
                           "another): there is no result of its own to rate", code="not_rateable",
                           status=str(ticket.status))
        if why_not == "already_rated":
            raise Conflict("this case has been rated already: one rating per case (一事一评)", code="already_rated")
        service.act_on(session=session, actor=CITIZEN, ticket=ticket, action="rate", options=state.options,
                       payload={"level": body.level, "comment": body.comment})
    return _track_out(session, state, ticket, token)


@router.get("/track/{token}/photos/{photo_id}", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}}}, **errors.responses(not_found="no such photo")})
def track_photo(token: Token, photo_id: Annotated[int, Path(ge=1, le=2**31 - 1)], state: StateDep,
                session: SessionDep, _: Address) -> FileResponse:
    """A photo of the reporter's case: the report's own and the result's."""
    ticket = tracking.find(session=session, token=token)
    photo = tracking.photo(session=session, ticket=ticket, photo_id=photo_id)
    path = MediaStore(state.settings.media_dir).path_of(photo.path)
    if not path.exists():
        raise NotFound(f"photo {photo_id}'s file is missing")
    return FileResponse(path, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=3600"})

