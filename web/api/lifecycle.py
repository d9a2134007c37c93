"""GET /api/v1/lifecycle: the lifecycle table as the pages and API clients read it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dispatch.lifecycle import STATES, TABLE, Act, State
from web.api.deps import ActorDep, StateDep

router = APIRouter(prefix="/api/v1", tags=["cases"])


class Labels(BaseModel):
    zh_CN: str = Field(serialization_alias="zh-CN")
    en: str


class StateOut(BaseModel):
    status: str
    final: bool = Field(description="no act moves a case on from here")
    stamp: str | None = Field(description="the timestamp set when a case enters this state")
    label: Labels
    public_label: Labels = Field(description="the wording a citizen is shown")


class TimersOut(BaseModel):
    fulfil: list[str]
    stop: list[str]
    start: list[str]
    pause: list[str]
    resume: list[str]
    extend: list[str]


class ActOut(BaseModel):
    action: str
    from_: list[str] = Field(serialization_alias="from", description="the states it may be taken from")
    roles: list[str]
    to: str = Field(description="the next state; 'previous': back to where the request was made; 'same': no move")
    when: dict[str, list[str]] | None = Field(
        default=None, description="of several rows of one action, the first whose condition holds applies: "
                                  "payload field → the values it applies to (null: always; e.g. a special close "
                                  "needs a reason)")
    needs_reason: bool
    public_note: bool = Field(description="its reason is shown to the reporter on the tracking page (a citizen's or "
                                          "a hotline caller's case): staff write it for the public")
    on_site: bool = Field(description="only the grid workers of the case's cell")
    request: bool = Field(description="puts the case on hold until another act answers it")
    answers: str | None = Field(description="the request this act approves or denies")
    photos: str | None = Field(description="the stage photos sent with it are filed under; null: no photos")
    needs_photo: bool = Field(description="at least one photo must come with it")
    category_photo: bool = Field(description="a photo must come with it when the case's category requires one "
                                             "(GET /categories: after_photo_required)")
    stamp: str | None = Field(description="the timestamp it sets (besides its target state's)")
    payload: dict[str, Any] = Field(description="JSON schema of what its payload may carry")
    timers: TimersOut
    label: Labels


class LifecycleOut(BaseModel):
    states: list[StateOut]
    acts: list[ActOut]
    max_extension_hours: float = Field(description="the longest extension (working hours) a request or an "
                                                   "approval may carry; more is a 422")


def _state(s: State) -> StateOut:
    return StateOut(status=str(s.status), final=s.final, stamp=s.stamp, label=Labels(zh_CN=s.zh, en=s.en),
                    public_label=Labels(zh_CN=s.public_zh, en=s.public_en))


def _act(a: Act) -> ActOut:
    t = a.timers
    return ActOut(
        action=a.action, from_=sorted(str(s) for s in a.from_states), roles=sorted(str(r) for r in a.roles),
        to=a.to, when={k: sorted(v) for k, v in a.when.items()} if a.when else None, needs_reason=a.needs_reason,
        public_note=a.public_note, on_site=a.on_site, request=a.request,
        answers=a.answers, photos=a.photos, needs_photo=a.needs_photo,
        category_photo=a.category_photo, stamp=a.stamp, payload=a.payload.model_json_schema(),
        timers=TimersOut(fulfil=list(t.fulfil), stop=list(t.stop), start=list(t.start), pause=list(t.pause),
                         resume=list(t.resume), extend=list(t.extend)),
        label=Labels(zh_CN=a.zh, en=a.en),
    )


@router.get("/lifecycle", response_model=LifecycleOut, response_model_by_alias=True)
def lifecycle(_: ActorDep, state: StateDep) -> LifecycleOut:
    """The lifecycle table: every state with its labels (staff and public), every act with who may take it
    from which states to which, what its payload carries, what it does to the SLA timers, and its labels."""
    return LifecycleOut(states=[_state(s) for s in STATES.values()], acts=[_act(a) for a in TABLE],
                        max_extension_hours=state.options.max_extension_hours)
