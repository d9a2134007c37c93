"""The catalogue as an admin changes it (issue 13): one minor class's fields, and the whole catalogue as a
file — exported, edited elsewhere, imported back with a preview of what would be added, what would change
field by field, what stays, and what is refused and why.

Classes are never deleted: cases keep the class they were reported with. A class nobody should report any
more is disabled (``active`` false); a file that leaves a class out leaves it as it is. The file names
departments by code and never creates one: a class naming a department this database lacks is refused."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from grid.errors import InvalidInput, NotFound
from grid.models import Category, CategoryKind, Department, TimeBasis

FORMAT = "gridops-catalogue/1"
MIN_LIMIT_HOURS, MAX_LIMIT_HOURS = 0.1, 8760.0  # six minutes … a year
NAME_MAX, NAME_EN_MAX = 40, 80  # characters of a Chinese and an English name (the public names' columns)
MAX_MAJORS, MAX_MINORS = 200, 99  # two digits each, per kind letter
KINDS = {"C": CategoryKind.component, "E": CategoryKind.event}
MAJOR_CODE, MINOR_CODE = re.compile(r"[CE]\d{2}"), re.compile(r"[CE]\d{4}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: what an admin edits on a minor class, in the file's order
EDITABLE = ("name", "name_en", "public_name", "public_name_en", "default_department_code", "limit_hours_normal",
            "limit_hours_urgent", "limit_hours_critical", "time_basis", "after_photo_required", "active")
#: a class's stored fields an import compares (kind, major and minor follow from the code)
FIELDS = ("kind", "major", "minor", "major_name", "major_name_en", *EDITABLE)
LIMITS = ("limit_hours_normal", "limit_hours_urgent", "limit_hours_critical")
TEXTS = {"name": (NAME_MAX, True), "name_en": (NAME_EN_MAX, True), "public_name": (NAME_MAX, False),
         "public_name_en": (NAME_EN_MAX, False), "major_name": (NAME_MAX, True), "major_name_en": (NAME_EN_MAX, True)}


def values_of(cat: Category) -> dict[str, Any]:
    """A class's compared fields as plain values (enums as their value)."""
    return {f: (v.value if isinstance(v, Enum) else v) for f in FIELDS for v in [getattr(cat, f)]}


def problems(values: Mapping[str, Any], departments: Collection[str]) -> dict[str, str]:
    """What is wrong with a class's values, field → a message a person can act on (empty: nothing)."""
    found = text_problems(values)
    dept = values.get("default_department_code")
    if dept is not None and dept not in departments:
        known = ", ".join(sorted(departments)[:30])
        found["default_department_code"] = f"no department {dept!r}; departments are: {known}"
    limits = [values.get(f) for f in LIMITS]
    for name, hours in zip(LIMITS, limits, strict=True):
        if not isinstance(hours, int | float) or isinstance(hours, bool) \
                or not MIN_LIMIT_HOURS <= hours <= MAX_LIMIT_HOURS:
            found[name] = f"{name} must be between {MIN_LIMIT_HOURS:g} and {MAX_LIMIT_HOURS:g} hours, not {hours!r}"
    if not any(f in found for f in LIMITS) and not limits[0] >= limits[1] >= limits[2]:
        found["limit_hours_urgent"] = ("a more urgent case never gets more time: normal ≥ urgent ≥ critical, "
                                       f"not {limits[0]:g} / {limits[1]:g} / {limits[2]:g} hours")
    if values.get("time_basis") not in {b.value for b in TimeBasis}:
        found["time_basis"] = "time_basis is working or natural"
    for flag in ("after_photo_required", "active"):
        if not isinstance(values.get(flag), bool):
            found[flag] = f"{flag} is true or false"
    return found


def text_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """What is wrong with the names among ``values`` (the keys of ``TEXTS`` it has)."""
    found: dict[str, str] = {}
    for name, (limit, required) in TEXTS.items():
        if name not in values:
            continue
        text = values[name]
        if not isinstance(text, str):
            found[name] = f"{name} must be text"
        elif required and not text.strip():
            found[name] = f"{name} is empty: give the class a name"
        elif len(text) > limit:
            found[name] = f"{name} has {len(text)} characters; at most {limit}"
        elif CONTROL.search(text) or text != text.strip():
            found[name] = f"{name} has a control character or spaces at its ends"
    return found


def _department_codes(session: Session) -> set[str]:
    return set(session.exec(select(Department.code)).all())


