"""Evaluation (考评): schemes, scores with their cases, rectification items and their exports."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["evaluation"])
