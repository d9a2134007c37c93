"""One unit of work: a transaction, the files written for it, and what to do once it has committed.

The API gets one per request (``web.api.deps.UnitDep``), the CLI and the background jobs use the same
class. Service functions never commit; the caller wraps them in ``with unit:``, which commits when the
block ends normally. When the block raises, or the commit itself fails, the transaction is rolled back,
the photo files written for it are deleted, and no after-commit hook runs. After a successful commit the
hooks run (wake the SLA scheduler, tell the live hub); a failing hook is logged, never undoes the commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from types import TracebackType

from sqlmodel import Session

from dispatch.photos import MediaStore

log = logging.getLogger("gridops.unit")
Hook = Callable[[], None]


class Unit:
    def __init__(self, session: Session, *, media: MediaStore | None = None, after_commit: Iterable[Hook] = ()) -> None:
        self.session = session
        self.media = media
        self._always = list(after_commit)  # run after every commit of this unit
        self._once: list[Hook] = []  # run after the next commit only

    def after_commit(self, hook: Hook) -> None:
        """Run ``hook`` once the current transaction has committed; dropped if it rolls back."""
        self._once.append(hook)

    def __enter__(self) -> Unit:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.rollback()

    def commit(self) -> None:
        try:
            self.session.commit()
        except BaseException:
            self.rollback()
            raise
        if self.media is not None:
            self.media.keep_written()
        hooks, self._once = [*self._always, *self._once], []
        for hook in hooks:
            try:
                hook()
            except Exception:  # the change is committed; a missed wake-up is caught by the next sweep
                log.exception("after-commit hook %r failed", hook)

    def rollback(self) -> None:
        self.session.rollback()
        if self.media is not None:
            self.media.discard_written()
        self._once.clear()

    @property
    def pending(self) -> bool:
        """Something not committed: a transaction begun or files written."""
        return self.session.in_transaction() or (self.media is not None and bool(self.media.written))

    def close(self) -> None:
        """End of the request or job: whatever was not committed is rolled back and its files removed."""
        if self.pending:
            self.rollback()
