"""Tables as Excel (xlsx) and CSV downloads: Chinese headers, sensible widths, dates as dates (R-O4 scoped by caller).

A page builds one `Table` from the very rows it shows (the same tier-scoped queryset), so an export can never
hold a row the user could not see on the page. `export_response` answers `?format=xlsx` or `?format=csv`.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from workflows.text import yes_no

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Excel sheet names may not hold these characters and are at most 31 characters long.
_BAD_SHEET_CHARS = str.maketrans({c: " " for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, its width in characters, and what its values are."""

    header: str
    width: int = 12
    kind: str = "text"  # text, int, decimal, percent, date, datetime

    @property
    def number_format(self) -> str | None:
        return {
            "int": "0",
            "decimal": "0.00",
            "percent": "0.0%",
            "date": "yyyy-mm-dd",
            "datetime": "yyyy-mm-dd hh:mm",
        }.get(self.kind)


@dataclass
class Table:
    """A titled table with an optional totals row, ready to be written as a sheet or a CSV file."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    totals: list[Any] | None = None
    note: str = ""

    def add(self, *values: Any) -> None:
        self.rows.append(list(values))


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: local time, as people read it on the page.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float, Decimal, datetime.date)):
        return value
    return str(value)


def xlsx_bytes(tables: list[Table]) -> bytes:
    """One sheet per table: a bold frozen header row, widths per column, dates and numbers typed, totals bold."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    thin = Side(style="thin", color="A6A6A6")
    used_names: set[str] = set()
    for table in tables:
        name = (table.title.translate(_BAD_SHEET_CHARS).strip() or "Sheet")[:31]
        base, n = name, 2
        while name in used_names:
            name = f"{base[:28]}({n})"
            n += 1
        used_names.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([column.header for column in table.columns])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = Border(bottom=thin)
        # Cells are reached by their row number: sheet.max_row walks every cell, which made long tables quadratic.
        for row_number, row in enumerate(table.rows, start=2):
            values = [_cell_value(v) for v in row]
            sheet.append(values)
            for column_number, value in enumerate(values, start=1):
                if isinstance(value, str) and value.startswith("="):
                    sheet.cell(row=row_number, column=column_number).data_type = "s"  # typed text, never a formula
        if table.totals is not None:
            sheet.append([_cell_value(v) for v in table.totals])
            for column_number in range(1, len(table.columns) + 1):
                cell = sheet.cell(row=len(table.rows) + 2, column=column_number)
                cell.font = bold
                cell.border = Border(top=thin)
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(column.width, len(column.header) * 2 + 2)
            if column.number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    if cell.value != "":
                        cell.number_format = column.number_format
        sheet.freeze_panes = "A2"
        if table.rows:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        if table.note:
            sheet.cell(row=sheet.max_row + 2, column=1, value=table.note)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    value = _cell_value(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    # A cell starting with =, +, - or @ would run as a formula when the file is opened in Excel.
    if text[:1] in ("=", "+", "-", "@") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def csv_bytes(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows PC opens it without garbling."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v) for v in row])
    if table.totals is not None:
        writer.writerow([_csv_value(v) for v in table.totals])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def wanted_format(request: HttpRequest) -> str | None:
    """The export format a request asks for (?format=xlsx or csv), or None for the page itself."""
    value = request.GET.get("format", "")
    return value if value in FORMATS else None


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    ascii_name = filename.encode("ascii", "ignore").decode() or "export"
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return response


def export_response(fmt: str, tables: Table | list[Table], filename: str) -> HttpResponse:
    """The tables as an xlsx (one sheet each) or the first as CSV; `filename` without its extension."""
    tables = tables if isinstance(tables, list) else [tables]
    if fmt == "csv":
        return download(csv_bytes(tables[0]), f"{filename}.csv", "text/csv; charset=utf-8")
    return download(xlsx_bytes(tables), f"{filename}.xlsx", XLSX_TYPE)


#: Characters Windows does not allow in a file name.
_BAD_FILE_CHARS = str.maketrans({c: " " for c in '\\/:*?"<>|'})


def file_name(*parts: Any) -> str:
    """A download's name from its parts, e.g. ("驻村干部月度考勤", "菜园镇", "2026-11"), joined by "-"."""
    return "-".join(str(part).translate(_BAD_FILE_CHARS).strip() for part in parts if part not in (None, ""))


class ExportMixin:
    """A page that answers `?format=xlsx` or `?format=csv` on its own URL with the tables built from its own rows.

    The page's permission checks (in `dispatch`) run first, so an export is refused wherever the page is.
    `export_tables` returns the tables and the file name (without extension) for the same request. A view that
    defines its own `get` overrides this one: there, `get` asks `wanted_format` and calls `export_response` itself.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = wanted_format(request)
        if fmt is None:
            return super().get(request, *args, **kwargs)
        tables, filename = self.export_tables(request, *args, **kwargs)
        return export_response(fmt, tables, filename)

    def export_tables(self, request: HttpRequest, *args: Any, **kwargs: Any) -> tuple[Table | list[Table], str]:
        raise NotImplementedError
