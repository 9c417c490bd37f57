"""A titled `Table` as a printable PDF in the shape a county office files: A4 landscape, ruled, signed at the foot.

The page carries the title, a subtitle line (county, township or round, period) with the printing date, the table
with its header row repeated on every page and its totals row in bold, the table's note, the line a filing is
signed and sealed on, and "第 N 页 共 M 页" at the foot of every page.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from workflows.exports import Column, Table
from workflows.pdf import FAMILY, PdfFontMissing, chinese_date, chinese_font
from workflows.text import yes_no

__all__ = ["PdfFontMissing", "cell_text", "table_pdf"]

MARGIN = 12
FOOTER = 12
BODY_SIZE = 9
LINE = 4.4  # mm per line of body text
PAD = 1.3  # mm inside every cell, all four sides
NOTE_SIZE = 8.5
NOTE_GAP = 1.5
SIGNATURE_HEIGHT = 18  # mm: the gap below the table and the line itself
#: Runs of text ending where a line reads well broken: after a space, a list's punctuation, or 至 between dates.
BREAK_AFTER = re.compile(r"[^\s、,;。:至]*(?:[\s、,;。:至]+|$)")
BRACKET = re.compile("[(\uff08]")
ALIGN = {"int": "C", "decimal": "C", "percent": "C", "date": "C", "datetime": "C"}


def cell_text(value: Any, column: Column) -> str:
    """What a cell shows on the page and on paper: numbers as the sheet formats them, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float, Decimal)):
        if column.kind == "percent":
            return f"{value:.1%}"
        if column.kind == "decimal" or not isinstance(value, int):
            return f"{value:.2f}"
    return str(value)


class _Sheet(FPDF):
    """An A4 landscape page in millimetres that writes Chinese and numbers its pages "第 N 页 共 M 页"."""

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        path, index = chinese_font()
        self.add_font(FAMILY, fname=path, collection_font_number=index)
        self.set_font(FAMILY, size=BODY_SIZE)
        self.set_title(title)
        self.set_lang("zh-CN")
        self.set_creator("village-cadres")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        # Rows are placed by hand so that none is split over two pages and the header row can be repeated.
        self.set_auto_page_break(False, margin=FOOTER)
        self.c_margin = PAD

    def bold(self) -> AbstractContextManager[None]:
        """Thicken the strokes, since the collection's regular face is the only one embedded."""
        return self.local_context(text_mode="FILL_STROKE", line_width=0.02 * self.font_size_pt / 10 + 0.1)

    @property
    def bottom(self) -> float:
        return self.h - FOOTER

    def footer(self) -> None:
        with self.local_context(text_color=90):
            self.set_font(FAMILY, size=8.5)
            self.set_xy(self.l_margin, self.h - FOOTER + 3)
            # "{nb}" is fpdf2's alias for the number of pages, filled in when the document is closed.
            number = _("第 %(page)s 页 共 %(pages)s 页") % {"page": self.page_no(), "pages": "{nb}"}
            self.cell(self.epw, 5, number, align="C")

    def lines_of(self, text: str, width: float) -> list[str]:
        """Break text into the lines it takes in a cell of that width.

        Chinese may break between any two characters, but a break after a space or a list's punctuation reads
        better ("优秀0 称职2" over "基本称职0", "2025-03-05至" over "2026-03-04"): it is taken when it costs no
        more lines than breaking anywhere.
        """
        if not text:
            return [""]
        anywhere = self._char_lines(text, width)
        if len(anywhere) == 1 or "\n" in text:
            return anywhere
        room = width - 2 * self.c_margin
        lines, line = [], ""
        for piece in BREAK_AFTER.findall(text):
            if self.get_string_width(line + piece.rstrip()) <= room:
                line += piece
                continue
            if line:
                lines.append(line.rstrip())
            *full, line = self._char_lines(piece, width) if self.get_string_width(piece.rstrip()) > room else [piece]
            lines += full
        lines.append(line.rstrip())
        return lines if len(lines) <= len(anywhere) else anywhere

    def _char_lines(self, text: str, width: float) -> list[str]:
        return self.multi_cell(width, LINE, text, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR)


def _widths(table: Table, page_width: float, widths: Sequence[float] | None) -> list[float]:
    if widths is not None:
        scale = page_width / sum(widths)
        return [w * scale for w in widths]
    total = sum(c.width for c in table.columns)
    return [page_width * c.width / total for c in table.columns]


