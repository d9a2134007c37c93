"""Users in bulk from a spreadsheet (CSV or XLSX): every row checked as the one-by-one creation checks it,
a preview of what will be created and what is wrong with each bad row, then the good rows created.

Columns, by header (English or Chinese; order free): username 用户名, display_name 姓名, role 角色 (the role's
code or its Chinese name), department 部门 (a department code), cells 网格 (cell codes separated by spaces,
commas or 、, and ranges such as ``310101001001001-310101001001012`` or ``310101001001001-012`` within one
community), is_leader 负责人 (是/否, yes/no, 1/0). A spreadsheet holds no passwords: each user created gets a
one-time password, shown once in the answer, to be changed at the first sign-in (at most 50 users a file
then; without passwords, any number, and their passwords are set later).

A row is checked by creating it in a savepoint and rolling that back, so the preview's verdict is the
creation's own (user name taken or malformed, unknown department or cell, a role that needs a department …)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from sqlmodel import Session

from grid.errors import DomainError, InvalidInput
from grid.people import Actor
from web import accounts
from web.seclog import Source

MAX_ROWS = 2000
MAX_WITH_PASSWORDS = 50  # argon2 takes some 0.3 s a password: 50 fit well within a request's time limit
HEADERS = {
    "username": ("username", "user", "用户名", "账号"),
    "display_name": ("display_name", "name", "姓名", "显示名"),
    "role": ("role", "角色"),
    "department": ("department", "department_code", "部门", "部门代码"),
    "cells": ("cells", "cell_codes", "网格", "负责网格"),
    "is_leader": ("is_leader", "leader", "负责人", "部门负责人"),
}
ROLES = {"网格员": "worker", "派遣员": "dispatcher", "值班长": "shift_lead", "处置部门": "department",
         "部门": "department", "督查员": "supervisor", "管理员": "admin"}
YES, NO = {"1", "yes", "y", "true", "是", "√"}, {"", "0", "no", "n", "false", "否"}
_RANGE = re.compile(r"^(\d{15})-(\d{3}|\d{15})$")


@dataclass
class RowResult:
    row: int  # the spreadsheet's row number (the header is row 1)
    username: str
    display_name: str = ""
    role: str = ""
    department_code: str | None = None
    cell_codes: list[str] = field(default_factory=list)
    is_leader: bool = False
    problems: list[dict] = field(default_factory=list)  # {code, message, params}: the pages translate the code
    created: bool = False
    password: str | None = None  # the one-time password of a user created (shown once)

    @property
    def errors(self) -> list[str]:
        """What is wrong with the row, in English (the messages of ``problems``)."""
        return [p["message"] for p in self.problems]

    def refuse(self, exc: DomainError) -> None:
        self.problems.append({"code": exc.code, "message": exc.message, "params": exc.details})


class SheetError(InvalidInput):
    """The file as a whole cannot be read (not CSV/XLSX, no header, too many rows)."""


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """The sheet's rows as {column: text} by the known headers; the file's own problems as SheetError."""
    if filename.lower().endswith((".xlsx", ".xlsm")):
        table = _xlsx(data)
    else:
        table = list(csv.reader(io.StringIO(_text(data))))
    table = [r for r in table if any(str(c).strip() for c in r)]
    if not table:
        raise SheetError("the file is empty: the first row names the columns (username, role, …)")
    header = [str(c).strip().lower() for c in table[0]]
    columns: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                columns[key] = i
                break
    missing = [k for k in ("username", "role") if k not in columns]
    if missing:
        raise SheetError(f"the first row must name the columns; missing: {', '.join(missing)} (found: "
                         f"{', '.join(header) or 'nothing'}). Known columns: "
                         + ", ".join(f"{names[0]} ({_chinese(names)})" for names in HEADERS.values()))
    if len(table) - 1 > MAX_ROWS:
        raise SheetError(f"{len(table) - 1} rows: at most {MAX_ROWS} users per file; split it")
    return [{k: str(r[i]).strip() if i < len(r) and r[i] is not None else "" for k, i in columns.items()}
            for r in table[1:]]


def _chinese(names: tuple[str, ...]) -> str:
    return next(n for n in names if not n.isascii())


def _text(data: bytes) -> str:
    """CSV as Excel in China saves it (GB18030) or as UTF-8 (with or without a byte-order mark)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError("the file is neither UTF-8 nor GB18030 text, nor an XLSX workbook")


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # only when a workbook comes in

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a damaged or foreign file
        raise SheetError(f"not a readable XLSX workbook ({type(exc).__name__}); save it again as .xlsx or .csv") \
            from None
    sheet = book.worksheets[0]
    rows = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def parse_cells(text: str) -> list[str]:
    """Cell codes and ranges (``A-B`` with B a full code or the last three digits) in the given order."""
    codes: list[str] = []
    for part in re.split(r"[\s,，;；、]+", text.strip()):
        if not part:
            continue
        m = _RANGE.match(part)
        if m:
            first, last = m.group(1), m.group(2)
            last = first[:12] + last if len(last) == 3 else last
            if last[:12] != first[:12] or last < first:
                raise InvalidInput(f"the cell range {part} must run forward within one community (the first 12 "
                                   "digits the same)", code="bad_cell_range", value=part)
            codes.extend(f"{first[:12]}{k:03d}" for k in range(int(first[12:]), int(last[12:]) + 1))
        elif part.isdigit() and len(part) == 15:
            codes.append(part)
        else:
            raise InvalidInput(f"{part!r} is not a cell code: 15 digits (the community's 12 and three more), or a "
                               "range such as 310101001001001-012", code="not_a_cell_code", value=part)
    return list(dict.fromkeys(codes))


