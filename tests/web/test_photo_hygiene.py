"""Photos keep nothing but pixels, phones' multi-picture JPEGs are taken, a photo too large in pixels is
told its size and the limit, files a crash left behind are swept, a lost file is reported (issue 11, 6)."""

from __future__ import annotations

import io
import os
import time

from PIL import Image
from sqlmodel import Session, select

from dispatch import photos
from dispatch.models import Photo, Ticket
from tests.web.test_bad_input import _multipart, jpeg
from tests.web.test_loop import run_cli


def stored(api, engine, media_dir, r) -> Image.Image:  # noqa: ANN001
    assert r.status_code == 201, r.text
    with Session(engine) as session:
        row = session.exec(select(Photo).where(Photo.ticket_id == r.json()["ticket"]["id"])).one()
    return Image.open(media_dir / row.path)


def test_a_jpeg_comment_does_not_survive(api, engine, media_dir):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", comment=b"Room 301, 12 Nanjing Rd")
    assert b"Nanjing" in out.getvalue()
    img = stored(api, engine, media_dir, _multipart(api, [("photos", ("c.jpg", out.getvalue(), "image/jpeg"))]))
    assert "comment" not in img.info and "exif" not in img.info and "icc_profile" not in img.info
    assert b"Nanjing" not in open(img.filename, "rb").read()  # noqa: SIM115


def test_a_multi_picture_jpeg_is_taken_as_its_first_picture(api, engine, media_dir):
    first, second = Image.new("RGB", (64, 48), (200, 0, 0)), Image.new("RGB", (64, 48), (0, 0, 200))
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(out.getvalue())).format == "MPO"
    img = stored(api, engine, media_dir, _multipart(api, [("photos", ("m.jpg", out.getvalue(), "image/jpeg"))]))
    assert img.format == "JPEG" and img.size == (64, 48)
    r, g, b = img.convert("RGB").getpixel((32, 24))
    assert r > 150 and b < 100  # the first picture


def test_a_photo_over_the_pixel_limit_is_told_its_size_and_the_limit(api, engine, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PIXELS", 3000)
    r = _multipart(api, [("photos", ("wide.jpg", jpeg((64, 48)), "image/jpeg"))])
    assert r.status_code == 413, r.text
    message = r.json()["message"]
    assert "64×48 = 3,072 pixels" in message and "at most 3,000 pixels" in message


def test_files_a_crash_left_are_swept_and_lost_files_reported(api, engine, media_dir, database_url, monkeypatch):
    r = _multipart(api, [("photos", ("a.jpg", jpeg(), "image/jpeg"))])
    assert r.status_code == 201
    with Session(engine) as session:
        kept = media_dir / session.exec(select(Photo.path)).one()
    orphan, fresh = kept.parent / "left-by-a-crash.jpg", kept.parent / "being-written.jpg"
    orphan.write_bytes(b"x")
    fresh.write_bytes(b"x")
    hour_ago = time.time() - 2 * photos.ORPHAN_AGE_S
    for path in (orphan, kept):
        os.utime(path, (hour_ago, hour_ago))
    with Session(engine) as session:
        assert photos.sweep_orphans(session=session, root=media_dir) == 1
    assert kept.is_file() and fresh.is_file() and not orphan.exists()

    monkeypatch.setenv("GRIDOPS_MEDIA_DIR", str(media_dir))
    assert run_cli(monkeypatch, database_url, "audit", "verify").exit_code == 0
    kept.unlink()  # evidence lost
    result = run_cli(monkeypatch, database_url, "audit", "verify")
    assert result.exit_code == 1 and "missing" in result.output and r.json()["ticket"]["case_number"] in result.output
    with Session(engine) as session:
        assert session.exec(select(Photo)).one()  # the row stays


def test_a_citizens_photo_loses_its_exif_and_gps(api, engine, media_dir):
    """Issue 14: the public page's photos get the same checks as workers': a phone's EXIF with the place it was
    taken (GPS) and a comment are gone from the stored file."""
    from tests.web.test_public import LAT, LNG

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 29.0, 0.0)})  # GPS
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(out, "JPEG", exif=exif, comment=b"Room 301, 12 Nanjing Rd")
    assert Image.open(io.BytesIO(out.getvalue())).getexif().get_ifd(0x8825)
    r = api.client.post("/public/v1/reports", data={
        "lat": str(LAT), "lng": str(LNG), "category_code": "E0101", "description": "楼下垃圾好几天没人清",
        "contact_phone": "13900009999"}, files=[("photos", ("phone.jpg", out.getvalue(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    with Session(engine) as session:
        case = session.exec(select(Ticket).where(Ticket.case_number == r.json()["case_number"])).one()
        row = session.exec(select(Photo).where(Photo.ticket_id == case.id)).one()
    img = Image.open(media_dir / row.path)
    assert row.stage == "report" and img.size == (64, 48)
    assert "exif" not in img.info and "comment" not in img.info and not img.getexif()
    data = (media_dir / row.path).read_bytes()
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"Nanjing" not in data
