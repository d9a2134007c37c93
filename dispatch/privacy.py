"""The public's reporter on a case (a citizen, a hotline caller): who sees the name and number, and how.

In full: operators, shift leads and supervisors, and the case's department unless the reporter asked to stay
confidential (保密). Masked (138****1234, 张*): the department of a confidential case, dispatchers and admins.
Grid workers and everyone else: nothing. Live events and public pages never carry them."""

from __future__ import annotations

import hashlib
import re

from pydantic import BaseModel, Field

from dispatch.models import Ticket
from grid.errors import InvalidInput
from grid.models import Role

FULL = frozenset({Role.operator, Role.shift_lead, Role.supervisor})
MASKED = frozenset({Role.dispatcher, Role.admin})
_SEPARATORS = re.compile(r"[\s\-()（）]")


class ContactOut(BaseModel):
    name: str = Field(description="the reporter's name; masked (张*) where the caller may not see it in full")
    phone: str = Field(description="the number; masked (138****1234) where the caller may not see it in full")
    confidential: bool = Field(description="保密: the reporter asked that the department not see who they are")
    masked: bool


def normalize_phone(value: str | None, *, field: str = "contact_phone") -> str:
    """A phone number as digits (a mainland mobile without +86), or '' for none; 422 for what is not one."""
    text = _SEPARATORS.sub("", (value or "").strip())
    if not text:
        return ""
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not text.isdigit() or not 7 <= len(text) <= 15 or (len(text) == 11 and text[0] == "1" and text[1] in "012"):
        raise InvalidInput(f"{value!r} is not a phone number: give a mobile (13812345678) or a landline with its "
                           "area code (021-12345678)", code="invalid_phone", field=field)
    if text[0] == "1" and len(text) != 11:
        raise InvalidInput(f"{value!r}: a mobile number has 11 digits", code="invalid_phone", field=field)
    return text


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "*" * len(phone)


def mask_name(name: str) -> str:
    return name[:1] + "*" * min(len(name) - 1, 2) if name else ""


def key_of(kind: str, value: str) -> str:
    """What identifies a member of the public (a number, a page's client id) without keeping it."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def in_full(role: Role | None, *, confidential: bool) -> bool:
    """Whether ``role`` sees a case's reporter in full (name and number unmasked)."""
    return role in FULL or (role == Role.department and not confidential)


def contact_view(ticket: Ticket, role: Role | None) -> ContactOut | None:
    """The reporter's contact as ``role`` may see it; None when there is none or it may see nothing."""
    if not (ticket.contact_name or ticket.contact_phone) or role is None:
        return None
    full = in_full(role, confidential=ticket.confidential)
    if not full and role not in MASKED and role != Role.department:
        return None
    name, phone = ticket.contact_name, ticket.contact_phone
    if not full:
        name, phone = mask_name(name), mask_phone(phone)
    return ContactOut(name=name, phone=phone, confidential=ticket.confidential, masked=not full)


def can_search_by_phone(role: Role) -> bool:
    return role in FULL
