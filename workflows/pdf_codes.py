"""The printed sheet of activation codes: one slip per person, ten to an A4 page, to cut and hand out."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from workflows.pdf import FAMILY, chinese_font, code_face

CODE_FAMILY = "cjkcode"
SLIP_COLUMNS, SLIP_ROWS = 2, 5
SLIPS_PER_PAGE = SLIP_COLUMNS * SLIP_ROWS


@dataclass(frozen=True)
class CodeSlip:
    """One person's slip: who it is for, the code and until when it works."""

    name: str
    where: str
    username: str
    code: str
    expires: str
    purpose: str


class _Sheet(FPDF):
    def __init__(self, *, title: str, pages: int) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        path, index = chinese_font()
        self.add_font(FAMILY, fname=path, collection_font_number=index)
        code_index = code_face(path, index)
        self.code_family = FAMILY
        if code_index != index:
            self.add_font(CODE_FAMILY, fname=path, collection_font_number=code_index)
            self.code_family = CODE_FAMILY
        self.set_font(FAMILY, size=10)
        self.set_title(title)
        self.set_lang("zh-CN")
        self.set_creator("village-cadres")
        self.sheet_title = title
        self.page_total = pages
        self.set_auto_page_break(False)
        self.set_margins(8, 8, 8)

    def footer(self) -> None:
        self.set_text_color(90)
        self.set_font(FAMILY, size=8)
        self.set_xy(self.l_margin, self.h - 10)
        number = _("第 %(page)s 页 共 %(pages)s 页") % {"page": self.page_no(), "pages": self.page_total}
        self.cell(self.epw / 2, 5, self.sheet_title, align="L")
        self.cell(self.epw / 2, 5, number, align="R")
        self.set_text_color(0)

    def fitted(self, text: str, width: float, size: float, smallest: float = 6) -> None:
        while size > smallest:
            self.set_font_size(size)
            if self.get_string_width(text) <= width:
                return
            size -= 0.5
        self.set_font_size(smallest)


def activation_sheet_pdf(*, title: str, slips: list[CodeSlip], address: str) -> bytes:
    """Lay the slips out two columns by five rows per A4 page, with dashed lines to cut along."""
    pages = max(1, math.ceil(len(slips) / SLIPS_PER_PAGE))
    pdf = _Sheet(title=title, pages=pages)
    width = pdf.epw / SLIP_COLUMNS
    height = (pdf.h - pdf.t_margin - 14) / SLIP_ROWS
    for page in range(pages):
        pdf.add_page()
        on_page = slips[page * SLIPS_PER_PAGE : (page + 1) * SLIPS_PER_PAGE]
        for place, slip in enumerate(on_page):
            row, column = divmod(place, SLIP_COLUMNS)
            _draw_slip(pdf, slip, pdf.l_margin + column * width, pdf.t_margin + row * height, width, address)
        rows = max(1, math.ceil(len(on_page) / SLIP_COLUMNS))
        with pdf.local_context(draw_color=150, line_width=0.2):
            pdf.set_dash_pattern(dash=2, gap=1.5)
            for line in range(rows + 1):
                y = pdf.t_margin + line * height
                pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
            for line in range(SLIP_COLUMNS + 1):
                x = pdf.l_margin + line * width
                pdf.line(x, pdf.t_margin, x, pdf.t_margin + rows * height)
            pdf.set_dash_pattern()
    return bytes(pdf.output())


def _draw_slip(pdf: _Sheet, slip: CodeSlip, x: float, y: float, width: float, address: str) -> None:
    pad = 4
    inner = width - 2 * pad
    pdf.set_font(FAMILY, size=12)
    pdf.set_xy(x + pad, y + 3)
    heading = _("账号%(purpose)s通知") % {"purpose": slip.purpose}
    pdf.cell(inner, 6, heading, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_font_size(10)
    who = f"{slip.name}  {slip.where}"
    pdf.fitted(who, inner, 10)
    pdf.cell(inner, 5, who, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font_size(9)
    pdf.cell(inner, 4.5, _("账号:%(username)s") % {"username": slip.username}, new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_font(FAMILY, size=8)
    label = _("激活码")
    label_width = pdf.get_string_width(label) + 2
    pdf.cell(label_width, 9, label)
    pdf.set_font(pdf.code_family, size=18)
    pdf.cell(inner - label_width, 9, slip.code, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_x(x + pad)

    pdf.set_font(FAMILY, size=9)
    where_to = _("激活地址:%(address)s") % {"address": address}
    # The address stays on one line: broken in two, it is typed into the browser wrongly.
    pdf.fitted(where_to, inner, 9)
    pdf.cell(inner, 5, where_to, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font_size(9)
    pdf.cell(inner, 5, _("有效期至:%(expires)s") % {"expires": slip.expires}, new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_font(FAMILY, size=7.5)
    pdf.set_text_color(60)
    steps = _(
        "打开上述地址(或在登录页点“首次登录/忘记密码?使用激活码”),输入账号(或身份证号)和激活码,设置自己的新密码。"
        "激活码只能使用一次,请勿转交他人;密码不要告诉任何人。"
    )
    # By word: English breaks between words; Chinese, a "word" longer than the line, still breaks between characters.
    pdf.multi_cell(inner, 3.4, steps, align="L", wrapmode=WrapMode.WORD, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)