def _refuse(problems_found: Mapping[str, str], code: str) -> None:
    if problems_found:
        first = next(iter(problems_found))
        raise InvalidInput(f"category {code}: " + "; ".join(problems_found.values()), field=first,
                           problems=dict(problems_found))


def change_category(*, session: Session, code: str, changes: Mapping[str, Any]) -> Category:
    """Change a minor class's editable fields (``EDITABLE``); what ``changes`` leaves out stays. Disabling a
    class open cases have is allowed: they keep it; new reports are refused it."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"these fields cannot be changed: {', '.join(unknown)}; editable: {', '.join(EDITABLE)}",
                           field=unknown[0])
    cat = session.exec(select(Category).where(Category.code == code.strip().upper())).first()
    if cat is None:
        raise NotFound(f"no category {code!r}: GET /api/v1/categories?include_inactive=true lists them")
    values = {**values_of(cat), **{k: (v.value if isinstance(v, Enum) else v) for k, v in changes.items()}}
    _refuse(problems(values, _department_codes(session)), cat.code)
    for name in changes:
        setattr(cat, name, TimeBasis(values[name]) if name == "time_basis" else values[name])
    session.add(cat)
    session.flush()
    return cat


# --- the file ----------------------------------------------------------------------------------------------

def export_catalogue(session: Session) -> dict[str, Any]:
    """The whole catalogue as a document (``FORMAT``): the departments the classes name, then the major
    classes by code, each with its minor classes by code and every field an admin edits. The same
    catalogue always gives the same document."""
    cats = sorted(session.exec(select(Category)), key=lambda c: c.code)
    used = {c.default_department_code for c in cats if c.default_department_code}
    departments = [{"code": d.code, "name": d.name, "name_en": d.name_en}
                   for d in sorted(session.exec(select(Department)), key=lambda d: d.code) if d.code in used]
    majors: dict[str, dict[str, Any]] = {}
    for c in cats:
        values = values_of(c)
        major = majors.setdefault(c.major_code, {"code": c.major_code, "kind": values["kind"], "name": c.major_name,
                                                 "name_en": c.major_name_en, "minors": []})
        major["minors"].append({"code": c.code, **{f: values[f] for f in EDITABLE}})
    return {"format": FORMAT, "departments": departments, "majors": list(majors.values())}


class MinorEntry(BaseModel):
    """A minor class in the file: every field (``None`` for no default department). The API documents the
    file with this same model."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(description="e.g. E0101")
    name: str
    name_en: str
    public_name: str
    public_name_en: str
    default_department_code: str | None
    limit_hours_normal: float
    limit_hours_urgent: float
    limit_hours_critical: float
    time_basis: TimeBasis
    after_photo_required: bool
    active: bool


@dataclass
class Refused:
    entry: str  # where in the file: majors[0].minors[2]
    code: str  # the class's code as the file gives it ("" when it gives none)
    reasons: list[str]


@dataclass
class ImportPlan:
    """What importing a file would do: the classes it adds (their values), the ones it changes (field →
    (before, after)), the ones it leaves as they are, the entries it refuses, and the classes the file does
    not mention (kept as they are)."""

    added: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    wanted: dict[str, dict[str, Any]] = field(default_factory=dict)  # code → the values the file gives

    def refusal(self) -> str:
        """The refused entries for a person, one per entry."""
        return "; ".join(f"{r.entry} ({r.code or 'no code'}): {', '.join(r.reasons)}" for r in self.refused)


def _file_error(message: str) -> InvalidInput:
    return InvalidInput(f"not a catalogue file: {message}", code="invalid_catalogue_file")


def _pydantic_reasons(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors()]