def _row(n: int, raw: dict[str, str]) -> RowResult:
    out = RowResult(row=n, username=raw.get("username", ""), display_name=raw.get("display_name", "")[:64])
    role = raw.get("role", "")
    out.role = ROLES.get(role, role.lower())
    out.department_code = raw.get("department") or None
    try:
        out.cell_codes = parse_cells(raw.get("cells", ""))
    except InvalidInput as exc:
        out.refuse(exc)
    leader = raw.get("is_leader", "").lower()
    if leader in YES:
        out.is_leader = True
    elif leader not in NO:
        out.refuse(InvalidInput(f"is_leader must be 是/否 or yes/no, not {raw.get('is_leader')!r}",
                                code="bad_leader_value", value=raw.get("is_leader", "")))
    return out


def import_users(session: Session, rows: list[dict[str, str]], *, apply: bool, by: Actor | None,
                 source: Source, passwords: bool = True) -> list[RowResult]:
    """Check every row (and with ``apply`` create the good ones, in the caller's transaction; with
    ``passwords`` each gets a one-time password). A user name twice in the file is an error on its second row."""
    if apply and passwords and len(rows) > MAX_WITH_PASSWORDS:
        raise SheetError(f"{len(rows)} rows: at most {MAX_WITH_PASSWORDS} users with one-time passwords per file "
                         "(each password takes a moment to secure); split the file, or import without passwords "
                         "and set them later")
    results: list[RowResult] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows, start=2):
        result = _row(n, raw)
        key = result.username.lower()
        if key and key in seen:
            result.refuse(InvalidInput(f"the user name {result.username} is already on row {seen[key]}",
                                       code="username_repeated", username=result.username, row=seen[key]))
        seen.setdefault(key, n)
        if not result.errors:
            # the preview checks everything but the password it would make (hashing one takes a moment)
            password = secrets.token_urlsafe(12) if apply and passwords else None
            savepoint = session.begin_nested()
            try:
                accounts.create_account(session, username=result.username, role=result.role,
                                        display_name=result.display_name, department_code=result.department_code,
                                        cell_codes=result.cell_codes, is_leader=result.is_leader, password=password,
                                        must_change=True, by=by, source=source)
            except DomainError as exc:
                savepoint.rollback()
                result.refuse(exc)
            else:
                if apply:
                    savepoint.commit()
                    result.created, result.password = True, password
                else:
                    savepoint.rollback()
        results.append(result)
    return results
