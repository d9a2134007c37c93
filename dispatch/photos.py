"""Photos: checked by content (not by name), size-capped, re-encoded without EXIF, stored on disk."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from grid.clock import utcnow
from grid.errors import InvalidInput

FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png"), "WEBP": ("image/webp", ".webp")}
MAX_PIXELS = 50_000_000


class NotAnImage(InvalidInput):
    code = "not_an_image"


class PhotoTooLarge(InvalidInput):
    code = "photo_too_large"


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
                            max_bytes=max_bytes)
    if not data:
        raise NotAnImage(f"{name} is empty")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in FORMATS:
            raise NotAnImage(f"{name} is a {fmt} image; send JPEG, PNG or WebP")
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise NotAnImage(f"{name} has too many pixels ({img.width}×{img.height})")
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise NotAnImage(f"{name} is not an image this service can read (JPEG, PNG or WebP)") from None
    img = ImageOps.exif_transpose(img)
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
