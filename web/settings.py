"""Settings from environment variables (prefix ``GRIDOPS_``), read once by the composition root."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDOPS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/gridops.db",
        description="SQLAlchemy URL. SQLite (WAL mode) by default; postgresql+psycopg://... in production.",
    )
    timezone: str = "Asia/Shanghai"
    media_dir: Path = Path("var/media")
    max_photo_bytes: int = 8 * 1024 * 1024
    max_photos: int = 6
    max_description_chars: int = 2000
    duplicate_radius_m: float = 50.0
    auto_dispatch_worker_reports: bool = True
    rating_window_days: float = Field(default=7.0, gt=0, le=366, description="a reporter may rate a closed case "
                                      "this many days after it closed (好差评)")
    appeal_working_days: float = Field(default=3.0, gt=0, le=60, description="a department may appeal a bad "
                                       "rating this many working days after it (申诉)")
    callback_max_tries: int = Field(default=3, ge=1, le=20, description="unanswered call-backs (回访) before a "
                                    "case leaves the operators' list as unreachable")
    public_reports_per_hour: int = Field(default=10, ge=1, le=100_000, description="public reports (and supports) "
                                         "one client address, or one phone number, may file an hour")
    public_requests_per_minute: int = Field(default=120, ge=1, le=1_000_000, description="requests to the public "
                                            "endpoints (/public/v1, /open/v1) one client address may make a minute")
    forwarded_allow_ips: str = Field(default="", description="the reverse proxies in front of the app, comma-"
                                     "separated addresses or networks (10.0.0.5, 172.18.0.0/16; * for any): from "
                                     "them, X-Forwarded-For names the client (public rate limits, sign-in limits, "
                                     "the security log) and X-Forwarded-Proto its scheme; empty: no proxy is "
                                     "trusted, the connecting address is the client's")
    open_data_min_age_days: float = Field(default=7.0, ge=0, le=366, description="open data (/open/v1) publishes "
                                          "closed cases at once, and the others once they are this many days old")
    open_data_cache_seconds: float = Field(default=300.0, ge=0, le=24 * 3600, description="open data answers are "
                                           "computed at most once this long per query (and may be cached by "
                                           "browsers and proxies as long)")
    scheduler_enabled: bool = Field(default=True, description="run the SLA escalation scheduler in this process")
    sla_sweep_seconds: float = Field(default=30.0, description="safety sweep between deadline wake-ups")
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    session_hours: float = Field(default=12.0, gt=0, description="a browser session ends this long after sign-in")
    session_idle_minutes: float = Field(default=60.0, gt=0, description="… or after this long without a request")
    token_days: float = Field(default=365.0, gt=0, description="the longest an API token lives (a token may be "
                                                               "made to live less)")
    token_idle_days: float = Field(default=90.0, gt=0, description="an API token unused this long stops working")
    login_lock_failures: int = Field(default=5, ge=1, le=100, description="failed sign-ins for one user name within "
                                     "login_lock_minutes that lock it for the rest of that time")
    login_lock_minutes: float = Field(default=15.0, ge=1, le=24 * 60)
    login_address_failures: int = Field(default=30, ge=1, le=10_000, description="failed sign-ins from one client "
                                        "address within login_lock_minutes, whatever the user names, before it is "
                                        "refused for the rest of that time")
    cookie_secure: bool = Field(default=False, description="send the session cookie over HTTPS only")
    public_docs: bool = Field(default=False, description="serve /docs and /openapi.json to anyone, not only to "
                                                         "signed-in users")
    redis_url: str | None = Field(default=None, description="redis://… to carry live events between processes")
    live_poll_seconds: float = Field(default=1.0, description="the live hub's safety-net poll of the outbox")
    map_tiles_url: str | None = Field(
        default=None, description="optional base map: an intranet raster tile URL template with {z}, {x} and {y}")
    map_tiles_crs: Literal["wgs84", "gcj02"] = Field(
        default="wgs84", description="the tiles' coordinate system; gcj02 shifts what the pages draw to match")
    map_tiles_attribution: str = ""
    map_tiles_max_zoom: int = Field(default=18, ge=1, le=22)
    map_case_limit: int = Field(
        default=20_000, ge=1, description="most cases one /map/cases answer lists (its default and maximum limit); "
        "past it the control-room map shows area counts and the cases in view")
    report_threads: int = Field(
        default=4, ge=1, le=64, description="reports one process files at once; more wait their turn (threads "
        "beyond a few only contend for the interpreter: fewer reports a second, not more)")
    request_timeout_seconds: float = Field(
        default=30.0, ge=0, le=24 * 3600, allow_inf_nan=False, description="how long an ordinary request may "
        "take until its answer starts (the time its body takes to arrive not counted): past it the answer is 503 "
        "and the request saves nothing; on PostgreSQL also the longest a statement may run. Streamed downloads and "
        "websockets are not cut. 0: no limit")
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def max_upload_bytes(self) -> int:
        """The largest multipart body: every photo a report may carry, and its fields."""
        return self.max_photos * self.max_photo_bytes + 1_000_000

    @field_validator("map_tiles_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://", "/")) or not all(k in value for k in ("{z}", "{x}", "{y}")):
            raise ValueError("GRIDOPS_MAP_TILES_URL must be an http(s) URL template with {z}, {x} and {y}, "
                             "e.g. http://tiles.intranet/{z}/{x}/{y}.png")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
