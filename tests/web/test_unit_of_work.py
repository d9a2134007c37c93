"""One unit of work per request: a commit that fails leaves no photo file behind and fires no after-commit
hook (no live event, no scheduler wake-up); a commit that succeeds fires them once."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlmodel import Session

from dispatch.photos import MediaStore, process_image
from tests.web.test_bad_input import counts, jpeg
from web.unit import Unit


def files_under(root) -> list:  # noqa: ANN001
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def failing_commits():
    """Every commit from now on fails at the database, as a lost connection or a constraint would."""
    def boom(session) -> None:  # noqa: ANN001
        raise RuntimeError("the database refused the commit")

    event.listen(Session, "before_commit", boom)
    yield
    event.remove(Session, "before_commit", boom)


@pytest.fixture
def woken(api, monkeypatch) -> list:  # noqa: ANN001
    """Records each after-commit wake-up of the app (SLA scheduler nudge + live hub)."""
    calls: list = []
    state = api.client.app.state.gridops
    monkeypatch.setattr(state, "committed", lambda session: calls.append(session))
    return calls


def photo_report(api, **extra):  # noqa: ANN001, ANN003, ANN202
    data = {"lat": "31.2305", "lng": "121.4805", "category_code": "E0101", "description": "有照片的上报", **extra}
    return api.post("worker_a", "/api/v1/reports", data=data,
                    files=[("photos", ("a.jpg", jpeg(), "image/jpeg")), ("photos", ("b.jpg", jpeg(), "image/jpeg"))])


def test_a_report_whose_commit_fails_leaves_no_file_and_wakes_nobody(api, engine, media_dir, woken,
                                                                      failing_commits):
    with pytest.raises(RuntimeError, match="refused the commit"):
        photo_report(api)
    assert files_under(media_dir) == []
    assert woken == []
    assert counts(engine) == (0, 0, 0)


def test_an_act_whose_commit_fails_leaves_no_file_and_wakes_nobody(api, engine, media_dir, woken):
    case = api.report("worker_a").json()["ticket"]
    assert api.act("sanitation", case["id"], "accept").status_code == 200
    before, calls = files_under(media_dir), len(woken)
    assert calls == 2  # the report and the accept each woke the app once
    listener = lambda session: (_ for _ in ()).throw(RuntimeError("the database refused the commit"))  # noqa: E731
    event.listen(Session, "before_commit", listener)
    try:
        with pytest.raises(RuntimeError, match="refused the commit"):
            api.post("sanitation", f"/api/v1/tickets/{case['id']}/actions/resolve",
                     data={"reason": "已清理"}, files=[("photos", ("after.jpg", jpeg(), "image/jpeg"))])
    finally:
        event.remove(Session, "before_commit", listener)
    assert files_under(media_dir) == before and len(woken) == calls
    detail = api.get("sanitation", f"/api/v1/tickets/{case['id']}").json()
    assert detail["status"] == "accepted" and detail["photos"] == []
    done = api.post("sanitation", f"/api/v1/tickets/{case['id']}/actions/resolve",
                    data={"reason": "已清理"}, files=[("photos", ("after.jpg", jpeg(), "image/jpeg"))])
    assert done.status_code == 200 and len(files_under(media_dir)) == len(before) + 1 and len(woken) == calls + 1


def test_hooks_run_after_a_commit_only_and_a_failing_hook_keeps_the_commit(session, media_dir):
    store = MediaStore(media_dir)
    ran: list[str] = []
    unit = Unit(session, media=store, after_commit=[lambda: ran.append("always")])
    with pytest.raises(ValueError), unit:
        unit.after_commit(lambda: ran.append("once"))
        store.save(process_image(jpeg(), max_bytes=10**6))
        raise ValueError("the act was refused")
    assert ran == [] and files_under(media_dir) == []

    def broken() -> None:
        raise OSError("the hub is gone")

    with unit:
        unit.after_commit(broken)
        unit.after_commit(lambda: ran.append("once"))
        store.save(process_image(jpeg(), max_bytes=10**6))
    assert ran == ["always", "once"] and len(files_under(media_dir)) == 1
    unit.close()  # nothing left to roll back: the committed file stays
    assert len(files_under(media_dir)) == 1
