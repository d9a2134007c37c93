"""The supervisor's board (/board): counters, trend, top categories and cases per cell for a period."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
