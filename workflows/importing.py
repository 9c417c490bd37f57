"""Import a county's townships, villages, units and cadres from its office's spreadsheets (R-O1, R-O2, R-O3, R-X1).

Format
------
An xlsx workbook with up to four sheets named 乡镇, 行政村, 单位, 干部 (any subset; other sheets are
ignored), or CSV files, one per sheet, whose kind is recognised from the file name (containing one
of 乡镇/行政村/单位/干部) or else from the header row. CSV may be UTF-8 (with or without BOM),
GBK/GB18030 as Chinese Excel saves it, or UTF-16 "Unicode text"; comma or tab separated.

Row 1 holds the column headers, exactly as below (full-width brackets, spaces and a leading or
trailing * are tolerated; extra columns are ignored). Columns marked * are required:

- 乡镇: 乡镇代码*, 乡镇名称*, 类型 (镇/乡/街道, empty = 镇)
- 行政村: 村代码*, 村名称*, 所属乡镇* (name or code, in the database or in the same import),
  班子软弱涣散, 换届选举重难点, 原革命老区, 少数民族村 (是/否, also 1/0, Y/N, √/×; empty = 否),
  年度, 村集体收入(元), 其中上级补助(元) (one year's income; fill all three or none; numbers may
  carry thousands separators; subsidies must not be negative). Economic categories are derived
  from the income, never typed in (R-O3).
- 单位: 单位代码*, 单位名称*
- 干部: 姓名*, 身份证号*, 所属单位* (name or code), 性别 (男/女; empty = from the ID number),
  出生日期 (empty = from the ID number), 职级 (a label of `Rank`, empty = 科员), 职务,
  手机号 (11 digits), 中共党员, 后备干部, 重点培养 (是/否; empty = 否)

A row whose code (or, for a cadre, ID number) already exists in the county updates that record; a
column left out of the file leaves that field as it is. Sheets are imported in the order 乡镇 →
行政村 → 单位 → 干部, so a village may name a township of the same import.

Every file is read and every row checked before anything is written; a single error rejects the
whole set, and the errors are reported by sheet (or file), row and column, in Chinese. A good set is
written in one transaction with one audit event (R-X1). Each new cadre gets a user account named
by the mobile number if it is free, else by the ID number, with no usable password.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from os import PathLike
from pathlib import Path
from typing import Any

import openpyxl
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from workflows.audit import audit_record
from workflows.ids import id_check_digit
from workflows.models import Cadre, County, Rank, Township, Unit, User, Village, VillageIncome
from workflows.permissions import COORDINATE_COUNTY, may

TOWNSHIPS, VILLAGES, UNITS, CADRES = "乡镇", "行政村", "单位", "干部"
#: The sheets, in the order they are imported so that references resolve within one import.
SHEETS = (TOWNSHIPS, VILLAGES, UNITS, CADRES)

YES_NO = ("是", "否")
_YES = {"是", "1", "Y", "YES", "√", "✓", "✔", "TRUE", "T"}
_NO = {"否", "0", "N", "NO", "×", "✗", "✘", "FALSE", "F"}

_MONEY_LIMIT = Decimal(10) ** 12  # VillageIncome keeps 14 digits, 2 of them decimals
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    """One column of a sheet, as the office writes it and as the template shows it."""

    header: str
    required: bool = False
    note: str | Promise = ""
    width: int = 12
    #: Formatted as text in the template, so that Excel keeps leading zeros and all 18 digits.
    text: bool = False
    choices: tuple[str, ...] = ()


def _flag(header: str) -> Column:
    return Column(header, note=gettext_lazy("是/否,空白为否"), width=10, choices=YES_NO)


COLUMNS: dict[str, tuple[Column, ...]] = {
    TOWNSHIPS: (
        Column("乡镇代码", True, gettext_lazy("唯一代码,如 410523100"), 14, text=True),
        Column("乡镇名称", True, gettext_lazy("如 菜园镇"), 16),
        Column("类型", note=gettext_lazy("镇/乡/街道,空白为镇"), width=8, choices=("镇", "乡", "街道")),
    ),
    VILLAGES: (
        Column("村代码", True, gettext_lazy("唯一代码,如 410523100201"), 16, text=True),
        Column("村名称", True, gettext_lazy("如 东官庄村"), 16),
        Column("所属乡镇", True, gettext_lazy("乡镇名称或乡镇代码"), 16),
        _flag("班子软弱涣散"),
        _flag("换届选举重难点"),
        _flag("原革命老区"),
        _flag("少数民族村"),
        Column("年度", note=gettext_lazy("4 位年份;年度与两项收入要么都填,要么都不填"), width=8),
        Column("村集体收入(元)", note=gettext_lazy("当年村集体经济总收入,可带千分位逗号"), width=16),
        Column(
            "其中上级补助(元)",
            width=18,
            note=gettext_lazy("总收入中来自上级的补助,不得为负;经济薄弱村、空壳村据此自动认定"),
        ),
    ),
    UNITS: (
        Column("单位代码", True, gettext_lazy("唯一代码"), 12, text=True),
        Column("单位名称", True, gettext_lazy("如 县农业农村局"), 24),
    ),
    CADRES: (
        Column("姓名", True, width=10),
        Column("身份证号", True, gettext_lazy("18 位,末位可为 X;请保持文本格式"), 22, text=True),
        Column("所属单位", True, gettext_lazy("单位名称或单位代码"), 20),
        Column("性别", note=gettext_lazy("男/女,空白时按身份证号认定"), width=8, choices=("男", "女")),
        Column("出生日期", note=gettext_lazy("如 1988-05-01,空白时按身份证号认定"), width=12),
        Column("职级", note=gettext_lazy("空白为科员"), width=14),
        Column("职务", width=16),
        Column("手机号", note=gettext_lazy("11 位手机号"), width=14, text=True),
        _flag("中共党员"),
        _flag("后备干部"),
        _flag("重点培养"),
    ),
}

_VILLAGE_FLAGS = {
    "班子软弱涣散": "is_weak_leadership",
    "换届选举重难点": "is_election_difficult",
    "原革命老区": "is_old_revolutionary",
    "少数民族村": "is_ethnic_minority",
}
_CADRE_FLAGS = {"中共党员": "is_party_member", "后备干部": "is_reserve", "重点培养": "is_key_cultivation"}
_INCOME = ("年度", "村集体收入(元)", "其中上级补助(元)")


# --------------------------------------------------------------------------------------------
# Results and errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportIssue:
    """One thing wrong with the input, named by sheet (or file), row and column."""

    where: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        parts = [self.where] if self.where else []
        if self.row:
            parts.append(_("第%(row)s行") % {"row": self.row})
        if self.column:
            parts.append(f"「{self.column}」")
        return " ".join(parts) + ":" + self.message if parts else self.message


class ImportRejected(Exception):
    """The files were rejected as a whole; nothing was written."""

    def __init__(self, issues: Sequence[ImportIssue]):
        self.issues = list(issues)
        super().__init__(self.summary())

    def summary(self) -> str:
        return _("导入被拒绝:共 %(n)s 处错误,未写入任何数据。") % {"n": len(self.issues)}

    def lines(self) -> list[str]:
        return [str(issue) for issue in self.issues]


@dataclass
class ImportResult:
    """What an import created, updated and left unchanged, per sheet."""

    county: County
    files: list[str]
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {sheet: {"created": 0, "updated": 0, "unchanged": 0} for sheet in SHEETS}
    )
    incomes: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    users_created: int = 0
    county_created: bool = False

    def lines(self) -> list[str]:
        """Describe the result in Chinese, one line per sheet."""
        lines = [
            _("导入完成:%(county)s(%(code)s),文件 %(files)s")
            % {"county": self.county.name, "code": self.county.code, "files": "、".join(self.files)}
        ]
        if self.county_created:
            lines.append(_("  新建县:%(county)s") % {"county": self.county.name})
        for sheet in SHEETS:
            lines.append(
                _("  %(sheet)s:新增 %(created)s,更新 %(updated)s,未变 %(unchanged)s")
                % {"sheet": sheet, **self.counts[sheet]}
            )
        lines.append(_("  村集体收入:新增 %(created)s,更新 %(updated)s,未变 %(unchanged)s") % self.incomes)
        lines.append(_("  新建干部账号:%(n)s 个") % {"n": self.users_created})
        return lines


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


@dataclass
class _Sheet:
    kind: str
    where: str
    headers: dict[str, int]
    rows: list[tuple[int, tuple[Any, ...]]]


def _normalise_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"\s+", "", text).strip("*")


def _kind_from_name(name: str) -> str | None:
    name = unicodedata.normalize("NFKC", name).strip()
    if name in SHEETS:
        return name
    found = [sheet for sheet in SHEETS if sheet in name]
    return found[0] if len(found) == 1 else None


def _kind_from_headers(headers: Iterable[str]) -> str | None:
    present = set(headers)
    scores = {sheet: len(present & {c.header for c in COLUMNS[sheet]}) for sheet in SHEETS}
    best = max(scores.values())
    winners = [sheet for sheet, score in scores.items() if score == best]
    return winners[0] if best and len(winners) == 1 else None


def _sheet_from_rows(
    kind: str | None, where: str, rows: Iterable[tuple[Any, ...]], issues: list[ImportIssue]
) -> _Sheet | None:
    """Split rows into a header and data rows, numbered as Excel shows them; skip empty rows."""
    header: tuple[Any, ...] | None = None
    data: list[tuple[int, tuple[Any, ...]]] = []
    for number, values in enumerate(rows, start=1):
        if number == 1:
            header = tuple(values)
            continue
        if any(v is not None and str(v).strip() for v in values):
            data.append((number, tuple(values)))
    names = [_normalise_header(v) for v in header or ()]
    if not any(names):
        if data:
            issues.append(ImportIssue(where, 1, "", _("第 1 行应为表头(列名),现为空行")))
        return None
    headers: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        if name in headers:
            issues.append(ImportIssue(where, 1, name, _("列名重复")))
            continue
        headers[name] = index
    kind = kind or _kind_from_headers(headers)
    if kind is None:
        issues.append(
            ImportIssue(where, 1, "", _("无法识别是哪一张表:请把文件名或表头改为 乡镇、行政村、单位、干部 之一的格式"))
        )
        return None
    for column in COLUMNS[kind]:
        if column.required and column.header not in headers:
            issues.append(ImportIssue(where, None, column.header, _("缺少必填列")))
    return _Sheet(kind, where, headers, data)


def _decode(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        # Chinese Excel saves "CSV" in the system code page, GBK; GB18030 is its superset.
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_csv(name: str, data: bytes, issues: list[ImportIssue]) -> list[_Sheet]:
    text = _decode(data)
    if text is None:
        issues.append(ImportIssue(name, None, "", _("无法识别文件编码:请另存为 UTF-8 或 GBK 编码的 CSV")))
        return []
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        rows = [
            tuple(cell or None for cell in row)
            for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        issues.append(ImportIssue(name, None, "", _("CSV 格式错误:%(error)s") % {"error": exc}))
        return []
    sheet = _sheet_from_rows(_kind_from_name(Path(name).stem), name, rows, issues)
    return [sheet] if sheet else []


def _read_workbook(name: str, data: bytes, label_with_file: bool, issues: list[ImportIssue]) -> list[_Sheet]:
    with warnings.catch_warnings():
        # openpyxl warns about workbook extensions it drops on reading; none matters for the data.
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds on a damaged or foreign file; all mean the same here
            issues.append(ImportIssue(name, None, "", _("无法打开工作簿:文件已损坏或不是 xlsx 格式")))
            return []
        try:
            sheets = []
            titles = []
            for worksheet in book.worksheets:
                titles.append(worksheet.title)
                kind = _kind_from_name(worksheet.title)
                if kind is None:
                    continue
                where = f"{name}·{worksheet.title}" if label_with_file else worksheet.title
                sheet = _sheet_from_rows(kind, where, worksheet.iter_rows(values_only=True), issues)
                if sheet:
                    sheets.append(sheet)
        finally:
            book.close()
    if not any(_kind_from_name(title) for title in titles):
        issues.append(
            ImportIssue(
                name,
                None,
                "",
                _("工作簿中没有名为 乡镇、行政村、单位、干部 的工作表(现有:%(titles)s)")
                % {"titles": "、".join(titles)},
            )
        )
    return sheets


def _read_files(paths: Sequence[str | PathLike[str]]) -> tuple[list[_Sheet], list[ImportIssue]]:
    """Read every file into sheets, collecting what cannot be read instead of raising."""
    issues: list[ImportIssue] = []
    sheets: list[_Sheet] = []
    label_with_file = len(paths) > 1
    for path in map(Path, paths):
        name = path.name
        if not path.is_file():
            problem = _("是文件夹,不是文件") if path.is_dir() else _("文件不存在")
            issues.append(ImportIssue(str(path), None, "", problem))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            issues.append(ImportIssue(name, None, "", _("无法读取文件:%(error)s") % {"error": exc.strerror or exc}))
            continue
        suffix = path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            sheets += _read_workbook(name, data, label_with_file, issues)
        elif suffix in (".csv", ".txt", ".tsv"):
            sheets += _read_csv(name, data, issues)
        elif suffix in (".xls", ".et", ".wps"):
            issues.append(ImportIssue(name, None, "", _("不支持旧版 .xls 格式:请在 Excel 或 WPS 中另存为 .xlsx")))
        else:
            issues.append(ImportIssue(name, None, "", _("不支持的文件类型:请使用 .xlsx 或 .csv")))
    return sheets, issues


# --------------------------------------------------------------------------------------------
# Checking cells
# --------------------------------------------------------------------------------------------


def _shown(value: str) -> str:
    return value if len(value) <= 24 else value[:23] + "…"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES_NO[0] if value else YES_NO[1]
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _id_birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= date.today() else None


def _labels(choices: Any) -> dict[str, str]:
    """Map each Chinese label (and the stored value) of a TextChoices to its value."""
    with translation.override("zh-hans"):
        result = {str(label): value for value, label in choices.choices}
    result.update({value: value for value, _label in choices.choices})
    return result


@dataclass(frozen=True)
class _Ref:
    where: str
    row: int

    def near(self, other: _Ref) -> str:
        if other.where == self.where:
            return _("第%(row)s行") % {"row": other.row}
        return _("%(where)s 第%(row)s行") % {"where": other.where, "row": other.row}


class _Row:
    """One data row, with checks that record every problem and return a clean value."""

    def __init__(self, sheet: _Sheet, number: int, values: tuple[Any, ...], issues: list[ImportIssue]):
        self.sheet, self.ref, self.values, self.issues = sheet, _Ref(sheet.where, number), values, issues
        self.ok = True

    def has(self, header: str) -> bool:
        return header in self.sheet.headers

    def raw(self, header: str) -> Any:
        index = self.sheet.headers.get(header)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def error(self, header: str, message: str) -> None:
        self.ok = False
        self.issues.append(ImportIssue(self.ref.where, self.ref.row, header, message))

    def text(self, header: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = _cell_text(self.raw(header))
        if not value and required and self.has(header):
            self.error(header, _("必填,不能为空"))
        elif max_length and len(value) > max_length:
            self.error(header, _("不能超过 %(n)s 个字") % {"n": max_length})
        return value

    def code(self, header: str, *, max_length: int) -> str:
        value = unicodedata.normalize("NFKC", self.text(header, required=True))
        value = re.sub(r"\s+", "", value)
        if len(value) > max_length:
            self.error(header, _("不能超过 %(n)s 个字符") % {"n": max_length})
        return value

    def person_name(self, header: str, *, max_length: int) -> str:
        value = self.text(header, required=True, max_length=max_length)
        # Rosters pad two-character names with spaces ("张  三"); Chinese names hold none.
        if re.fullmatch(r"[\u3400-\u9fff\s]+", value):
            value = re.sub(r"\s+", "", value)
        return value

    def flag(self, header: str) -> bool:
        value = unicodedata.normalize("NFKC", self.text(header)).upper()
        if not value or value in _NO:
            return False
        if value in _YES:
            return True
        self.error(header, _("应填 是 或 否(也可用 1/0、Y/N、√),现为「%(value)s」") % {"value": _shown(value)})
        return False

    def choice(self, header: str, labels: dict[str, str], default: str) -> str:
        value = self.text(header)
        if not value:
            return default
        if value in labels:
            return labels[value]
        allowed = "、".join(label for label, v in labels.items() if label != v)
        self.error(header, _("应为 %(allowed)s 之一,现为「%(value)s」") % {"allowed": allowed, "value": _shown(value)})
        return default

    def id_number(self, header: str) -> str:
        raw = self.raw(header)
        if isinstance(raw, float):
            self.error(header, _("单元格是数字格式,Excel 只保留 15 位有效数字,末几位已丢失:请把该列设为文本后重新录入"))
            return ""
        value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.text(header, required=True))).upper()
        if not value:
            return ""
        if len(value) == 15 and value.isdigit():
            self.error(header, _("15 位旧身份证号,请改填 18 位新号"))
        elif len(value) != 18:
            self.error(header, _("应为 18 位,现为 %(n)s 位") % {"n": len(value)})
        elif not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
            self.error(header, _("前 17 位须为数字,末位须为数字或 X"))
        elif _id_birth_date(value) is None:
            self.error(header, _("第 7–14 位的出生日期无效"))
        elif value[17] != id_check_digit(value[:17]):
            self.error(header, _("校验位错误(应为 %(check)s)") % {"check": id_check_digit(value[:17])})
        return value

    def phone(self, header: str) -> str:
        value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", self.text(header)))
        value = re.sub(r"^(\+?86)(?=1\d{10}$)", "", value)
        if value and not re.fullmatch(r"1\d{10}", value):
            self.error(header, _("手机号应为 11 位数字,现为「%(value)s」") % {"value": _shown(value)})
        return value

    def birth_date(self, header: str) -> date | None:
        raw = self.raw(header)
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        value = unicodedata.normalize("NFKC", self.text(header))
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})(?:[-/.年](\d{1,2})[-/.月](\d{1,2})日?|(\d{2})(\d{2}))", value)
        if match:
            year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
            try:
                born = date(int(year), int(month), int(day))
            except ValueError:
                born = None
            if born and date(1900, 1, 1) <= born <= date.today():
                return born
        self.error(header, _("日期无效,应写作 1988-05-01,现为「%(value)s」") % {"value": _shown(value)})
        return None

    def year(self, header: str) -> int | None:
        value = unicodedata.normalize("NFKC", self.text(header)).removesuffix("年")
        if not value:
            return None
        if re.fullmatch(r"[12]\d{3}", value):
            return int(value)
        self.error(header, _("年度应为 4 位年份,现为「%(value)s」") % {"value": _shown(value)})
        return None

    def money(self, header: str) -> Decimal | None:
        raw = self.raw(header)
        if isinstance(raw, bool):
            raw = str(raw)
        if isinstance(raw, int | float):
            text = repr(raw)
        else:
            text = re.sub(r"[\s,']", "", unicodedata.normalize("NFKC", self.text(header))).removesuffix("元")
        if not text:
            return None
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            self.error(header, _("应为数字(元),现为「%(value)s」") % {"value": _shown(_cell_text(raw))})
            return None
        amount = Decimal(text).quantize(_CENT, rounding=ROUND_HALF_UP)
        if abs(amount) >= _MONEY_LIMIT:
            self.error(header, _("金额过大"))
            return None
        return amount


# --------------------------------------------------------------------------------------------
# Checking rows
# --------------------------------------------------------------------------------------------


@dataclass
class _Planned:
    """A checked row: the record's key, the fields the file sets, and where it came from."""

    ref: _Ref
    key: str
    name: str
    fields: dict[str, Any]
    parent: str = ""
    parent_header: str = ""
    on_create: dict[str, Any] = field(default_factory=dict)
    income: tuple[int, Decimal, Decimal] | None = None


