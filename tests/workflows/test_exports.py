"""Tables as xlsx and CSV downloads: headers, widths, typed dates and numbers, totals, no formulas, file names."""

import datetime
import io
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from tests.exports import csv_rows, download_name, sheet_rows
from workflows.exports import (
    Column,
    ExportMixin,
    Table,
    csv_bytes,
    export_response,
    file_name,
    wanted_format,
    xlsx_bytes,
)

D = datetime.date


def _table() -> Table:
    table = Table(
        "在村天数达标",
        [
            Column("乡镇", 14),
            Column("到村日期", 12, "date"),
            Column("在村天数", 8, "int"),
            Column("综合得分", 8, "decimal"),
            Column("达标率", 8, "percent"),
            Column("确认时间", 16, "datetime"),
        ],
    )
    table.add(
        "菜园镇", D(2026, 3, 5), 22, Decimal("91.50"), 0.875, timezone.make_aware(datetime.datetime(2026, 11, 2, 9, 30))
    )
    table.add("宜沟镇", None, 0, Decimal("80"), 0, None)
    table.totals = ["合计", None, 22, Decimal("171.50"), None, None]
    return table


def _sheet(table_or_tables):
    tables = table_or_tables if isinstance(table_or_tables, list) else [table_or_tables]
    return load_workbook(io.BytesIO(xlsx_bytes(tables)))


# --- xlsx ------------------------------------------------------------------------------------------


def test_xlsx_opens_with_the_headers_bold_frozen_and_the_rows_in_order():
    ws = _sheet(_table()).active
    assert ws.title == "在村天数达标"
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ["乡镇", "到村日期", "在村天数", "综合得分", "达标率", "确认时间"]
    assert [r[0] for r in rows[1:]] == ["菜园镇", "宜沟镇", "合计"]
    assert all(cell.font.bold for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F3"  # the header and the two rows, not the totals


def test_xlsx_column_widths_follow_the_columns_and_are_wide_enough_for_a_chinese_header():
    ws = _sheet(_table()).active
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDEF"}
    assert widths["A"] == 14
    assert widths["B"] == 12
    assert widths["C"] == 10  # 8 asked, but 在村天数 is four Chinese characters: 4 × 2 + 2
    assert widths["F"] == 16


def test_xlsx_dates_are_dates_and_numbers_are_numbers_with_their_formats():
    ws = _sheet(_table()).active
    stationed, days, score, rate, confirmed = ws["B2"], ws["C2"], ws["D2"], ws["E2"], ws["F2"]
    assert stationed.is_date and stationed.value == datetime.datetime(2026, 3, 5)
    assert stationed.number_format == "yyyy-mm-dd"
    assert days.data_type == "n" and days.value == 22 and days.number_format == "0"
    assert score.data_type == "n" and score.value == 91.5 and score.number_format == "0.00"
    assert rate.number_format == "0.0%"
    # An aware datetime is written in local time (Asia/Shanghai), as the page shows it.
    assert confirmed.is_date and confirmed.value == datetime.datetime(2026, 11, 2, 9, 30)
    assert confirmed.number_format == "yyyy-mm-dd hh:mm"
    assert ws["B3"].value is None  # an empty date stays empty, not 1900-01-00


def test_xlsx_totals_row_is_last_and_bold():
    ws = _sheet(_table()).active
    assert [c.value for c in ws[4]][:4] == ["合计", None, 22, 171.5]
    assert all(cell.font.bold for cell in ws[4])
    assert not ws["A3"].font.bold


def test_xlsx_a_note_goes_below_the_table():
    table = _table()
    table.note = "在=在村;假=请假"
    ws = _sheet(table).active
    assert ws.cell(row=6, column=1).value == "在=在村;假=请假"


def test_xlsx_text_starting_with_equals_is_text_never_a_formula():
    table = Table("t", [Column("情况记录", 20)])
    table.add('=HYPERLINK("http://evil.example","点击")')
    cell = _sheet(table).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_xlsx_one_sheet_per_table_with_safe_distinct_names():
    tables = [
        Table("明细", [Column("a")]),
        Table("明细", [Column("b")]),
        Table("处理期内/单位:[2026]?", [Column("c")]),
        Table("x" * 40, [Column("d")]),
    ]
    names = _sheet(tables).sheetnames
    assert names[:2] == ["明细", "明细(2)"]
    assert names[2] == "处理期内 单位  2026"
    assert len(names[3]) == 31


# --- CSV -------------------------------------------------------------------------------------------


def _csv(table: Table) -> list[list[str]]:
    return csv_rows(export_response("csv", table, "t"))


def test_csv_starts_with_a_bom_and_holds_header_rows_and_totals():
    data = csv_bytes(_table())
    assert data.startswith("\ufeff".encode())
    rows = _csv(_table())
    assert rows[0] == ["乡镇", "到村日期", "在村天数", "综合得分", "达标率", "确认时间"]
    assert rows[1] == ["菜园镇", "2026-03-05", "22", "91.50", "0.875", "2026-11-02 09:30"]
    assert rows[2] == ["宜沟镇", "", "0", "80", "0", ""]
    assert rows[3][:4] == ["合计", "", "22", "171.50"]


@pytest.mark.parametrize("text", ["=1+1", "+86 139", "-cmd|' /C calc'!A0", "@SUM(A1)"])
def test_csv_guards_a_cell_that_would_run_as_a_formula(text):
    table = Table("t", [Column("情况记录", 20)])
    table.add(text)
    assert _csv(table)[1] == ["'" + text]


@pytest.mark.parametrize("value", [-3, Decimal("-1.50"), "-2"])
def test_csv_leaves_a_negative_number_alone(value):
    table = Table("t", [Column("差额", 8, "int")])
    table.add(value)
    assert _csv(table)[1] == [str(value)]


def test_csv_holds_only_the_first_table():
    rows = csv_rows(
        export_response("csv", [Table("甲", [Column("a")], [["1"]]), Table("乙", [Column("b")], [["2"]])], "t")
    )
    assert rows == [["a"], ["1"]]


# --- Responses, names and the links ------------------------------------------------------------------


def test_the_download_is_named_in_chinese_with_an_ascii_fallback():
    response = export_response("xlsx", _table(), "驻村干部考勤达标情况-2026-11")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"-2026-11.xlsx\"; filename*=UTF-8''"
        "%E9%A9%BB%E6%9D%91%E5%B9%B2%E9%83%A8%E8%80%83%E5%8B%A4%E8%BE%BE%E6%A0%87%E6%83%85%E5%86%B5-2026-11.xlsx"
    )
    assert download_name(response) == "驻村干部考勤达标情况-2026-11.xlsx"
    assert sheet_rows(response)[0][0] == "乡镇"
    assert download_name(export_response("csv", _table(), "驻村干部考勤达标情况-2026-11")) == (
        "驻村干部考勤达标情况-2026-11.csv"
    )


