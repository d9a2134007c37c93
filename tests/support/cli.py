"""``gridops …`` run in the test process. Typer turns its app into a click command again on every call
(reading every command's signature: some 70 ms, paid by each of the suite's hundreds of CLI calls); here the
command is made once and run by click's CliRunner, which is what typer's CliRunner does with it."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import click
import typer
from click.testing import CliRunner, Result


@cache
def command() -> click.Command:
    from web.cli.main import app

    return typer.main.get_command(app)


def invoke(args: Sequence[object], input: str | None = None) -> Result:  # noqa: A002
    return CliRunner().invoke(command(), [str(a) for a in args], input=input)
