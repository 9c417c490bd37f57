"""Printed ballot sheets and certificates: every code, name and Chinese glyph reaches the page (R-A4, R-A5)."""

import datetime
import io
import re

import pytest
import segno
from django.utils import translation
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from appraisal.pdf import (
    CertificateData,
    ExperienceRow,
    PdfFontMissing,
    Slip,
    ballot_sheet_pdf,
    certificate_pdf,
    chinese_font,
    qr_modules,
)

URL = "https://x.example/vote/?c=7KQ2M9XD4HTR"


@pytest.fixture(autouse=True)
def chinese():
    """Print in Chinese whatever language another test left active."""
    with translation.override("zh-hans"):
        yield


def page_texts(pdf: bytes) -> list[str]:
    # pypdf reads the codes of an embedded CMap one byte at a time, so each two-byte character comes out NUL-led.
    return [page.extract_text().replace("\x00", "") for page in PdfReader(io.BytesIO(pdf)).pages]


def font_files(pdf: bytes) -> list[str]:
    """Return the embedded font-file keys of every font descriptor on every page."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            for descendant in font.get_object().get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                found += [key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor]
    return found


def drawn_squares(pdf: bytes) -> set[tuple[int, int]]:
    """Return the modules painted black on the first page, as (column, row) counted from the top-left one."""
    content = PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data().decode("latin-1")
    rects = [tuple(map(float, found)) for found in re.findall(r"(\S+) (\S+) (\S+) (\S+) re f", content)]
    unit = abs(rects[0][3])
    left, top = min(x for x, *_ in rects), max(y for _, y, *_ in rects)
    squares = set()
    for x, y, width, _height in rects:
        column, row = round((x - left) / unit), round((top - y) / unit)
        squares.update((column + step, row) for step in range(round(width / unit)))
    return squares


def slip(number: int) -> Slip:
    code = f"7KQ2M9XD{number:04d}"
    return Slip(
        code=f"{code[:4]}-{code[4:8]}-{code[8:]}",
        url=f"https://x.example/vote/?c={code}",
        village="城关村" if number % 2 else "白营村",
        township="城关镇",
        round_title="2026年度驻村干部考核",
        cadres=("张三",) if number % 3 else ("张三", "欧阳建国"),
    )


def certificate() -> CertificateData:
    return CertificateData(
        number="汤组驻证〔2026〕第0012号",
        cadre_name="张三",
        gender="男",
        birth_date=datetime.date(1985, 3, 14),
        unit="县农业农村局",
        post_title="科员",
        rows=(
            ExperienceRow(
                village="城关村",
                township="城关镇",
                unit="县农业农村局",
                starts_on=datetime.date(2025, 1, 2),
                ends_on=datetime.date(2026, 1, 1),
                days_in_village=268,
                grade="优秀",
            ),
            ExperienceRow(
                village="鹤壁集村",
                township="宜沟镇",
                unit="县人力资源和社会保障局",
                starts_on=datetime.date(2026, 1, 2),
                ends_on=None,
                days_in_village=120,
                grade="",
            ),
        ),
        total_days_in_village=388,
        issuer="中共汤阴县委组织部",
        issued_on=datetime.date(2026, 11, 26),
    )


@pytest.mark.cjk_font
def test_ballot_sheet_prints_every_code_with_its_village_r_a5():
    slips = [slip(number) for number in range(10)]

    pdf = ballot_sheet_pdf(title="2026年度驻村干部考核 城关镇", slips=slips, vote_address="https://x.example/vote/")

    texts = page_texts(pdf)
    assert len(texts) == 2
    for number, printed in enumerate(slips):
        page = texts[number // 8]
        assert printed.code in page
        assert printed.village in page
    assert "村民评议投票卡" in texts[0]
    assert "评议对象:张三、欧阳建国" in texts[0]
    assert "每张投票卡只能投一次,投票不记名。" in texts[1]
    assert "第 2 页 共 2 页" in texts[1]
    assert font_files(pdf) and all(key in ("/FontFile2", "/FontFile3") for key in font_files(pdf))


@pytest.mark.cjk_font
def test_certificate_shows_every_chinese_glyph_r_a4():
    data = certificate()

    pdf = certificate_pdf(data)

    texts = page_texts(pdf)
    assert len(texts) == 1
    text = texts[0]
    for expected in (
        "驻村工作经历证明",
        "汤组驻证〔2026〕第0012号",
        "兹证明 张三 同志(男,1985年3月出生,县农业农村局 科员)",
        "城关村",
        "优秀",
        "2025年1月2日至2026年1月1日",
        "2026年1月2日至今",
        "累计在村工作 388 天。特此证明。",
        "中共汤阴县委组织部",
        "2026年11月26日",
    ):
        assert expected in text.replace("\n", "")
    path, index = chinese_font()
    with TTFont(path, fontNumber=index, lazy=True) as font:
        cmap = font.getBestCmap()
    written = set(text) | set("".join(row.village + row.township + row.unit for row in data.rows))
    missing = sorted(char for char in written if not char.isspace() and ord(char) not in cmap)
    assert not missing
    assert "/FontFile3" in font_files(pdf) or "/FontFile2" in font_files(pdf)


@pytest.mark.cjk_font
def test_certificate_without_birth_date_or_gender_leaves_the_parenthesis_out():
    data = certificate()
    data = CertificateData(**{**data.__dict__, "gender": "", "birth_date": None, "unit": "", "post_title": ""})

    text = page_texts(certificate_pdf(data))[0]

    assert "兹证明 张三 同志参加选派干部驻村蹲点工作" in text.replace("\n", "")


@pytest.mark.cjk_font
def test_chinese_font_is_the_simplified_chinese_face_of_the_collection():
    chinese_font.cache_clear()

    path, index = chinese_font()

    with TTFont(path, fontNumber=index, lazy=True) as font:
        name = font["name"].getDebugName(4)
    assert " SC" in name
    assert "Mono" not in name


@pytest.mark.cjk_font
def test_missing_font_raises_pdf_font_missing_with_a_chinese_message(settings):
    chinese_font()  # fill the cache: overriding the setting must empty it
    settings.PDF_FONT_PATH = "/nonexistent.ttf"

    with pytest.raises(PdfFontMissing, match="服务器未安装中文字体"):
        certificate_pdf(certificate())
    chinese_font.cache_clear()
    with pytest.raises(PdfFontMissing, match="请安装 fonts-noto-cjk 或设置 PDF_FONT_PATH"):
        ballot_sheet_pdf(title="", slips=[slip(1)], vote_address="https://x.example/vote/")


@pytest.mark.cjk_font
def test_qr_code_drawn_is_the_one_segno_makes_of_the_slip_url():
    matrix = segno.make(URL, error="m").matrix
    dark = {(column, row) for row, line in enumerate(matrix) for column, black in enumerate(line) if black}
    printed = Slip(
        code="7KQ2-M9XD-4HTR", url=URL, village="城关村", township="城关镇", round_title="考核", cadres=("张三",)
    )

    pdf = ballot_sheet_pdf(title="考核", slips=[printed], vote_address="https://x.example/vote/")

    assert set(qr_modules(URL)) == dark
    assert drawn_squares(pdf) == dark
