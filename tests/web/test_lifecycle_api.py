"""The lifecycle table through the API: GET /lifecycle describes it, and a new act is one declaration."""

from __future__ import annotations

from dispatch import lifecycle
from dispatch.lifecycle import SAME, TABLE, Act
from dispatch.models import Status
from grid.models import Role


def test_lifecycle_lists_every_state_and_act_with_labels_payloads_and_timers(api):
    body = api.get("worker_a", "/api/v1/lifecycle").json()
    states = {s["status"]: s for s in body["states"]}
    assert set(states) == set(Status)
    assert states["accepted"]["public_label"] == {"zh-CN": "处理中", "en": "Being handled"}
    assert states["closed"]["final"] and states["closed"]["stamp"] == "closed_at"
    acts = {a["action"]: a for a in body["acts"]}
    assert set(acts) == {a.action for a in TABLE}
    ext = acts["request_extension"]
    assert ext["request"] and ext["payload"]["required"] == ["hours"] and ext["label"]["zh-CN"] == "申请延期"
    assert acts["approve_extension"]["timers"]["extend"] == ["handle"]
    assert acts["deny_return"]["to"] == "previous" and acts["deny_return"]["answers"] == "request_return"
    assert acts["resolve"]["photos"] == "resolve" and acts["dispatch"]["from"] == ["registered"]
    # the notes the tracking page shows the reporter: the staff pages label these acts' fields as public
    assert {a for a, act in acts.items() if act["public_note"]} == {"reject", "resolve", "approve_void", "reopen",
                                                                    "explain"}
    # of an action's rows, the one for the payload: a special close needs a reason, a normal one does not
    closes = [(a["when"], a["needs_reason"]) for a in body["acts"] if a["action"] == "close"]
    assert closes == [({"close_type": ["special"]}, True), (None, False)]
    assert body["max_extension_hours"] == 720  # the pages check an extension's hours against it


def test_a_new_act_is_one_declaration(api, monkeypatch):
    """What the README promises: one entry in the table, and the engine, the allowed actions, the reason
    rule, the on-site rule and the record follow."""
    flag = Act("flag_hazard", frozenset({Status.dispatched}), frozenset({Role.worker}), SAME, "标记隐患",
               "Flag a hazard", needs_reason=True, on_site=True)
    monkeypatch.setattr(lifecycle, "TABLE", (*TABLE, flag))
    monkeypatch.setitem(lifecycle.ACTIONS, "flag_hazard", [flag])
    case = api.report("worker_a").json()["ticket"]
    assert case["status"] == "dispatched"
    assert "flag_hazard" in api.get("worker_a", f"/api/v1/tickets/{case['id']}").json()["allowed_actions"]
    refused = api.act("worker_a", case["id"], "flag_hazard")
    assert refused.status_code == 422 and refused.json()["field"] == "reason"
    assert api.act("worker_a", case["id"], "flag_hazard", payload={"x": 1}).status_code == 422
    done = api.act("worker_a", case["id"], "flag_hazard", reason="井盖松动")
    assert done.status_code == 200, done.text
    last = done.json()["timeline"][-1]
    assert (last["action"], last["reason"], last["to_status"]) == ("flag_hazard", "井盖松动", "dispatched")
