"""Reading the xlsx and CSV downloads in tests: the rows of a sheet, the rows of a CSV file, the file's name."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from openpyxl import load_workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_TYPE
    return load_workbook(io.BytesIO(response.content))


def sheet_rows(response, sheet: int | str = 0) -> list[list]:
    """A sheet's rows as values, the header row first, with empty cells as None."""
    book = workbook(response)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def download_name(response) -> str:
    """The file name the browser saves, from Content-Disposition's UTF-8 filename*."""
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    return unquote(disposition.split("filename*=UTF-8''", 1)[1])


def column(rows: list[list], header: str) -> list:
    """The values under a header in the table's rows: not the header, a totals row ("合计") or a note below."""
    index, values = rows[0].index(header), []
    for row in rows[1:]:
        if all(value in (None, "") for value in row):
            break
        if row[0] != "合计":
            values.append(row[index])
    return values
