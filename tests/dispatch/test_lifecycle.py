"""The lifecycle table is the whole specification of every act: walk it and check that it holds together."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

from pydantic import BaseModel

from dispatch import lifecycle, policies, service
from dispatch.lifecycle import PREVIOUS, SAME, STAGES, STATES, TABLE, Act, Timers
from dispatch.models import TERMINAL, Status, Ticket

ROOT = Path(__file__).resolve().parents[2]
STARTS = {Status.verifying, Status.reported}  # where a report puts a new case
ACT_NAMES = {a.action for a in TABLE}


def targets(act: Act) -> set[Status]:
    """The states an act can lead to; an answer that goes back (PREVIOUS) leads to wherever its request
    could have been made from."""
    if act.to == SAME:
        return set()
    if act.to == PREVIOUS:
        request = next(a for a in TABLE if a.action == act.answers)
        return set(request.from_states)
    return {Status(act.to)}


def test_every_state_is_declared_once_with_its_labels():
    assert set(STATES) == set(Status)
    for state in STATES.values():
        assert state.zh and state.en and state.public_zh and state.public_en, state
        if state.stamp:
            assert state.stamp in Ticket.model_fields, state


def test_every_state_is_reachable_and_every_open_state_has_a_way_out():
    reached, frontier = set(STARTS), list(STARTS)
    while frontier:
        here = frontier.pop()
        for act in TABLE:
            if here in act.from_states:
                for nxt in targets(act) - reached:
                    reached.add(nxt)
                    frontier.append(nxt)
    assert reached == set(Status), set(Status) - reached
    for status in set(Status) - TERMINAL:
        assert any(status in a.from_states and targets(a) - {status} for a in TABLE), f"{status} has no way out"
    for status in TERMINAL:  # final, but for the reporter's bad rating of a closed case and its review
        leaving = {a.action for a in TABLE if status in a.from_states and targets(a) - {status}}
        assert leaving == ({"rate"} if status == Status.closed else set()), f"{status} should be final: {leaving}"


def test_every_act_is_complete():
    for act in TABLE:
        assert act.zh and act.en, act.action
        assert act.roles and act.from_states, act.action
        assert issubclass(act.payload, BaseModel), act.action
        assert act.payload.model_config.get("extra") == "forbid", f"{act.action}'s payload must refuse unknown fields"
        assert act.to in (SAME, PREVIOUS) or act.to in set(Status), act.action
        if act.stamp:
            assert act.stamp in Ticket.model_fields, act.action
        if act.photos:
            assert re.fullmatch(r"[a-z]+", act.photos), act.action
        if act.effect is not None:
            assert callable(act.effect), act.action
            assert act.effect.__module__ in ("dispatch.effects", "dispatch.ratings"), act.action


def test_requests_are_answered_and_answers_go_back_only_to_where_the_request_was_made():
    requests = [a for a in TABLE if a.request]
    assert {a.action for a in requests} == {"request_return", "request_extension", "request_suspension",
                                            "request_void"}
    for request in requests:
        answers = [a for a in TABLE if a.answers == request.action]
        assert {a.action.split("_")[0] for a in answers} == {"approve", "deny"}, request.action
        assert all(a.from_states == {Status(request.to)} for a in answers), request.action
    for act in TABLE:
        if act.to == PREVIOUS:
            assert act.answers, f"{act.action} goes back but answers no request"
        if act.answers:
            assert act.answers in ACT_NAMES


def test_timers_are_consistent_with_the_sla_stages():
    assert policies.STAGES is STAGES  # every stage but handle has one default: in hours, or in working days
    assert set(policies.DEFAULT_LIMITS) | set(policies.DEFAULT_WORKING_DAYS) | {"handle"} == set(STAGES)
    assert not set(policies.DEFAULT_LIMITS) & set(policies.DEFAULT_WORKING_DAYS)
    started = {"verify", "register"}  # a report starts one of these (sla.on_report)
    fulfilled: set[str] = set()
    for act in TABLE:
        t = act.timers
        assert isinstance(t, Timers) and t.stages() <= set(STAGES), act.action
        assert not set(t.fulfil) & set(t.stop), f"{act.action} both fulfils and stops a stage"
        if t.extend:
            assert "hours" in act.payload.model_fields, f"{act.action} extends a timer but carries no hours"
        started |= set(t.start)
        fulfilled |= set(t.fulfil)
    assert started == set(STAGES), set(STAGES) - started
    assert fulfilled == set(STAGES), f"stages no act fulfils: {set(STAGES) - fulfilled}"
    # an act that ends a case stops every timer still running
    for act in TABLE:
        if act.to not in (SAME, PREVIOUS) and Status(act.to) in TERMINAL:
            assert set(act.timers.fulfil) | set(act.timers.stop) >= set(STAGES), act.action


def test_the_engine_names_no_action():
    source = "".join(inspect.getsource(f) for f in (service.act, service.act_on, service._take, service._record))
    named = {name for name in ACT_NAMES if re.search(rf"['\"]{name}['\"]", source)}
    assert not named, f"service.act special-cases {named}: put it in the act's table entry"
    assert "action ==" not in source


def test_the_pages_labels_are_generated_from_the_table():
    """web/frontend/src/i18n/lifecycle.json is written by `gridops labels`; the pages keep no copy."""
    on_disk = json.loads((ROOT / "web/frontend/src/i18n/lifecycle.json").read_text(encoding="utf-8"))
    assert on_disk == lifecycle.labels(), "run gridops labels"
    for page_file in (ROOT / "web/frontend/src/i18n").glob("*.js"):
        assert not re.search(r'"(status|action)\.[a-z_]+"\s*:', page_file.read_text(encoding="utf-8")), page_file
