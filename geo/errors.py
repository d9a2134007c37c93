"""Errors of the geometry layer: plain ValueErrors with messages a person can act on."""

from __future__ import annotations


class GeoError(ValueError):
    """Base class for bad geometric input."""


class InvalidCoordinates(GeoError):
    pass


class UnsupportedCRS(GeoError):
    pass


class GridFileError(GeoError):
    def __init__(self, message: str, feature_ids: list[str] | None = None) -> None:
        super().__init__(message)
        self.feature_ids = list(feature_ids or [])
