"""Scores as a file (GET /api/v1/evaluation/scores.{csv,xlsx} and ``gridops evaluation scores --out``): one row
per subject with its score, grade, each figure and each figure's numerator/denominator."""

from __future__ import annotations

import csv
import io
from typing import Any, Literal

from dispatch.evaluation.periods import Period
from dispatch.evaluation.scores import Result
from dispatch.models import EvaluationScheme

Format = Literal["csv", "xlsx"]
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEAD = {"zh": ("对象", "名称", "得分", "等级", "分子/分母", "方案版本", "期间"),
        "en": ("subject", "name", "score", "grade", "n/d", "scheme version", "period")}


def table(results: list[Result], version: EvaluationScheme, period: Period, lang: str) -> list[list[Any]]:
    """The header and the rows: values as numbers (rates as fractions), then each figure as "hits/rows"."""
    words = HEAD[lang]
    keys = [f.key for f in results[0].figures] if results else []
    head = [*words[:4], *keys, *(f"{k} ({words[4]})" for k in keys), words[5], words[6]]
    rows = [[r.subject, r.name, r.score, r.grade,
             *(None if f.value is None else round(f.value, 4) for f in r.figures),
             *(f"{f.hits}/{f.rows}" if f.kind == "rate" else f"{f.rows}" for f in r.figures),
             version.version, period.label] for r in results]
    return [head, *rows]


def write(fmt: Format, lines: list[list[Any]], *, sheet: str = "考评") -> bytes:
    """CSV in UTF-8 with a BOM (Excel reads the Chinese), or XLSX written by openpyxl in write-only mode."""
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        csv.writer(out).writerows(lines)
        return out.getvalue().encode()
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for line in lines:
        ws.append(line)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def file_name(obj: str, period: Period, fmt: Format) -> str:
    return f"gridops-evaluation-{obj}-{period.label.replace('..', '_')}.{fmt}"
