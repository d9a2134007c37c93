"""Passwords: argon2 hashes, and the policy a new password must meet (at least 10 characters, not containing the user
name, not a common password: zxcvbn's list of the 30,000 most used, and its estimate of how guessable it is)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from grid.errors import InvalidInput
from grid.models import User

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 hashes anything, but a megabyte "password" is only a way to spend our CPU

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash (no policy check: ``check_policy`` is for passwords a person chooses)."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, username: str) -> None:
    """Refuse a new password that is too short, too long, contains the user name, or is common or easily
    guessed: a 422 naming the ``rule`` broken (the pages say it in their language)."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters (this one has {len(password)})",
                           field="password", rule="too_short", min_length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password may have at most {MAX_LENGTH} characters", field="password",
                           rule="too_long", max_length=MAX_LENGTH)
    folded = password.strip().lower()
    name = username.strip().lower()
    if name and (folded == name or len(name) >= 3 and name in folded):
        raise InvalidInput("a password must not contain the user name", field="password", rule="contains_username")
    if folded in _common():
        raise InvalidInput("this password is on the list of the most common passwords; choose another",
                           field="password", rule="common")
    from zxcvbn import zxcvbn

    verdict = zxcvbn(password, user_inputs=[username, "gridops"])
    if verdict["score"] < 2:
        hint = (verdict["feedback"].get("warning") or "").rstrip(".")
        raise InvalidInput(f"this password is too easy to guess{f' ({hint})' if hint else ''}; use a longer phrase "
                           "of unrelated words", field="password", rule="guessable")


def check_password(user: User, password: str) -> bool:
    if not user.password_hash or len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_a_check(password: str) -> None:
    """Spend what a check costs, so a missing user answers as slowly as a wrong password."""
    _hasher.hash((password or "x")[:MAX_LENGTH])
