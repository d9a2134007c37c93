"""``gridops evaluation``: scores, the cases behind a figure, the scheme's versions and rectification items,
the same as the API's /api/v1/evaluation (dispatch.evaluation)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from grid.clock import utcnow
from grid.errors import DomainError
from web import seclog
from web.cli.support import _day, _fail, _session, _transaction, console
from web.db import reading
from web.settings import get_settings

evaluation_app = typer.Typer(help="Evaluation (考评): scores, schemes, rectification.", no_args_is_help=True)
OBJECT_HELP = "department, district, street, community, cell, worker, operator, shift_lead or dispatcher"


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _period(text: str):  # noqa: ANN202
    from dispatch.evaluation import periods

    try:
        return periods.parse(text, _zone())
    except DomainError as exc:
        _fail(exc.message)


def _pct(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f} %" if kind == "rate" else f"{value:g}"


@evaluation_app.command("scores")
def scores_cmd(
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help=OBJECT_HELP)],
    period: Annotated[str, typer.Argument(help="2026-11, 2026-Q4, 2026-W47, 2026-11-29 or 2026-11-01..2026-11-15")],
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="also write them to a .csv or .xlsx file")
                   ] = None,
    lang: Annotated[str, typer.Option(help="the file's headers: zh or en")] = "zh",
) -> None:
    """Every subject's score and grade for the period, with each figure as numerator/denominator."""
    from dispatch.evaluation.scores import evaluate

    p = _period(period)
    with _session() as session:
        try:
            version, results = evaluate(session=session, obj=obj, period=p)
        except DomainError as exc:
            _fail(exc.message)
    keys = [f.key for f in results[0].figures] if results else []
    table = Table("subject", "name", "score", "grade", *keys,
                  title=f"{obj} · {p.label} · scheme v{version.version}")
    for r in results:
        table.add_row(r.subject, r.name, "—" if r.score is None else f"{r.score:g}", r.grade or "—",
                      *(f"{_pct(f.value, f.kind)} ({f.hits}/{f.rows})" if f.kind == "rate" else _pct(f.value, f.kind)
                        for f in r.figures))
    console.print(table)
    if out:
        from web import evaluation_files as files

        fmt = out.suffix.lstrip(".").lower()
        if fmt not in files.MEDIA or lang not in files.HEAD:
            _fail("write to a .csv or .xlsx file, with --lang zh or en")
        out.write_bytes(files.write(fmt, files.table(results, version, p, lang)))  # type: ignore[arg-type]
        console.print(f"{len(results)} rows written to {out}")


@evaluation_app.command("cases")
def cases_cmd(
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help=OBJECT_HELP)],
    subject: Annotated[str, typer.Argument(help="a department's or area's code, or a user's id")],
    indicator: Annotated[str, typer.Argument(help="e.g. on_time_rate")],
    period: Annotated[str, typer.Argument(help="the period")],
) -> None:
    """The cases behind one figure; those counted in the numerator are marked ✓."""
    from dispatch.evaluation.scores import cases

    with _session() as session:
        try:
            found = cases(session=session, obj=obj, subject=subject, indicator=indicator, period=_period(period))
        except DomainError as exc:
            _fail(exc.message)
    table = Table("case", "category", "status", "counted", title=f"{indicator}: {found['numerator']}"
                  + (f"/{found['denominator']}" if found["denominator"] is not None else ""))
    for item in found["items"]:
        table.add_row(item["case_number"], item["category_code"], item["status"], "✓" if item["hit"] else "✗")
    console.print(table)