def plan_import(session: Session, document: Any) -> ImportPlan:
    """Check a catalogue document entry by entry against the database; change nothing. A document that is
    not a catalogue file at all (another format, no list of majors) raises InvalidInput."""
    if not isinstance(document, dict):
        raise _file_error(f'expected a JSON object with "format": "{FORMAT}"')
    if document.get("format") != FORMAT:
        raise _file_error(f'"format" is {document.get("format")!r}; this version reads "{FORMAT}" (export one with '
                          "GET /api/v1/catalogue/export or gridops catalogue export)")
    unknown = sorted(set(document) - {"format", "departments", "majors"})
    if unknown:
        raise _file_error(f"unexpected keys {', '.join(map(repr, unknown))}; a file has format, departments, majors")
    majors = document.get("majors")
    if not isinstance(majors, list) or not isinstance(document.get("departments", []), list):
        raise _file_error('"majors" and "departments" must be lists')
    if len(majors) > MAX_MAJORS:
        raise _file_error(f"{len(majors)} major classes; at most {MAX_MAJORS}")
    departments = _department_codes(session)
    current = {c.code: c for c in session.exec(select(Category))}
    plan, seen_majors, seen = ImportPlan(), set(), {}
    for i, major in enumerate(majors):
        where = f"majors[{i}]"
        if not isinstance(major, dict) or not isinstance(major.get("minors"), list):
            plan.refused.append(Refused(where, "", ["a major class is an object with code, kind, name, name_en and "
                                                    "a list of minors"]))
            continue
        major_code = major.get("code") if isinstance(major.get("code"), str) else ""
        major_reasons = _major_reasons(major, major_code, seen_majors)
        seen_majors.add(major_code)
        if len(major["minors"]) > MAX_MINORS:
            major_reasons.append(f"{len(major['minors'])} minor classes; at most {MAX_MINORS}")
        for j, entry in enumerate(major["minors"]):
            reasons, code, values = _minor(entry, major_code, major, departments)
            if major_reasons:
                reasons = [f"its major class {major_code or where}: " + "; ".join(major_reasons), *reasons]
            if code and code in seen:
                reasons.append(f"{code} is also at {seen[code]}: a class appears once")
            place = f"{where}.minors[{j}]"
            seen.setdefault(code, place)
            if reasons:
                plan.refused.append(Refused(place, code, reasons))
                continue
            plan.wanted[code] = values
            if code not in current:
                plan.added[code] = values
                continue
            before = values_of(current[code])
            diff = {f: (before[f], values[f]) for f in FIELDS if before[f] != values[f]}
            if diff:
                plan.changed[code] = diff
            else:
                plan.unchanged.append(code)
    plan.not_in_file = sorted(set(current) - set(seen))
    return plan


def _major_reasons(major: dict, code: str, seen: set[str]) -> list[str]:
    reasons = []
    if not MAJOR_CODE.fullmatch(code):
        reasons.append(f"code {major.get('code')!r} is not a major class code: C or E and two digits, e.g. E01")
    elif major.get("kind") != KINDS[code[0]].value:
        reasons.append(f"kind {major.get('kind')!r} does not match the code: {code[0]} is {KINDS[code[0]].value}")
    if code in seen:
        reasons.append(f"major class {code} appears twice")
    text = text_problems({"major_name": major.get("name"), "major_name_en": major.get("name_en")})
    reasons += [m.replace("major_name", "name", 1) for m in text.values()]
    return reasons


def _minor(entry: Any, major_code: str, major: dict,
           departments: Collection[str]) -> tuple[list[str], str, dict[str, Any]]:
    """(reasons it is refused, its code, the values it gives)."""
    code = entry.get("code") if isinstance(entry, dict) and isinstance(entry.get("code"), str) else ""
    try:
        parsed = MinorEntry.model_validate(entry)
    except ValidationError as exc:
        return _pydantic_reasons(exc), code, {}
    reasons = []
    if not MINOR_CODE.fullmatch(code):
        reasons.append(f"code {code!r} is not a minor class code: its major's code and two digits, e.g. E0101")
    elif major_code and not code.startswith(major_code):
        reasons.append(f"code {code} is not under its major class {major_code}")
    kind = KINDS[code[0]].value if code[:1] in KINDS else None
    values = {**parsed.model_dump(exclude={"code"}, mode="json"), "kind": kind, "major": code[1:3],
              "minor": code[3:5], "major_name": major.get("name"), "major_name_en": major.get("name_en")}
    reasons += [m for f, m in problems(values, departments).items() if not f.startswith("major_")]
    return reasons, code, values


def apply_import(*, session: Session, plan: ImportPlan) -> None:
    """Write what the plan adds and changes, or nothing at all when it refused any entry (InvalidInput
    naming them). The caller's transaction makes it all or nothing."""
    if plan.refused:
        raise InvalidInput(f"{len(plan.refused)} entries of the file are refused, nothing was changed: "
                           + plan.refusal(), code="catalogue_entries_refused",
                           refused=[{"entry": r.entry, "code": r.code, "reasons": r.reasons} for r in plan.refused])
    current = {c.code: c for c in session.exec(select(Category))}
    for code in [*plan.added, *plan.changed]:
        values = plan.wanted[code]
        cat = current.get(code) or Category(code=code, **_stored(values))
        for name, value in _stored(values).items():
            setattr(cat, name, value)
        session.add(cat)
    session.flush()


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    return {**values, "kind": CategoryKind(values["kind"]), "time_basis": TimeBasis(values["time_basis"])}