class _Grid:
    """Draws the ruled table row by row, starting a page (and repeating the header row) when one does not fit."""

    def __init__(self, pdf: _Sheet, table: Table, widths: list[float]) -> None:
        self.pdf, self.table, self.widths = pdf, table, widths
        self.headers = [c.header for c in table.columns]
        self.header_cells = [self._header_lines(h, w) for h, w in zip(self.headers, widths, strict=True)]
        self.header_height = self._height(self.header_cells)
        # A row taller than a page could never be placed: its longest cells are cut to what a page holds.
        self.max_lines = max(1, math.floor((pdf.bottom - pdf.t_margin - self.header_height - 2 * PAD) / LINE))
        self.fresh = True  # nothing but the header row on the page yet

    def header(self) -> None:
        with self.pdf.local_context(fill_color=230), self.pdf.bold():
            self._draw(self.header_cells, ["C"] * len(self.headers), fill=True)
        self.fresh = True

    def _header_lines(self, text: str, width: float) -> list[str]:
        """A header too long for one line breaks before its bracket: "应在村天数" over "(月目标)"."""
        lines = self.pdf.lines_of(text, width)
        bracket = BRACKET.search(text)
        if len(lines) == 1 or bracket is None or bracket.start() == 0:
            return lines
        return self.pdf.lines_of(text[: bracket.start()], width) + self.pdf.lines_of(text[bracket.start() :], width)

    def texts(self, values: list[Any]) -> list[str]:
        texts = [cell_text(v, c) for v, c in zip(values, self.table.columns, strict=False)]
        return texts + [""] * (len(self.widths) - len(texts))

    def height(self, values: list[Any]) -> float:
        return self._height(self._lines(self.texts(values)))

    def body_row(self, values: list[Any], *, totals: bool = False, keep_with: float = 0) -> None:
        """Draw a row, on a new page if it and the `keep_with` millimetres meant to follow it do not fit."""
        cells = self._lines(self.texts(values))
        if not self.fresh and self.pdf.get_y() + self._height(cells) + keep_with > self.pdf.bottom:
            self.pdf.add_page()
            self.header()
        aligns = [ALIGN.get(c.kind, "L") for c in self.table.columns]
        if totals:
            aligns[0] = "C"
            with self.pdf.local_context(fill_color=242), self.pdf.bold():
                self._draw(cells, aligns, fill=True)
        else:
            self._draw(cells, aligns)
        self.fresh = False

    def _lines(self, texts: list[str]) -> list[list[str]]:
        cells = []
        for text, width in zip(texts, self.widths, strict=True):
            lines = self.pdf.lines_of(text, width)
            if len(lines) > self.max_lines:
                lines = lines[: self.max_lines]
                lines[-1] = lines[-1][:-1] + "…"
            cells.append(lines)
        return cells

    @staticmethod
    def _height(cells: list[list[str]]) -> float:
        return max(len(lines) for lines in cells) * LINE + 2 * PAD

    def _draw(self, cells: list[list[str]], aligns: list[str], *, fill: bool = False) -> None:
        pdf = self.pdf
        height = self._height(cells)
        y, x = pdf.get_y(), pdf.l_margin
        with pdf.local_context(draw_color=60, line_width=0.2):
            for lines, width, align in zip(cells, self.widths, aligns, strict=True):
                pdf.rect(x, y, width, height, style="DF" if fill else "D")
                top = y + (height - len(lines) * LINE) / 2
                for n, line in enumerate(lines):
                    pdf.set_xy(x, top + n * LINE)
                    pdf.cell(width, LINE, line, align=align)
                x += width
        pdf.set_xy(pdf.l_margin, y + height)


def table_pdf(
    table: Table, *, subtitle: str, printed_on: datetime.date, widths: Sequence[float] | None = None
) -> bytes:
    """Print the table on A4 landscape pages as a county office files it; raise PdfFontMissing without a CJK font.

    `widths` are relative column widths; by default those of the columns (their widths in the sheet).
    """
    pdf = _Sheet(title=table.title)
    pdf.add_page()

    pdf.set_font(FAMILY, size=16)
    with pdf.bold():
        pdf.multi_cell(pdf.epw, 8, table.title, align="C", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FAMILY, size=10)
    printed = _("打印日期:%(date)s") % {"date": chinese_date(printed_on)}
    printed_width = pdf.get_string_width(printed) + 2 * PAD + 1
    top = pdf.get_y()
    pdf.multi_cell(
        pdf.epw - printed_width, 6, subtitle, align="L", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    below = pdf.get_y()
    pdf.set_xy(pdf.l_margin + pdf.epw - printed_width, top)
    pdf.cell(printed_width, 6, printed, align="R")
    pdf.set_xy(pdf.l_margin, below)
    pdf.ln(2)

    pdf.set_font(FAMILY, size=BODY_SIZE)
    grid = _Grid(pdf, table, _widths(table, pdf.epw, widths))
    # The totals, the note and the signature line are not left alone on a last page: the last row goes with them.
    tail = _note_height(pdf, table.note) + SIGNATURE_HEIGHT
    totals = grid.height(table.totals) if table.totals is not None else 0
    grid.header()
    for n, row in enumerate(table.rows, start=1):
        grid.body_row(row, keep_with=totals + tail if n == len(table.rows) else 0)
    if table.totals is not None:
        grid.body_row(table.totals, totals=True, keep_with=tail)
    if table.note:
        with pdf.local_context(text_color=70):
            pdf.set_font(FAMILY, size=NOTE_SIZE)
            pdf.ln(NOTE_GAP)
            pdf.multi_cell(
                pdf.epw,
                LINE,
                table.note,
                align="L",
                wrapmode=WrapMode.CHAR,
                padding=0,
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
    _signature(pdf)
    return bytes(pdf.output())


def _note_height(pdf: _Sheet, note: str) -> float:
    if not note:
        return 0
    with pdf.local_context():
        pdf.set_font(FAMILY, size=NOTE_SIZE)
        return NOTE_GAP + len(pdf.lines_of(note, pdf.epw)) * LINE


def _signature(pdf: _Sheet) -> None:
    """The line a county office signs, seals and dates its filing on, spread across the foot of the table."""
    if pdf.get_y() + SIGNATURE_HEIGHT > pdf.bottom:
        pdf.add_page()
    pdf.set_font(FAMILY, size=10.5)
    pdf.ln(SIGNATURE_HEIGHT - 8)
    # The unit's name and seal take the most room; the date is written by hand.
    labels = (_("填报单位(盖章):"), _("负责人:"), _("填报人:"), _("填报日期:"))
    shares = (0.36, 0.21, 0.21, 0.22)
    x, y = pdf.l_margin, pdf.get_y()
    for label, share in zip(labels, shares, strict=True):
        pdf.set_xy(x, y)
        pdf.cell(pdf.epw * share, 8, label, align="L")
        x += pdf.epw * share
    pdf.set_xy(pdf.l_margin, y + 8)