@evaluation_app.command("scheme")
def scheme_cmd(
    out: Annotated[Path | None, typer.Option("--out", dir_okay=False, help="write the newest version's JSON here")
                   ] = None,
) -> None:
    """The scheme's versions (newest first); with --out, the newest as JSON to edit and save again."""
    from dispatch.evaluation import scheme

    with _session() as session:
        rows = scheme.versions(session) or [scheme.in_force(session, utcnow().date())[0]]
    table = Table("version", "valid from", "note", "by", "saved")
    for r in rows:
        table.add_row(str(r.version), r.valid_from.isoformat(), r.note, r.created_by, f"{r.created_at:%Y-%m-%d %H:%M}")
    console.print(table)
    if out:
        out.write_text(json.dumps(json.loads(rows[0].body), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        console.print(f"version {rows[0].version} written to {out}")


@evaluation_app.command("scheme-save")
def scheme_save(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the scheme's JSON")],
    valid_from: Annotated[str, typer.Option("--from", help="the first day it applies (today or later), 2027-01-01")],
    note: Annotated[str, typer.Option(help="what changed")] = "",
) -> None:
    """Save a new version of the scheme (on the security log as the operating-system user)."""
    from dispatch.evaluation import scheme

    try:
        body = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{file} is not JSON: {exc}")
    if not isinstance(body, dict):
        _fail(f"{file} must hold one JSON object (the scheme)")
    today = utcnow().astimezone(_zone()).date()
    with _transaction() as session:
        row = scheme.save(session=session, body=body, valid_from=_day(valid_from), today=today, note=note[:200],
                          by=seclog.Source.cli().client)
        seclog.record_change(session, kind=seclog.SecurityKind.evaluation_scheme_change, source=seclog.Source.cli(),
                             actor=None, subject=f"evaluation_scheme:{row.version}", before=None,
                             after={"version": row.version, "valid_from": row.valid_from.isoformat(), "note": row.note})
    console.print(f"version {row.version} saved, in force from {row.valid_from}")


@evaluation_app.command("rectify")
def rectify_cmd(
    period: Annotated[str, typer.Argument(help="a finished period, e.g. last month 2026-10")],
) -> None:
    """Open the rectification items a finished period calls for (once each; the scheduler does it monthly)."""
    from dispatch.evaluation import rectify

    p = _period(period)
    with _session() as session:
        try:
            items = rectify.due_items(session=reading(session), period=p, now=utcnow())
        except DomainError as exc:
            _fail(exc.message)
    with _transaction() as session:
        made = rectify.open_items(session=session, items=items)
        lines = [f"{m.object} {m.subject} {m.subject_name}: {m.reason} (grade {m.grade}, {m.score:g}) due {m.due_on}"
                 for m in made]
    for line in lines:
        console.print(line)
    console.print(f"{len(lines)} items opened for {p.label}")


@evaluation_app.command("items")
def items_cmd(
    state: Annotated[str, typer.Option(help="open, closed or all")] = "open",
    owner: Annotated[str | None, typer.Option(help="a department's or a street's code")] = None,
) -> None:
    """Rectification items, with the next period's figure beside each."""
    from dispatch.evaluation import rectify

    if state not in ("open", "closed", "all"):
        _fail(f"unknown state {state!r}: use open, closed or all")
    with _session() as session:
        rows = rectify.listed(session=session, state=state, owner=owner, tz=_zone())
    table = Table("id", "object", "subject", "period", "reason", "grade", "due", "state", "next")
    for r in rows:
        nxt = r["next"]
        table.add_row(str(r["id"]), r["object"], f"{r['subject']} {r['subject_name']}", r["period"], r["reason"],
                      f"{r['grade']} {r['score']:g}", r["due_on"].isoformat(), r["state"],
                      f"{nxt['period']}: {nxt['grade'] or '—'} {'' if nxt['score'] is None else nxt['score']}")
    console.print(table)


@evaluation_app.command("close-item")
def close_item(
    item_id: Annotated[int, typer.Argument(help="the item's id")],
    account: Annotated[str, typer.Option(help="what was done to fix it")],
) -> None:
    """Close a rectification item with its written account."""
    from dispatch.evaluation import rectify

    with _transaction() as session:
        item = rectify.close(session=session, item_id=item_id, account=account, by=seclog.Source.cli().client,
                             now=utcnow())
    console.print(f"item {item.id} closed")
