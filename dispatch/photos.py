"""Photos: checked by content (not by name), size-capped, re-encoded with nothing but their pixels (no EXIF,
GPS, XMP, comment or colour profile; the orientation is applied to the pixels), stored on disk. Files a
crash left without a row are swept (``sweep_orphans``); a row whose file is gone is reported by
``missing_files`` (evidence lost: nothing deletes the row)."""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session, col, select

from dispatch.models import Photo
from grid.clock import utcnow
from grid.errors import InvalidInput

FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
SAME_AS = {"MPO": "JPEG"}  # the multi-picture JPEG of many Android cameras: its first picture is kept
MAX_PIXELS = 50_000_000


class NotAnImage(InvalidInput):
    code = "not_an_image"


class PhotoTooLarge(InvalidInput):
    code = "photo_too_large"


def _too_many_pixels(name: str, pixels: int | None, size: str = "") -> PhotoTooLarge:
    said = f"{size} = {pixels:,} pixels" if size and pixels else f"{pixels:,} pixels" if pixels else \
        "more pixels than can be read"
    return PhotoTooLarge(f"{name} is {said}; photos may have at most {MAX_PIXELS:,} pixels "
                         f"({MAX_PIXELS / 1e6:g} megapixels): a lower camera setting or a resize fixes it",
                         code="photo_too_many_pixels", max_pixels=MAX_PIXELS, name=name)


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str


def process_image(data: bytes, *, name: str = "photo", max_bytes: int) -> ProcessedImage:
    """Validate an upload by its content and return it re-encoded without metadata (EXIF, GPS, XMP).
    The orientation EXIF carried is applied to the pixels first, so the photo still shows upright."""
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"{name} is {len(data) / 1e6:.1f} MB; photos may be at most {max_bytes / 1e6:.1f} MB",
                            max_bytes=max_bytes, limit_bytes=max_bytes, name=name)
    if not data:
        raise NotAnImage(f"{name} is empty", name=name)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = SAME_AS.get(probe.format, probe.format)
            probe.verify()
        if fmt not in FORMATS:
            raise NotAnImage(f"{name} is a {fmt} image; send JPEG, PNG or WebP", name=name)
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise _too_many_pixels(name, img.width * img.height, f"{img.width}×{img.height}")
        img.load()
    except Image.DecompressionBombError as exc:  # refused by Pillow before its size could be read
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise _too_many_pixels(name, int(found.group(1)) if found else None) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise NotAnImage(f"{name} is not an image this service can read (JPEG, PNG or WebP)", name=name) from None
    img = ImageOps.exif_transpose(img)
    img.info = {}  # nothing but pixels: Pillow would write a JPEG comment, a profile or PNG text back
    content_type, extension = FORMATS[fmt]
    out = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        img.save(out, "PNG", optimize=True)
    else:
        img.save(out, "WEBP", quality=88)
    clean = out.getvalue()
    return ProcessedImage(clean, content_type, extension, img.width, img.height, hashlib.sha256(clean).hexdigest())


class MediaStore:
    """Files under the media directory. Remembers what it wrote so the caller can remove it again
    when the database transaction fails (no orphan files, no half-written cases)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.written: list[Path] = []

    def save(self, image: ProcessedImage) -> str:
        now = utcnow()
        rel = Path(f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}{image.extension}")
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(image.data)
        tmp.replace(path)
        self.written.append(path)
        return rel.as_posix()

    def discard_written(self) -> None:
        """The transaction failed: remove the files written for it."""
        for path in self.written:
            path.unlink(missing_ok=True)
        self.written.clear()

    def keep_written(self) -> None:
        """The transaction committed: its files are the cases' now."""
        self.written.clear()

    def path_of(self, rel: str) -> Path:
        path = (self.root / rel).resolve()
        if self.root.resolve() not in path.parents:
            raise InvalidInput("bad media path")
        return path


ORPHAN_AGE_S = 3600


def _files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def sweep_orphans(*, session: Session, root: Path, older_than_s: float = ORPHAN_AGE_S, batch: int = 500) -> int:
    """Delete the files under ``root`` that no photo row names and that are older than ``older_than_s`` (a
    crash between writing a file and committing its row, or an interrupted write). Returns how many."""
    root = Path(root)
    if not root.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    candidates = [p for p in _files(root) if p.stat().st_mtime < cutoff]
    for i in range(0, len(candidates), batch):
        chunk = {p.relative_to(root).as_posix(): p for p in candidates[i:i + batch]}
        kept = set(session.exec(select(Photo.path).where(col(Photo.path).in_(list(chunk)))))
        for rel, path in chunk.items():
            if rel not in kept:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def missing_files(*, session: Session, root: Path, listed: int = 100) -> list[tuple[int, str]]:
    """(case id, path) of photo rows whose file is gone: evidence lost, reported, never deleted."""
    root = Path(root)
    gone = []
    for ticket_id, rel in session.exec(select(Photo.ticket_id, Photo.path).order_by(Photo.id)):
        if not (root / rel).is_file():
            gone.append((ticket_id, rel))
            if len(gone) >= listed:
                break
    return gone
