"""Printable PDFs of the appraisal: sheets of ballot slips for villagers and the certificate of stationing."""

from __future__ import annotations

import datetime
import math
from contextlib import AbstractContextManager
from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode, XPos, YPos

from workflows.pdf import FAMILY, PdfFontMissing, chinese_date, chinese_font, code_face

__all__ = [
    "FAMILY",
    "CertificateData",
    "ExperienceRow",
    "PdfFontMissing",
    "Slip",
    "ballot_sheet_pdf",
    "certificate_pdf",
    "chinese_date",
    "chinese_font",
    "qr_modules",
]

CODE_FAMILY = "cjkcode"

SLIP_COLUMNS, SLIP_ROWS = 2, 4
SLIPS_PER_PAGE = SLIP_COLUMNS * SLIP_ROWS
# A phone reads a QR code only with its quiet zone: four modules of white on every side.
QR_BORDER = 4


@dataclass(frozen=True)
class Slip:
    """One villager's ballot slip: the code to vote with and what it is a vote on."""

    code: str
    url: str
    village: str
    township: str
    round_title: str
    cadres: tuple[str, ...]


@dataclass(frozen=True)
class ExperienceRow:
    """One stationing of the cadre, as a row of the certificate's table."""

    village: str
    township: str
    unit: str
    starts_on: datetime.date
    ends_on: datetime.date | None
    days_in_village: int
    grade: str


@dataclass(frozen=True)
class CertificateData:
    """What the certificate of stationing states about one cadre."""

    number: str
    cadre_name: str
    gender: str
    birth_date: datetime.date | None
    unit: str
    post_title: str
    rows: tuple[ExperienceRow, ...]
    total_days_in_village: int
    issuer: str
    issued_on: datetime.date


def qr_modules(url: str) -> list[tuple[int, int]]:
    """Return the (column, row) of every dark module of the QR code of url, quiet zone excluded."""
    # micro=False: phone cameras read full QR codes, not Micro QR, which segno picks for short data.
    matrix = segno.make(url, error="m", micro=False).matrix
    return [(column, row) for row, line in enumerate(matrix) for column, dark in enumerate(line) if dark]