def test_file_name_joins_its_parts_and_drops_the_empty_and_what_windows_refuses():
    assert file_name("驻村干部月度考勤", "菜园镇", "2026-11") == "驻村干部月度考勤-菜园镇-2026-11"
    assert file_name("选派干部", "", None, D(2026, 11, 26)) == "选派干部-2026-11-26"
    assert file_name('2026/2027年度:"考评"') == "2026 2027年度  考评"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", None), ("?format=xlsx", "xlsx"), ("?format=csv", "csv"), ("?format=pdf", None), ("?format=XLSX", None)],
)
def test_wanted_format_answers_only_xlsx_and_csv(rf, query, expected):
    assert wanted_format(rf.get("/x/" + query)) == expected


def test_export_mixin_answers_the_format_and_leaves_the_page_alone(rf):
    class Page:
        def get(self, request, *args, **kwargs):
            return HttpResponse("page")

    class ExportPage(ExportMixin, Page):
        def export_tables(self, request, *args, **kwargs):
            return _table(), "在村天数达标"

    assert ExportPage().get(rf.get("/x/")).content == b"page"
    assert ExportPage().get(rf.get("/x/?format=pdf")).content == b"page"
    response = ExportPage().get(rf.get("/x/?format=xlsx"))
    assert download_name(response) == "在村天数达标.xlsx" and sheet_rows(response)[1][0] == "菜园镇"


def test_the_links_keep_the_query_string_drop_the_page_and_set_the_format():
    request = RequestFactory().get("/dispatch/", {"state": "stationed", "page": "3", "format": "csv"})
    html = Template('{% include "includes/export_links.html" %}').render(Context({"request": request}))
    assert 'href="/dispatch/?state=stationed&amp;format=xlsx"' in html
    assert 'href="/dispatch/?state=stationed&amp;format=csv"' in html
    assert "导出 Excel" in html and "导出 CSV" in html and 'data-turbo="false"' in html
