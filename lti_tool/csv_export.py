"""CSV files for instructors' exports: UTF-8 with a BOM (Excel then reads names right), and
cells a spreadsheet shows as text, never as a formula (CSV injection).

Shared by every export (lesson people, peer review dashboard): one place for both rules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from flask import Response

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading = + - @ (or tab/CR) gets a quote before it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows (header first) as CSV bytes: UTF-8 with a BOM, CRLF, every cell formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def csv_download(body: bytes, filename: str) -> Response:
    """A CSV file the browser downloads (never cached: it holds people's grades)."""
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def utc_cell(value: datetime | None) -> str:
    """A UTC time as a sortable cell ("2026-03-01 14:05:00Z"); empty for none."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