def _max_length(model: type[Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _check_township(row: _Row) -> _Planned:
    code = row.code("乡镇代码", max_length=_max_length(Township, "code"))
    name = row.text("乡镇名称", required=True, max_length=_max_length(Township, "name"))
    fields: dict[str, Any] = {"name": name}
    if row.has("类型"):
        fields["kind"] = row.choice("类型", _labels(Township.Kind), Township.Kind.TOWN)
    return _Planned(row.ref, code, name, fields)


def _check_village(row: _Row) -> _Planned:
    code = row.code("村代码", max_length=_max_length(Village, "code"))
    name = row.text("村名称", required=True, max_length=_max_length(Village, "name"))
    township = unicodedata.normalize("NFKC", row.text("所属乡镇", required=True))
    fields: dict[str, Any] = {"name": name}
    for header, attr in _VILLAGE_FLAGS.items():
        if row.has(header):
            fields[attr] = row.flag(header)
    planned = _Planned(row.ref, code, name, fields, parent=township, parent_header="所属乡镇")
    year, total, subsidies = row.year("年度"), row.money("村集体收入(元)"), row.money("其中上级补助(元)")
    given = [h for h in _INCOME if row.text(h)]
    if given:
        for header in _INCOME:
            if header not in given:
                row.error(
                    header,
                    _("填写了%(given)s时,年度、村集体收入、其中上级补助三项都必须填写")
                    % {"given": "、".join(f"「{h}」" for h in given)},
                )
    if subsidies is not None and subsidies < 0:
        row.error("其中上级补助(元)", _("上级补助不能为负数"))
    if year is not None and total is not None and subsidies is not None:
        planned.income = (year, total, subsidies)
    return planned


def _check_unit(row: _Row) -> _Planned:
    code = row.code("单位代码", max_length=_max_length(Unit, "code"))
    name = row.text("单位名称", required=True, max_length=_max_length(Unit, "name"))
    return _Planned(row.ref, code, name, {"name": name})


def _check_cadre(row: _Row) -> _Planned:
    name = row.person_name("姓名", max_length=_max_length(Cadre, "name"))
    number = row.id_number("身份证号")
    unit = unicodedata.normalize("NFKC", row.text("所属单位", required=True))
    fields: dict[str, Any] = {"name": name}
    id_ok = row.ok and len(number) == 18
    derived_gender = (Cadre.Gender.MALE if int(number[16]) % 2 else Cadre.Gender.FEMALE) if id_ok else ""
    derived_birth = _id_birth_date(number) if id_ok else None
    if row.has("性别"):
        fields["gender"] = row.choice("性别", _labels(Cadre.Gender), derived_gender)
    if row.has("出生日期"):
        fields["birth_date"] = row.birth_date("出生日期") or derived_birth
    if row.has("职级"):
        fields["rank"] = row.choice("职级", _labels(Rank), Rank.STAFF)
    if row.has("职务"):
        fields["post_title"] = row.text("职务", max_length=_max_length(Cadre, "post_title"))
    if row.has("手机号"):
        fields["phone"] = row.phone("手机号")
    for header, attr in _CADRE_FLAGS.items():
        if row.has(header):
            fields[attr] = row.flag(header)
    return _Planned(
        row.ref,
        number,
        name,
        fields,
        parent=unit,
        parent_header="所属单位",
        on_create={"gender": derived_gender, "birth_date": derived_birth},
    )


_CHECKERS = {TOWNSHIPS: _check_township, VILLAGES: _check_village, UNITS: _check_unit, CADRES: _check_cadre}
_KEY_HEADER = {TOWNSHIPS: "乡镇代码", VILLAGES: "村代码", UNITS: "单位代码", CADRES: "身份证号"}
_NAME_HEADER = {TOWNSHIPS: "乡镇名称", VILLAGES: "村名称", UNITS: "单位名称", CADRES: "姓名"}


def _check_sheets(sheets: Sequence[_Sheet], issues: list[ImportIssue]) -> dict[str, list[_Planned]]:
    """Check every row of every sheet, and duplicates across the whole set of files."""
    planned: dict[str, list[_Planned]] = {sheet: [] for sheet in SHEETS}
    for kind in SHEETS:
        keys: dict[str, _Ref] = {}
        names: dict[str, _Ref] = {}
        for sheet in (s for s in sheets if s.kind == kind):
            for number, values in sheet.rows:
                row = _Row(sheet, number, values, issues)
                item = _CHECKERS[kind](row)
                if item.key:
                    first = keys.setdefault(item.key, item.ref)
                    if first != item.ref:
                        what = _("身份证号") if kind == CADRES else _("代码")
                        row.error(
                            _KEY_HEADER[kind],
                            _("%(what)s「%(key)s」与%(first)s重复")
                            % {"what": what, "key": item.key, "first": item.ref.near(first)},
                        )
                # Cadres may share a name; villages are checked per township once it is resolved.
                if item.name and kind in (TOWNSHIPS, UNITS):
                    first = names.setdefault(item.name, item.ref)
                    if first != item.ref:
                        row.error(
                            _NAME_HEADER[kind],
                            _("名称「%(name)s」与%(first)s重复") % {"name": item.name, "first": item.ref.near(first)},
                        )
                planned[kind].append(item)
    if not issues and not any(planned.values()):
        issues.append(ImportIssue("", None, "", _("文件中没有数据行,没有可导入的内容")))
    return planned


# --------------------------------------------------------------------------------------------
# Checking against the database, and writing
# --------------------------------------------------------------------------------------------


class _Tier:
    """Townships or units of the county as they will be after the import: resolves names and codes."""

    def __init__(
        self,
        model: type[Township] | type[Unit],
        county: County,
        rows: list[_Planned],
        kind: str,
        issues: list[ImportIssue],
    ):
        label = model._meta.verbose_name
        self.existing: dict[str, Any] = {}
        if county.pk:
            self.existing = {obj.code: obj for obj in model.objects.filter(county=county)}
        elsewhere = {
            obj.code: obj
            for obj in model.objects.filter(code__in=[r.key for r in rows]).select_related("county")
            if obj.county_id != county.pk
        }
        self.names = {obj.name: code for code, obj in self.existing.items()}
        renamed = {r.key for r in rows}
        for row in rows:
            other = elsewhere.get(row.key)
            if other is not None:
                issues.append(
                    ImportIssue(
                        row.ref.where,
                        row.ref.row,
                        _KEY_HEADER[kind],
                        _("代码「%(code)s」已被%(county)s的%(label)s「%(name)s」使用")
                        % {"code": row.key, "county": other.county.name, "label": label, "name": other.name},
                    )
                )
            holder = self.names.get(row.name)
            if holder is not None and holder != row.key and holder not in renamed:
                issues.append(
                    ImportIssue(
                        row.ref.where,
                        row.ref.row,
                        _NAME_HEADER[kind],
                        _("名称「%(name)s」已被现有%(label)s(代码 %(code)s)使用")
                        % {"name": row.name, "label": label, "code": holder},
                    )
                )
        self.names = {name: code for name, code in self.names.items() if code not in renamed}
        self.codes = set(self.existing) | renamed
        for row in rows:
            self.names.setdefault(row.name, row.key)

    def resolve(self, value: str) -> str | None:
        """Return the code a cell names, by code first and then by name."""
        if value in self.codes:
            return value
        return self.names.get(value)


def _unknown(row: _Planned, label: str, issues: list[ImportIssue]) -> None:
    issues.append(
        ImportIssue(
            row.ref.where,
            row.ref.row,
            row.parent_header,
            _("%(label)s「%(value)s」不存在(本次导入和本县已有数据中都没有这个名称或代码)")
            % {"label": label, "value": row.parent},
        )
    )


def _check_against_database(
    planned: dict[str, list[_Planned]], county: County, issues: list[ImportIssue]
) -> tuple[_Tier, _Tier, dict[str, str]]:
    """Resolve references and find clashes with what the database already holds."""
    townships = _Tier(Township, county, planned[TOWNSHIPS], TOWNSHIPS, issues)
    units = _Tier(Unit, county, planned[UNITS], UNITS, issues)

    villages = planned[VILLAGES]
    db_villages = Village.objects.filter(code__in=[v.key for v in villages]).select_related("township__county")
    by_code = {v.code: v for v in db_villages}
    in_county = (
        Village.objects.filter(township__county=county).values_list("code", "name", "township__code")
        if county.pk
        else []
    )
    village_names = {(township, name): code for code, name, township in in_county}
    importing = {v.key for v in villages}
    seen: dict[tuple[str, str], _Ref] = {}
    for row in villages:
        township = townships.resolve(row.parent)
        if row.parent and township is None:
            _unknown(row, _("乡镇"), issues)
        existing = by_code.get(row.key)
        if existing is not None and existing.township.county_id != county.pk:
            issues.append(
                ImportIssue(
                    row.ref.where,
                    row.ref.row,
                    "村代码",
                    _("代码「%(code)s」已被%(county)s%(township)s的「%(name)s」使用")
                    % {
                        "code": row.key,
                        "county": existing.township.county.name,
                        "township": existing.township.name,
                        "name": existing.name,
                    },
                )
            )
        holder = village_names.get((township, row.name))
        first = seen.setdefault((township or row.parent, row.name), row.ref)
        if first != row.ref:
            issues.append(
                ImportIssue(
                    row.ref.where,
                    row.ref.row,
                    "村名称",
                    _("同一乡镇内村名「%(name)s」与%(first)s重复") % {"name": row.name, "first": row.ref.near(first)},
                )
            )
        elif township and holder and holder != row.key and holder not in importing:
            issues.append(
                ImportIssue(
                    row.ref.where, row.ref.row, "村名称", _("该乡镇已有同名的村(代码 %(code)s)") % {"code": holder}
                )
            )
        row.fields["township"] = township

    cadres = planned[CADRES]
    existing_cadres = {
        c.id_number: c
        for c in Cadre.objects.filter(id_number__in=[c.key for c in cadres]).select_related("unit__county")
    }
    taken = set(
        User.objects.filter(
            username__in=[c.key for c in cadres] + [c.fields.get("phone") for c in cadres if c.fields.get("phone")]
        ).values_list("username", flat=True)
    )
    usernames: dict[str, str] = {}
    for row in cadres:
        unit = units.resolve(row.parent)
        if row.parent and unit is None:
            _unknown(row, _("单位"), issues)
        row.fields["unit"] = unit
        existing = existing_cadres.get(row.key)
        if existing is not None:
            if existing.unit.county_id != county.pk:
                issues.append(
                    ImportIssue(
                        row.ref.where,
                        row.ref.row,
                        "身份证号",
                        _("该身份证号已是%(county)s%(unit)s的干部「%(name)s」,不能导入本县")
                        % {"county": existing.unit.county.name, "unit": existing.unit.name, "name": existing.name},
                    )
                )
            elif row.name and existing.name != row.name:
                # The ID number is the person: a different name means a wrong number, not a rename.
                issues.append(
                    ImportIssue(
                        row.ref.where,
                        row.ref.row,
                        "身份证号",
                        _(
                            "该身份证号已登记为%(unit)s的干部「%(name)s」,与本行姓名「%(row_name)s」不符:"
                            "请核对身份证号(更名请在系统中修改)"
                        )
                        % {"unit": existing.unit.name, "name": existing.name, "row_name": row.name},
                    )
                )
            continue
        if row.key in usernames:
            continue  # a duplicate ID number, already reported
        phone = row.fields.get("phone")
        username = phone if phone and phone not in taken else row.key
        if username in taken:
            issues.append(
                ImportIssue(
                    row.ref.where,
                    row.ref.row,
                    "身份证号",
                    _("账号名「%(username)s」已被其他账号占用,无法为该干部建立账号") % {"username": username},
                )
            )
        taken.add(username)
        usernames[row.key] = username
    return townships, units, usernames


def _apply(obj: Model, fields: dict[str, Any]) -> list[str]:
    """Set the fields that differ and return their names."""
    changed = []
    for name, value in fields.items():
        # Compare a relation by its key: reading an unset one on a new object raises.
        current = getattr(obj, f"{name}_id") if isinstance(value, Model) else getattr(obj, name)
        if current != (value.pk if isinstance(value, Model) else value):
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _save(obj: Model, fields: dict[str, Any], counts: dict[str, int]) -> None:
    if obj.pk is None:
        _apply(obj, fields)
        obj.save()
        counts["created"] += 1
    elif changed := _apply(obj, fields):
        obj.save(update_fields=changed)
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1


def _release_names(rows: list[_Planned], existing: dict[str, Any]) -> None:
    """Park the old names of renamed records, so that names may pass between them in one import."""
    for row in rows:
        obj = existing.get(row.key)
        if obj is not None and obj.name != row.name:
            obj.name = f"~{obj.code}"  # codes are unique, so parked names cannot clash
            obj.save(update_fields=["name"])


def _write(
    planned: dict[str, list[_Planned]],
    county: County,
    townships: _Tier,
    units: _Tier,
    usernames: dict[str, str],
    result: ImportResult,
) -> None:
    if county.pk is None:
        county.save()
        result.county_created = True
    _release_names(planned[TOWNSHIPS], townships.existing)
    saved_townships = {}
    for row in planned[TOWNSHIPS]:
        obj = townships.existing.get(row.key) or Township(county=county, code=row.key)
        _save(obj, row.fields, result.counts[TOWNSHIPS])
        saved_townships[obj.code] = obj
    saved_townships.update({code: obj for code, obj in townships.existing.items() if code not in saved_townships})

    existing_villages = {v.code: v for v in Village.objects.filter(code__in=[r.key for r in planned[VILLAGES]])}
    _release_names(planned[VILLAGES], existing_villages)
    for row in planned[VILLAGES]:
        obj = existing_villages.get(row.key) or Village(code=row.key)
        _save(obj, {**row.fields, "township": saved_townships[row.fields["township"]]}, result.counts[VILLAGES])
        if row.income:
            year, total, subsidies = row.income
            income = obj.incomes.filter(year=year).first() or VillageIncome(village=obj, year=year)
            _save(income, {"total_income": total, "subsidies": subsidies}, result.incomes)

    _release_names(planned[UNITS], units.existing)
    saved_units = dict(units.existing)
    for row in planned[UNITS]:
        obj = units.existing.get(row.key) or Unit(county=county, code=row.key)
        _save(obj, row.fields, result.counts[UNITS])
        saved_units[obj.code] = obj

    existing_cadres = {c.id_number: c for c in Cadre.objects.filter(id_number__in=[r.key for r in planned[CADRES]])}
    for row in planned[CADRES]:
        fields = {**row.fields, "unit": saved_units[row.fields["unit"]]}
        obj = existing_cadres.get(row.key)
        if obj is None:
            user = User(username=usernames[row.key], name=row.name)
            user.set_unusable_password()
            user.save()
            result.users_created += 1
            obj = Cadre(user=user, id_number=row.key, **row.on_create)
        _save(obj, fields, result.counts[CADRES])


def _in_reading_order(issues: list[ImportIssue], sheets: Sequence[_Sheet]) -> list[ImportIssue]:
    """Order issues by file and sheet, then row, then column, however the checks found them."""
    sheet_order = {sheet.where: index for index, sheet in enumerate(sheets)}
    kinds = {sheet.where: sheet.kind for sheet in sheets}

    def key(issue: ImportIssue) -> tuple[int, int, int]:
        headers = [c.header for c in COLUMNS.get(kinds.get(issue.where, ""), ())]
        column = headers.index(issue.column) if issue.column in headers else len(headers)
        return sheet_order.get(issue.where, -1), issue.row or 0, column

    return sorted(issues, key=key)


def _check_may_import(by: User | None, county: County) -> None:
    """The org dept imports into its county; only an administrator or a system command creates one."""
    if by is None or by.is_superuser:
        return
    if county.pk is None or not may(by, COORDINATE_COUNTY, county):
        raise PermissionDenied(_("只有本县组织部可以导入本县数据。"))


def county_import(*, files: Sequence[str | PathLike[str]], county: County, by: User | None) -> ImportResult:
    """Import a set of files as one whole, or nothing at all (R-O1, R-O2, R-O3, R-X1).

    `county` may be unsaved: it is then created with the import. Raises ImportRejected listing
    every problem found, and PermissionDenied for a user who may not import into the county.
    """
    _check_may_import(by, county)
    sheets, issues = _read_files(files)
    planned = _check_sheets(sheets, issues)
    names = [Path(f).name for f in files]
    result = ImportResult(county=county, files=names)
    try:
        with transaction.atomic():
            townships, units, usernames = _check_against_database(planned, county, issues)
            if issues:
                raise ImportRejected(_in_reading_order(issues, sheets))
            _write(planned, county, townships, units, usernames, result)
            audit_record(
                action="county.import",
                actor=by,
                obj=county,
                reason="、".join(names),
                data={
                    "files": names,
                    "counts": result.counts,
                    "incomes": result.incomes,
                    "users_created": result.users_created,
                    "county_created": result.county_created,
                },
            )
    except DatabaseError as exc:
        # Checks above mirror the constraints; this catches a concurrent writer or a missed case.
        if result.county_created:
            county.pk, county._state.adding = None, True
        raise ImportRejected(
            [ImportIssue("", None, "", _("写入数据库失败,未导入任何数据:%(error)s") % {"error": exc})]
        ) from exc
    return result


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------


def county_import_template(*, path: str | PathLike[str]) -> Path:
    """Write an empty workbook with the four sheets and their headers, for an office to fill in."""
    with translation.override("zh-hans"):
        ranks = tuple(str(label) for _value, label in Rank.choices)
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold, bold_red = Font(bold=True), Font(bold=True, color="C00000")
    for kind in SHEETS:
        sheet = book.create_sheet(kind)
        sheet.append([c.header for c in COLUMNS[kind]])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(COLUMNS[kind], start=1):
            letter = get_column_letter(index)
            cell = sheet.cell(row=1, column=index)
            cell.font = bold_red if column.required else bold
            note = str(column.note)
            if column.required:
                note = _("必填。") + note
            if note:
                cell.comment = Comment(note, _("县委组织部"))
            sheet.column_dimensions[letter].width = column.width + 2
            if column.text:
                sheet.column_dimensions[letter].number_format = "@"
            choices = ranks if column.header == "职级" else column.choices
            if choices:
                validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}2000")
    target = Path(path)
    book.save(target)
    return target