class _Document(FPDF):
    """An A4 page in millimetres that writes Chinese with the server's CJK font."""

    def __init__(self, *, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        path, index = chinese_font()
        self.add_font(FAMILY, fname=path, collection_font_number=index)
        self.set_font(FAMILY, size=11)
        self.set_title(title)
        self.set_lang("zh-CN")
        self.set_creator("village-cadres")
        self.fitted: dict[tuple, float] = {}

    def fit(self, text: str, width: float, size: float, *, lines: int = 1, smallest: float = 6) -> None:
        """Set the largest font size, from size down to smallest, at which text fits in width on so many lines."""
        # Every slip repeats the instructions and most repeat the round title, so each is measured once per sheet.
        key = (self.font_family, text, width, size, lines, smallest)
        if key not in self.fitted:
            while size > smallest:
                self.set_font_size(size)
                if len(self.multi_cell(width, text=text, dry_run=True, output="LINES")) <= lines:
                    break
                size -= 0.5
            self.fitted[key] = max(size, smallest)
        self.set_font_size(self.fitted[key])

    def shrunk(self, text: str, width: float, size: float, smallest: float) -> float:
        """Return the largest font size, from size down to smallest, at which text fits in width on one line."""
        with self.local_context():
            while size > smallest:
                self.set_font_size(size)
                if self.get_string_width(text) <= width:
                    break
                size -= 0.5
        return max(size, smallest)

    def paragraph(self, text: str) -> None:
        """Write a paragraph across the page, opened with two ideographic spaces as Chinese documents are."""
        # Chinese breaks between any two characters; breaking at spaces only would leave ragged, half-empty lines.
        self.multi_cell(
            self.epw,
            self.font_size * 1.9,
            "\u3000\u3000" + text,
            align="L",
            wrapmode="CHAR",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def bold_text(self) -> AbstractContextManager[None]:
        """Thicken the strokes, since the collection's regular face is the only one embedded."""
        return self.local_context(text_mode="FILL_STROKE", line_width=0.02 * self.font_size_pt / 10 + 0.1)


class _BallotSheet(_Document):
    """Pages of slips with the sheet's title and page number at the foot of each."""

    def __init__(self, *, title: str, pages: int) -> None:
        super().__init__(title=title)
        path, index = chinese_font()
        code_index = code_face(path, index)
        self.code_family = FAMILY
        if code_index != index:
            self.add_font(CODE_FAMILY, fname=path, collection_font_number=code_index)
            self.code_family = CODE_FAMILY
        self.sheet_title = title
        self.page_total = pages
        self.set_auto_page_break(False)
        self.set_margins(6, 8, 6)

    def footer(self) -> None:
        self.set_text_color(90)
        number = _("第 %(page)s 页 共 %(pages)s 页") % {"page": self.page_no(), "pages": self.page_total}
        self.set_font(FAMILY, size=8)
        number_width = self.get_string_width(number) + 2
        self.set_xy(self.l_margin, self.h - 10)
        self.fit(self.sheet_title, self.epw - number_width - 4, 8)
        self.cell(self.epw - number_width, 5, self.sheet_title, align="L")
        self.set_font_size(8)
        self.cell(number_width, 5, number, align="R")
        self.set_text_color(0)


def ballot_sheet_pdf(*, title: str, slips: list[Slip], vote_address: str) -> bytes:
    """Lay the slips out eight to an A4 page, two columns by four rows, with dashed lines to cut along (R-A5)."""
    pages = max(1, math.ceil(len(slips) / SLIPS_PER_PAGE))
    pdf = _BallotSheet(title=title, pages=pages)
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / SLIP_COLUMNS
    height = (pdf.h - pdf.t_margin - 14) / SLIP_ROWS
    for page in range(pages):
        pdf.add_page()
        on_page = slips[page * SLIPS_PER_PAGE : (page + 1) * SLIPS_PER_PAGE]
        for place, slip in enumerate(on_page):
            row, column = divmod(place, SLIP_COLUMNS)
            _draw_slip(pdf, slip, pdf.l_margin + column * width, pdf.t_margin + row * height, width, vote_address)
        _draw_cut_lines(pdf, width, height, rows=max(1, math.ceil(len(on_page) / SLIP_COLUMNS)))
    return bytes(pdf.output())


def _draw_cut_lines(pdf: _BallotSheet, width: float, height: float, *, rows: int) -> None:
    left, top = pdf.l_margin, pdf.t_margin
    right, bottom = left + SLIP_COLUMNS * width, top + rows * height
    with pdf.local_context(draw_color=150, line_width=0.2):
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for row in range(rows + 1):
            pdf.line(left, top + row * height, right, top + row * height)
        for column in range(SLIP_COLUMNS + 1):
            pdf.line(left + column * width, top, left + column * width, bottom)
        pdf.set_dash_pattern()


def _draw_slip(pdf: _BallotSheet, slip: Slip, x: float, y: float, width: float, vote_address: str) -> None:
    pad = 4
    inner = width - 2 * pad

    pdf.set_font(FAMILY, size=14)
    pdf.set_xy(x + pad, y + 4)
    with pdf.bold_text():
        pdf.cell(inner, 6, _("村民评议投票卡"), align="C")
    pdf.set_xy(x + pad, y + 10.5)
    pdf.fit(slip.round_title, inner, 9)
    pdf.cell(inner, 4.5, slip.round_title, align="C")

    qr_size = 31
    qr_top = y + 16
    _draw_qr(pdf, slip.url, x + pad - 1, qr_top, qr_size)

    side_x = x + pad + qr_size + 1
    side = x + width - pad - side_x
    pdf.set_xy(side_x, qr_top + 2)
    place = f"{slip.township} {slip.village}"
    pdf.fit(place, side, 11)
    pdf.cell(side, 5, place, new_x=XPos.LEFT, new_y=YPos.NEXT)
    names = _("评议对象:%(names)s") % {"names": "、".join(slip.cadres)}
    pdf.fit(names, side, 10, lines=2)
    pdf.multi_cell(side, 4.5, names, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_text_color(60)
    pdf.set_xy(side_x, qr_top + 17)
    instructions = _("用手机扫描二维码,或打开 %(address)s 输入投票码。") % {"address": vote_address}
    # The address must stay on one line: broken in two, it is copied into the browser wrongly.
    pdf.fit(instructions, side, pdf.shrunk(vote_address, side - 2 * pdf.c_margin, 7.5, 5), lines=3, smallest=5)
    pdf.multi_cell(side, 3.4, instructions, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    once = _("每张投票卡只能投一次,投票不记名。")
    pdf.fit(once, side, 7.5, smallest=5)
    pdf.multi_cell(side, 3.4, once, align="L")
    pdf.set_text_color(0)

    pdf.set_xy(x + pad, qr_top + qr_size + 2)
    pdf.set_font(FAMILY, size=8)
    label = _("投票码")
    label_width = pdf.get_string_width(label) + 2
    pdf.cell(label_width, 10, label)
    pdf.set_font(pdf.code_family)
    pdf.fit(slip.code, inner - 2 * label_width, 24)
    pdf.cell(inner - 2 * label_width, 10, slip.code, align="C")


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    modules = qr_modules(url)
    # The finder patterns put a dark module in the last row and the last column, so the largest index is the edge.
    count = max(max(column, row) for column, row in modules) + 1 + 2 * QR_BORDER
    unit = size / count
    dark = set(modules)
    with pdf.local_context(fill_color=0):
        # One rectangle per horizontal run keeps a sheet of 200 slips small and quick to print.
        for column, row in modules:
            if (column - 1, row) in dark:
                continue
            run = 1
            while (column + run, row) in dark:
                run += 1
            left = x + (QR_BORDER + column) * unit
            top = y + (QR_BORDER + row) * unit
            pdf.rect(left, top, run * unit, unit, style="F")


def certificate_pdf(data: CertificateData) -> bytes:
    """Print the one-page certificate of a cadre's village stationing, in the formal Chinese style."""
    pdf = _Document(title=_("驻村工作经历证明"))
    pdf.set_margins(20, 30, 20)
    pdf.set_auto_page_break(True, margin=25)
    pdf.add_page()

    pdf.set_font(FAMILY, size=24)
    with pdf.bold_text(), pdf.local_context(char_spacing=4):
        pdf.cell(pdf.epw, 14, _("驻村工作经历证明"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font_size(11)
    pdf.cell(pdf.epw, 8, data.number, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(10)

    pdf.set_font_size(12.5)
    pdf.paragraph(_introduction(data))
    pdf.ln(4)

    size = 10
    pdf.set_font_size(size)
    headings = (_("驻点村"), _("所属乡镇"), _("派出单位"), _("驻村起止时间"), _("在村天数"), _("考核等次"))
    widths = (21, 20, 36, 55, 19, 19)
    padding = 1
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        text_align="CENTER",
        line_height=5.5,
        padding=(2, padding),
        headings_style=FontFace(emphasis="", fill_color=235),
        cell_fill_mode=TableCellFillMode.NONE,
        wrapmode="CHAR",
    ) as table:
        table.row(headings)
        for line in data.rows:
            period = _period(line.starts_on, line.ends_on)
            row = table.row()
            for text in (line.village, line.township, line.unit):
                row.cell(text)
            # A period broken over two lines is hard to read; a slightly smaller size keeps it on one.
            row.cell(period, style=FontFace(size_pt=pdf.shrunk(period, widths[3] - 2 * padding - 0.5, size, 8.5)))
            row.cell(str(line.days_in_village))
            row.cell(line.grade or _("未考核"))
        pdf.set_font_size(size)
    pdf.ln(6)

    pdf.set_font_size(12.5)
    pdf.paragraph(_("累计在村工作 %(days)s 天。特此证明。") % {"days": data.total_days_in_village})

    # The issuer and the date sit centred on each other at the right, where the seal is pressed.
    pdf.ln(22)
    date = chinese_date(data.issued_on)
    block = max(pdf.get_string_width(data.issuer), pdf.get_string_width(date)) + 8
    for text in (data.issuer, date):
        pdf.set_x(pdf.w - pdf.r_margin - block)
        pdf.cell(block, 9, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _introduction(data: CertificateData) -> str:
    details = [data.gender] if data.gender else []
    if data.birth_date:
        details.append(_("%(year)s年%(month)s月出生") % {"year": data.birth_date.year, "month": data.birth_date.month})
    post = " ".join(part for part in (data.unit, data.post_title) if part)
    if post:
        details.append(post)
    if not details:
        return _("兹证明 %(name)s 同志参加选派干部驻村蹲点工作,经历如下:") % {"name": data.cadre_name}
    return _("兹证明 %(name)s 同志(%(details)s)参加选派干部驻村蹲点工作,经历如下:") % {
        "name": data.cadre_name,
        "details": ",".join(details),
    }


def _period(starts_on: datetime.date, ends_on: datetime.date | None) -> str:
    if ends_on is None:
        return _("%(start)s至今") % {"start": chinese_date(starts_on)}
    return _("%(start)s至%(end)s") % {"start": chinese_date(starts_on), "end": chinese_date(ends_on)}
