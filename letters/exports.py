"""Registers as rows for export (CSV now; the UI adds XLSX), one shape for the UI and the API.

Each row carries both machine dates (ISO 8601, Bangkok time) for systems and the Buddhist Era
date a clerk expects to read; the header names the regulation's columns in Thai and English.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from .models import RegisterEntry
from .thai import be_year, format_thai_date, format_thai_time
from .xlsx import workbook

# (key, header): keys are stable for systems; headers are what a clerk sees in a spreadsheet.
REGISTER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("series", "ชุด (series)"),
    ("year_be", "ปี พ.ศ. (year B.E.)"),
    ("number", "เลขทะเบียน (number)"),
    ("revision", "ฉบับแก้ไข (revision)"),
    ("registered_at", "วันเวลาลงทะเบียน (registered at, ISO 8601)"),
    ("registered_on_be", "ลงวันที่ (date, B.E.)"),
    ("registered_time", "เวลา (time)"),
    ("letter_number", "ที่ (letter number)"),
    ("letter_date", "ลงวันที่ของหนังสือ (letter date, ISO 8601)"),
    ("from_party", "จาก (from)"),
    ("to_party", "ถึง (to)"),
    ("subject", "เรื่อง (subject)"),
    ("action_taken", "การปฏิบัติ (action taken)"),
    ("remarks", "หมายเหตุ (remarks)"),
    ("cancelled", "ยกเลิก (cancelled)"),
)


def register_row(line: RegisterEntry) -> dict[str, Any]:
    """One register line in export form (``is_cancelled`` comes from ``register_lines``)."""
    local = timezone.localtime(line.registered_at)
    return {
        "series": line.series,
        "year_be": be_year(line.year),
        "number": line.number,
        "revision": line.revision,
        "registered_at": local.isoformat(),
        "registered_on_be": format_thai_date(local.date(), thai_digits=False),
        "registered_time": format_thai_time(local.time(), thai_digits=False),
        "letter_number": line.letter_number,
        "letter_date": line.letter_date.isoformat() if line.letter_date else "",
        "from_party": line.from_party,
        "to_party": line.to_party,
        "subject": line.subject,
        "action_taken": line.action_taken,
        "remarks": line.remarks,
        "cancelled": bool(getattr(line, "is_cancelled", False)),
    }


def register_csv(lines: Iterable[RegisterEntry]) -> Iterator[bytes]:
    """Stream a register as CSV, UTF-8 with a byte-order mark so spreadsheets read the Thai."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flushed() -> bytes:
        data = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return data

    buffer.write("\ufeff")
    writer.writerow([header for _key, header in REGISTER_COLUMNS])
    yield flushed()
    for line in lines:
        row = register_row(line)
        writer.writerow([_cell(row[key]) for key, _header in REGISTER_COLUMNS])
        yield flushed()


def _cell(value: Any) -> str:
    text = "yes" if value is True else "" if value is False else str(value)
    # A cell that starts like a formula would run in a spreadsheet (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def register_xlsx(lines: Iterable[RegisterEntry], *, sheet_name: str) -> bytes:
    """Return a register as an XLSX workbook with the same columns as the CSV."""
    return workbook(
        sheet_name=sheet_name,
        header=[header for _key, header in REGISTER_COLUMNS],
        rows=([register_row(line)[key] for key, _header in REGISTER_COLUMNS] for line in lines),
    )
