"""What the filed reports' pages share: a `Table` shown as a preview, and the same table as an xlsx or PDF download.

The page, the sheet and the PDF are made from one `Table`, so the three cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from workflows.exports import Table, download, export_response
from workflows.pdf_tables import cell_text, table_pdf

REPORT_FORMATS = ("xlsx", "pdf")
NUMERIC_KINDS = ("int", "decimal", "percent")
#: Columns at least this wide (in characters, as in the sheet) hold free text that wraps on the page.
WRAPPING_WIDTH = 30


def preview(table: Table) -> dict:
    """The table laid out for a template: each cell's text, whether it is a number (right-aligned), and whether
    it may wrap (only the wide columns of free text do: names and dates stay on one line)."""

    def cells(values: list[Any]) -> list[dict]:
        return [
            {
                "text": cell_text(value, column),
                "number": column.kind in NUMERIC_KINDS,
                "wrap": column.width >= WRAPPING_WIDTH,
            }
            for value, column in zip(values, table.columns, strict=False)
        ]

    return {
        "title": table.title,
        "note": table.note,
        "headers": [{"text": c.header, "number": c.kind in NUMERIC_KINDS} for c in table.columns],
        "rows": [cells(row) for row in table.rows],
        "totals": cells(table.totals) if table.totals is not None else None,
    }


def report_format(request: HttpRequest) -> str | None:
    """The download a report page is asked for (?format=xlsx or pdf), or None for the page itself."""
    value = request.GET.get("format", "")
    return value if value in REPORT_FORMATS else None


def report_download(
    fmt: str, table: Table, *, filename: str, subtitle: str, widths: Sequence[float] | None = None
) -> HttpResponse:
    """The table as an xlsx sheet or a filed PDF; `filename` without its extension. PDF: may raise PdfFontMissing."""
    if fmt == "xlsx":
        return export_response("xlsx", table, filename)
    content = table_pdf(table, subtitle=subtitle, printed_on=timezone.localdate(), widths=widths)
    return download(content, f"{filename}.pdf", "application/pdf")
