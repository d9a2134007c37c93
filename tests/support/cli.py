"""``gridops …`` run in the test process. Typer turns its app into a click command again on every call
(reading every command's signature: some 70 ms, paid by each of the suite's hundreds of CLI calls); here the
command is made once, and typer's own CliRunner runs it (its terminal handling: prompts, widths)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from unittest import mock

import typer
import typer.testing
from typer.testing import CliRunner, Result


@cache
def command():  # noqa: ANN201
    from web.cli.main import app

    return typer.main.get_command(app)


def invoke(args: Sequence[object], input: str | None = None) -> Result:  # noqa: A002
    from web.cli.main import app

    # (typer.testing names the conversion it makes on each call _get_command; a typer that renames it fails
    # here loudly, not silently slower)
    with mock.patch.object(typer.testing, "_get_command", lambda _app: command()):
        return CliRunner().invoke(app, [str(a) for a in args], input=input)
