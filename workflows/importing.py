"""Import a county's tiers, cadres and posts from its office's spreadsheets (R-O1, R-O2, R-O3, R-X1).

Format
------
An xlsx workbook with up to five sheets named 乡镇, 行政村, 单位, 干部, 任职 (any subset; other
sheets are ignored), or CSV files, one per sheet, whose kind is recognised from the file name
(containing one of 乡镇/行政村/单位/干部/任职) or else from the header row. CSV may be UTF-8 (with or
without BOM), GBK/GB18030 as Chinese Excel saves it, or UTF-16 "Unicode text"; comma or tab
separated. Files are given by path or, from the browser, as ImportFile (name and bytes); each at
most COUNTY_IMPORT_MAX_BYTES (setting, default 10 MB).

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
- 任职: 姓名*, 身份证号*, 职务* (a label of `Role`: 县委组织部, 审计员, 单位主要领导, 单位分管领导,
  乡镇党委), 任职单位或乡镇 (name or code of a unit or township of the county, in the database or
  the same import; empty for the county's posts 县委组织部 and 审计员), 职务名称 (e.g. 副部长),
  手机号. The person is the cadre with that ID number (in the database or the 干部 sheet), else the
  account carrying it, else a new account. A post the person already holds is left as it is (its
  职务名称 too); a unit has one head and one deputy in charge (R-O2), so a row naming another
  person for a post held is refused: end the post first (职务任免). Each new post is appointed
  through `post_appoint`, by the importing user: its grants and audit event follow (R-O4, R-X1).

A row whose code (or, for a cadre, ID number) already exists in the county updates that record; a
column left out of the file leaves that field as it is. Sheets are imported in the order 乡镇 →
行政村 → 单位 → 干部 → 任职, so a village may name a township of the same import.

Every file is read and every row checked before anything is written; a single error rejects the
whole set, and the errors are reported by sheet (or file), row and column, in Chinese. A good set is
written in one transaction with one audit event (R-X1). A preview (`preview=True`) runs the whole
import and rolls it back, returning what would be created and changed. Each new person gets a user
account named by the mobile number if it is free, else by the ID number, with no usable password.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from os import PathLike
from pathlib import Path
from typing import Any

import openpyxl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from workflows.audit import audit_record, audit_refusal, lock_chain
from workflows.ids import id_check_digit
from workflows.models import (
    ROLE_TIER,
    Cadre,
    County,
    ImportUpload,
    Post,
    Rank,
    Role,
    Township,
    Unit,
    User,
    Village,
    VillageIncome,
)
from workflows.permissions import COORDINATE_COUNTY, may
from workflows.selectors import coordinated_counties
from workflows.services import post_appoint

TOWNSHIPS, VILLAGES, UNITS, CADRES, POSTS = "乡镇", "行政村", "单位", "干部", "任职"
#: The sheets, in the order they are imported so that references resolve within one import.
SHEETS = (TOWNSHIPS, VILLAGES, UNITS, CADRES, POSTS)

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
    POSTS: (
        Column("姓名", True, width=10),
        Column("身份证号", True, gettext_lazy("18 位,末位可为 X;按身份证号找到本人,没有则新建账号"), 22, text=True),
        Column("职务", True, gettext_lazy("县委组织部、审计员、单位主要领导、单位分管领导、乡镇党委 之一"), 14),
        Column(
            "任职单位或乡镇",
            note=gettext_lazy("单位或乡镇的名称或代码;县委组织部、审计员留空"),
            width=20,
        ),
        Column("职务名称", note=gettext_lazy("如 副部长、党委书记,可空"), width=14),
        Column("手机号", note=gettext_lazy("11 位手机号;新建账号时用作账号名"), width=14, text=True),
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

    def rows_by_sheet(self) -> dict[str, int]:
        """How many rows of each sheet (or file) have at least one error."""
        rows: dict[str, set[int | None]] = {}
        for issue in self.issues:
            rows.setdefault(issue.where, set()).add(issue.row)
        return {where: len(numbers) for where, numbers in rows.items()}


@dataclass(frozen=True)
class Change:
    """One record an import creates or changes; for a change, each field as (label, before, after)."""

    sheet: str
    action: str  # "created" or "updated"
    record: str
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class ImportFile:
    """A file given by its name and content, as a browser uploads it, instead of by a path."""

    name: str
    data: bytes


@dataclass
class ImportResult:
    """What an import created, updated and left unchanged, per sheet, and each record it created or changed."""

    county: County
    files: list[str]
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {sheet: {"created": 0, "updated": 0, "unchanged": 0} for sheet in SHEETS}
    )
    incomes: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})
    users_created: int = 0
    county_created: bool = False
    #: A preview: everything was done and then rolled back.
    preview: bool = False
    changes: list[Change] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Describe the result in Chinese, one line per sheet."""
        heading = (
            _("预览(尚未导入):%(county)s(%(code)s),文件 %(files)s")
            if self.preview
            else _("导入完成:%(county)s(%(code)s),文件 %(files)s")
        )
        lines = [heading % {"county": self.county.name, "code": self.county.code, "files": "、".join(self.files)}]
        if self.county_created:
            lines.append(_("  新建县:%(county)s") % {"county": self.county.name})
        for sheet in SHEETS:
            lines.append(
                _("  %(sheet)s:新增 %(created)s,更新 %(updated)s,未变 %(unchanged)s")
                % {"sheet": sheet, **self.counts[sheet]}
            )
        lines.append(_("  村集体收入:新增 %(created)s,更新 %(updated)s,未变 %(unchanged)s") % self.incomes)
        lines.append(_("  新建账号:%(n)s 个") % {"n": self.users_created})
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
            ImportIssue(
                where,
                1,
                "",
                _("无法识别是哪一张表:请把文件名或表头改为 %(sheets)s 之一的格式") % {"sheets": "、".join(SHEETS)},
            )
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


def _unpacked_size(data: bytes) -> int | None:
    """The size of an xlsx once unzipped, or None when it is no zip at all."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _read_workbook(name: str, data: bytes, label_with_file: bool, issues: list[ImportIssue]) -> list[_Sheet]:
    unpacked = _unpacked_size(data)
    if unpacked is None:
        issues.append(ImportIssue(name, None, "", _("无法打开工作簿:文件已损坏或不是 xlsx 格式")))
        return []
    if unpacked > 20 * upload_limit():
        # A small file that unzips to gigabytes is no roster; do not let it fill the memory.
        issues.append(ImportIssue(name, None, "", _("工作簿解压后过大,无法读取:请删去多余的内容后重新保存")))
        return []
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
                _("工作簿中没有名为 %(sheets)s 的工作表(现有:%(titles)s)")
                % {"sheets": "、".join(SHEETS), "titles": "、".join(titles)},
            )
        )
    return sheets


def upload_limit() -> int:
    """The most bytes one import takes (setting COUNTY_IMPORT_MAX_BYTES, default 10 MB)."""
    return settings.COUNTY_IMPORT_MAX_BYTES


def _read_files(files: Sequence[str | PathLike[str] | ImportFile]) -> tuple[list[_Sheet], list[ImportIssue]]:
    """Read every file (a path, or a name with its bytes) into sheets, collecting what cannot be read."""
    issues: list[ImportIssue] = []
    sheets: list[_Sheet] = []
    label_with_file = len(files) > 1
    for item in files:
        if isinstance(item, ImportFile):
            name, data = Path(item.name).name, item.data
        else:
            path = Path(item)
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
        suffix = Path(name).suffix.lower()
        if not data:
            issues.append(ImportIssue(name, None, "", _("文件是空的")))
        elif len(data) > upload_limit():
            issues.append(
                ImportIssue(name, None, "", _("文件过大:不能超过 %(mb)s MB") % {"mb": upload_limit() // (1024 * 1024)})
            )
        elif suffix in (".xlsx", ".xlsm"):
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


def _check_post(row: _Row) -> _Planned:
    name = row.person_name("姓名", max_length=_max_length(User, "name"))
    number = row.id_number("身份证号")
    role = row.choice("职务", _labels(Role), "") if row.text("职务", required=True) else ""
    tier = unicodedata.normalize("NFKC", row.text("任职单位或乡镇"))
    fields: dict[str, Any] = {
        "role": Role(role) if role else None,
        "title": row.text("职务名称", max_length=_max_length(Post, "title")),
        "phone": row.phone("手机号"),
    }
    if not row.ok:
        number = ""  # a row with a bad cell is not looked up; its errors are reported already
    return _Planned(row.ref, number, name, fields, parent=tier, parent_header="任职单位或乡镇")


_CHECKERS = {
    TOWNSHIPS: _check_township,
    VILLAGES: _check_village,
    UNITS: _check_unit,
    CADRES: _check_cadre,
    POSTS: _check_post,
}
_KEY_HEADER = {TOWNSHIPS: "乡镇代码", VILLAGES: "村代码", UNITS: "单位代码", CADRES: "身份证号", POSTS: "身份证号"}
_NAME_HEADER = {TOWNSHIPS: "乡镇名称", VILLAGES: "村名称", UNITS: "单位名称", CADRES: "姓名", POSTS: "姓名"}


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
                # One person may hold several posts: duplicate posts are found once tiers are resolved.
                if item.key and kind != POSTS:
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
    people = cadres + planned[POSTS]
    taken = set(
        User.objects.filter(
            username__in=[c.key for c in people] + [c.fields.get("phone") for c in people if c.fields.get("phone")]
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
    _check_posts(planned, county, townships, units, taken, usernames, issues)
    return townships, units, usernames


def _post_error(row: _Planned, header: str, message: str, issues: list[ImportIssue]) -> None:
    issues.append(ImportIssue(row.ref.where, row.ref.row, header, message))


def _check_posts(
    planned: dict[str, list[_Planned]],
    county: County,
    townships: _Tier,
    units: _Tier,
    taken: set[str],
    usernames: dict[str, str],
    issues: list[ImportIssue],
) -> None:
    """Find each post's person and tier, and refuse a post that clashes with one held (R-O2, R-O4).

    Sets on each row: `tier` (a code, or "" for the county), `user` (the person already in the
    database, if any) and `unchanged` (the person holds this post already).
    """
    rows = [row for row in planned[POSTS] if row.key and row.fields["role"]]
    if not rows:
        return
    keys = [row.key for row in rows]
    cadres = {c.id_number: c for c in Cadre.objects.filter(id_number__in=keys).select_related("user")}
    users = {u.id_number: u for u in User.objects.filter(id_number__in=keys)}
    imported_cadres = {c.key: c for c in planned[CADRES]}
    held: dict[tuple[int, str, str], Post] = {}
    unit_posts: dict[tuple[str, str], Post] = {}
    if county.pk:
        active = Post.objects.active().filter(Q(county=county) | Q(unit__county=county) | Q(township__county=county))
        for post in active.select_related("user", "unit", "township"):
            tier = ROLE_TIER[Role(post.role)]
            code = "" if tier == "county" else getattr(post, tier).code
            held[(post.user_id, post.role, code)] = post
            if post.role in (Role.UNIT_HEAD, Role.UNIT_DEPUTY):
                unit_posts[(code, post.role)] = post
    seen: dict[tuple[str, str, str], _Ref] = {}
    seen_unit_posts: dict[tuple[str, str], tuple[str, _Planned]] = {}
    for row in rows:
        role: Role = row.fields["role"]
        tier_name = ROLE_TIER[role]
        code: str | None = ""
        if tier_name == "county":
            if row.parent and row.parent not in (county.code, county.name):
                _post_error(
                    row,
                    "任职单位或乡镇",
                    _("%(role)s是县级职务,「任职单位或乡镇」应留空(或填本县名称)") % {"role": role.label},
                    issues,
                )
                code = None
        else:
            tiers, label = (units, _("单位")) if tier_name == "unit" else (townships, _("乡镇"))
            if not row.parent:
                _post_error(
                    row,
                    "任职单位或乡镇",
                    _("%(role)s须填写任职的%(label)s") % {"role": role.label, "label": label},
                    issues,
                )
                code = None
            else:
                code = tiers.resolve(row.parent)
                if code is None:
                    _unknown(row, label, issues)
        row.fields["tier"] = code

        cadre, user = cadres.get(row.key), users.get(row.key)
        person = cadre.user if cadre is not None else user
        known_name = cadre.name if cadre is not None else (user.name if user is not None else "")
        if row.key in imported_cadres and person is None:
            known_name = imported_cadres[row.key].name
        if known_name and row.name and known_name != row.name:
            _post_error(
                row,
                "身份证号",
                _("该身份证号已登记为「%(name)s」,与本行姓名「%(row_name)s」不符:请核对身份证号")
                % {"name": known_name, "row_name": row.name},
                issues,
            )
        row.fields["user"] = person
        if person is None and row.key not in imported_cadres and row.key not in usernames:
            phone = row.fields["phone"]
            username = phone if phone and phone not in taken else row.key
            if username in taken:
                _post_error(
                    row,
                    "身份证号",
                    _("账号名「%(username)s」已被其他账号占用,无法为此人建立账号") % {"username": username},
                    issues,
                )
            taken.add(username)
            usernames[row.key] = username
        if code is None:
            continue

        first = seen.setdefault((row.key, role, code), row.ref)
        if first != row.ref:
            _post_error(row, "职务", _("与%(first)s重复") % {"first": row.ref.near(first)}, issues)
            continue
        row.fields["unchanged"] = person is not None and (person.pk, role, code) in held
        if role not in (Role.UNIT_HEAD, Role.UNIT_DEPUTY):
            continue
        holder = unit_posts.get((code, role))
        if holder is not None and (person is None or holder.user_id != person.pk):
            _post_error(
                row,
                "职务",
                _("%(unit)s已有在任的%(role)s「%(name)s」:每个单位只设一名,请先在「职务任免」中免去其职务")
                % {"unit": holder.unit.name, "role": role.label, "name": holder.user},
                issues,
            )
        other = seen_unit_posts.setdefault((code, role), (row.key, row))
        if other[0] != row.key:
            _post_error(
                row,
                "职务",
                _("与%(first)s同为该单位的%(role)s:每个单位只设一名")
                % {"first": row.ref.near(other[1].ref), "role": role.label},
                issues,
            )


def _shown_value(obj: Model, name: str, value: Any) -> str:
    """A field's value as the preview shows it: labels for choices, 是/否, dates as 2025-01-31."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return YES_NO[0] if value else YES_NO[1]
    choices = dict(obj._meta.get_field(name).flatchoices)
    if value in choices:
        return str(choices[value])
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _apply(obj: Model, fields: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Set the fields that differ; return each one's name with its value before and after, as shown."""
    changed = {}
    before = getattr(obj, "_import_before", {})
    for name, value in fields.items():
        # Compare a relation by its key: reading an unset one on a new object raises.
        current = getattr(obj, f"{name}_id") if isinstance(value, Model) else getattr(obj, name)
        if current != (value.pk if isinstance(value, Model) else value):
            old = before.get(name, getattr(obj, name) if obj.pk else None)
            setattr(obj, name, value)
            changed[name] = (_shown_value(obj, name, old), _shown_value(obj, name, value))
    return changed


def _save(obj: Model, fields: dict[str, Any], counts: dict[str, int], log: _Log) -> None:
    if obj.pk is None:
        _apply(obj, fields)
        obj.save()
        counts["created"] += 1
        log.add("created", obj)
    elif changed := _apply(obj, fields):
        obj.save(update_fields=list(changed))
        counts["updated"] += 1
        shown = tuple((str(obj._meta.get_field(name).verbose_name), *values) for name, values in changed.items())
        log.add("updated", obj, shown)
    else:
        counts["unchanged"] += 1


class _Log:
    """Notes each record created or changed, for the preview and the result page."""

    def __init__(self, result: ImportResult):
        self.result, self.sheet = result, ""

    def add(self, action: str, obj: Model, fields: tuple[tuple[str, str, str], ...] = ()) -> None:
        self.result.changes.append(Change(self.sheet, action, _record_label(obj), fields))


def _record_label(obj: Model) -> str:
    if isinstance(obj, VillageIncome):
        return _("%(village)s %(year)s年村集体收入") % {"village": obj.village.name, "year": obj.year}
    if isinstance(obj, Cadre):
        return f"{obj.name}({obj.id_number[:6]}…{obj.id_number[-4:]})"
    if isinstance(obj, Post):
        return f"{obj.user} · {obj.get_role_display()} · {obj.tier}"
    return f"{obj.name}({obj.code})"


def _release_names(rows: list[_Planned], existing: dict[str, Any]) -> None:
    """Park the old names of renamed records, so that names may pass between them in one import."""
    for row in rows:
        obj = existing.get(row.key)
        if obj is not None and obj.name != row.name:
            obj._import_before = {"name": obj.name}
            obj.name = f"~{obj.code}"  # codes are unique, so parked names cannot clash
            obj.save(update_fields=["name"])


def _new_user(username: str, name: str, id_number: str = "") -> User:
    user = User(username=username, name=name, id_number=id_number)
    user.set_unusable_password()
    user.save()
    return user


def _write(
    planned: dict[str, list[_Planned]],
    county: County,
    townships: _Tier,
    units: _Tier,
    usernames: dict[str, str],
    result: ImportResult,
    by: User | None,
) -> None:
    log = _Log(result)
    if county.pk is None:
        county.save()
        result.county_created = True
    log.sheet = TOWNSHIPS
    _release_names(planned[TOWNSHIPS], townships.existing)
    saved_townships = {}
    for row in planned[TOWNSHIPS]:
        obj = townships.existing.get(row.key) or Township(county=county, code=row.key)
        _save(obj, row.fields, result.counts[TOWNSHIPS], log)
        saved_townships[obj.code] = obj
    saved_townships.update({code: obj for code, obj in townships.existing.items() if code not in saved_townships})

    log.sheet = VILLAGES
    existing_villages = {v.code: v for v in Village.objects.filter(code__in=[r.key for r in planned[VILLAGES]])}
    _release_names(planned[VILLAGES], existing_villages)
    for row in planned[VILLAGES]:
        obj = existing_villages.get(row.key) or Village(code=row.key)
        _save(obj, {**row.fields, "township": saved_townships[row.fields["township"]]}, result.counts[VILLAGES], log)
        if row.income:
            year, total, subsidies = row.income
            income = obj.incomes.filter(year=year).first() or VillageIncome(village=obj, year=year)
            _save(income, {"total_income": total, "subsidies": subsidies}, result.incomes, log)

    log.sheet = UNITS
    _release_names(planned[UNITS], units.existing)
    saved_units = dict(units.existing)
    for row in planned[UNITS]:
        obj = units.existing.get(row.key) or Unit(county=county, code=row.key)
        _save(obj, row.fields, result.counts[UNITS], log)
        saved_units[obj.code] = obj

    log.sheet = CADRES
    people: dict[str, User] = {}
    existing_cadres = {
        c.id_number: c
        for c in Cadre.objects.filter(id_number__in=[r.key for r in planned[CADRES]]).select_related("unit")
    }
    for row in planned[CADRES]:
        fields = {**row.fields, "unit": saved_units[row.fields["unit"]]}
        obj = existing_cadres.get(row.key)
        if obj is None:
            user = _new_user(usernames[row.key], row.name)
            result.users_created += 1
            obj = Cadre(user=user, id_number=row.key, **row.on_create)
        _save(obj, fields, result.counts[CADRES], log)
        people[row.key] = obj.user

    log.sheet = POSTS
    for row in planned[POSTS]:
        user = people.get(row.key) or row.fields["user"]
        if user is None:
            user = _new_user(usernames[row.key], row.name, row.key)
            result.users_created += 1
        people[row.key] = user
        if row.fields.get("unchanged"):
            result.counts[POSTS]["unchanged"] += 1
            continue
        role, code = row.fields["role"], row.fields["tier"]
        tier = {"county": county, "unit": saved_units.get(code), "township": saved_townships.get(code)}[ROLE_TIER[role]]
        try:
            post = post_appoint(user=user, role=role, tier=tier, by=by, title=row.fields["title"])
        except ValidationError as error:
            raise ImportRejected([ImportIssue(row.ref.where, row.ref.row, "职务", " ".join(error.messages))]) from None
        result.counts[POSTS]["created"] += 1
        log.add("created", post)


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
        audit_refusal(action="county.import.refused", actor=by, obj=county if county.pk else None, reason=county.name)
        raise PermissionDenied(_("只有本县组织部可以导入本县数据。"))


class _RolledBack(Exception):
    """Raised at the end of a preview, to roll back everything it wrote."""


def _file_name(item: str | PathLike[str] | ImportFile) -> str:
    return Path(item.name if isinstance(item, ImportFile) else item).name


def county_import(
    *,
    files: Sequence[str | PathLike[str] | ImportFile],
    county: County,
    by: User | None,
    preview: bool = False,
    audit_data: dict[str, Any] | None = None,
) -> ImportResult:
    """Import a set of files as one whole, or nothing at all (R-O1, R-O2, R-O3, R-X1).

    `files` are paths or ImportFile (a name and its bytes). `county` may be unsaved: it is then
    created with the import. With `preview`, everything is done and then rolled back: the result says
    what would be created and changed, and nothing is written, audit trail included. Raises
    ImportRejected listing every problem found, and PermissionDenied for a user who may not import
    into the county.
    """
    _check_may_import(by, county)
    sheets, issues = _read_files(files)
    planned = _check_sheets(sheets, issues)
    names = [_file_name(f) for f in files]
    result = ImportResult(county=county, files=names, preview=preview)
    committed = False
    try:
        with transaction.atomic():
            # Posts are audited as they are written: take the chain's lock before the rows' (workflows.audit).
            lock_chain()
            townships, units, usernames = _check_against_database(planned, county, issues)
            if issues:
                raise ImportRejected(_in_reading_order(issues, sheets))
            _write(planned, county, townships, units, usernames, result, by)
            if preview:
                raise _RolledBack
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
                    **(audit_data or {}),
                },
            )
        committed = True
    except _RolledBack:
        pass
    except DatabaseError as exc:
        # Checks above mirror the constraints; this catches a concurrent writer or a missed case.
        raise ImportRejected(
            [ImportIssue("", None, "", _("写入数据库失败,未导入任何数据:%(error)s") % {"error": exc})]
        ) from exc
    finally:
        if result.county_created and not committed:
            county.pk, county._state.adding = None, True
    return result


# --------------------------------------------------------------------------------------------
# Uploads in the browser: kept between the preview and the confirmation
# --------------------------------------------------------------------------------------------
#
# An ImportUpload's `data` is a zip archive holding the uploaded files under their own names (one
# xlsx, or several CSV), and `sha256` its digest: the confirmation imports exactly what was previewed.


def _bundle(files: Sequence[ImportFile]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            archive.writestr(item.name, item.data)
    return out.getvalue()


def import_upload_files(upload: ImportUpload) -> list[ImportFile]:
    """The files of an upload, after checking that they are the bytes that were uploaded."""
    data = bytes(upload.data)
    if not data:
        raise ValidationError(_("该上传文件已超过保存期限被清除,请重新上传。"))
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise ValidationError(_("上传的文件校验失败(内容与上传时不一致),请重新上传。"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [ImportFile(member.filename, archive.read(member)) for member in archive.infolist()]


def import_upload_county(upload: ImportUpload) -> County:
    """The county an upload goes into; unsaved when the upload creates it."""
    if upload.county_id:
        return upload.county
    existing = County.objects.filter(code=upload.county_code).first()
    return existing or County(code=upload.county_code, name=upload.county_name)


def import_uploads_visible_to(user: User) -> QuerySet[ImportUpload]:
    """Uploads a user may see: those of the counties they administer; every one for a superuser (R-O4)."""
    uploads = ImportUpload.objects.select_related("county", "uploaded_by").defer("data")
    if user.is_superuser:
        return uploads
    return uploads.filter(county__in=coordinated_counties(user))


def import_upload_create(
    *,
    files: Sequence[ImportFile],
    county: County | None,
    by: User,
    county_code: str = "",
    county_name: str = "",
) -> ImportUpload:
    """Keep uploaded files for their preview; refuse at once files that cannot be read at all (R-X1).

    `county` None: a superuser's first import, creating the county `county_code`, `county_name`.
    """
    if county is None:
        if not by.is_superuser:
            raise PermissionDenied(_("只有系统管理员可以通过导入新建县。"))
        county_code, county_name = county_code.strip(), county_name.strip()
        if not county_code or not county_name:
            raise ValidationError(_("新建县须填写县代码和县名称。"))
        if County.objects.filter(code=county_code).exists():
            raise ValidationError(_("县代码「%(code)s」已存在:请直接选择该县。") % {"code": county_code})
    _check_may_import(by, county or County(code=county_code, name=county_name))
    if not files:
        raise ValidationError(_("请选择要导入的文件。"))
    names = [item.name for item in files]
    if len(set(names)) < len(names):
        raise ValidationError(_("选择的文件中有同名文件,请只保留一个。"))
    total = sum(len(item.data) for item in files)
    if total > upload_limit():
        raise ValidationError(_("文件过大:合计不能超过 %(mb)s MB。") % {"mb": upload_limit() // (1024 * 1024)})
    _sheets, issues = _read_files(files)
    unreadable = [str(issue) for issue in issues if issue.row is None and not issue.column]
    if unreadable:
        raise ValidationError(unreadable)
    data = _bundle(files)
    return ImportUpload.objects.create(
        county=county,
        county_code="" if county else county_code,
        county_name="" if county else county_name,
        uploaded_by=by,
        file_name="、".join(names)[: _max_length(ImportUpload, "file_name")],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def import_upload_preview(*, upload: ImportUpload, user: User) -> ImportResult:
    """What confirming the upload would do, with nothing written; raises ImportRejected with every error."""
    return county_import(files=import_upload_files(upload), county=import_upload_county(upload), by=user, preview=True)


def _already_confirmed(at: datetime) -> ValidationError:
    shown = timezone.localtime(at).strftime("%Y-%m-%d %H:%M")
    return ValidationError(_("该文件已于 %(at)s 确认导入,不能重复导入。") % {"at": shown}, code="confirmed")


def import_upload_confirm(*, upload: ImportUpload, by: User) -> ImportResult:
    """Import the upload for real, once, all or nothing, audited (R-X1); of two at once, one wins."""
    county = import_upload_county(upload)
    _check_may_import(by, county)
    with transaction.atomic():
        lock_chain()  # before the row's lock, as every writer does (workflows.audit)
        locked = ImportUpload.objects.select_for_update().get(pk=upload.pk)
        if locked.confirmed_at is not None:
            raise _already_confirmed(locked.confirmed_at)
        result = county_import(
            files=import_upload_files(locked),
            county=county,
            by=by,
            audit_data={"upload": locked.pk, "sha256": locked.sha256},
        )
        now = timezone.now()
        # Where the row lock is no lock (SQLite), the first writer still wins: the loser updates nothing.
        if not ImportUpload.objects.filter(pk=locked.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, county=county
        ):
            raise _already_confirmed(now)
    upload.confirmed_at, upload.county = now, county
    return result


# --------------------------------------------------------------------------------------------
# The template
# --------------------------------------------------------------------------------------------


def county_import_workbook() -> bytes:
    """An empty workbook with the five sheets and their headers, for an office to fill in."""
    with translation.override("zh-hans"):
        ranks = tuple(str(label) for _value, label in Rank.choices)
        roles = tuple(str(label) for _value, label in Role.choices)
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
            choices = {(CADRES, "职级"): ranks, (POSTS, "职务"): roles}.get((kind, column.header), column.choices)
            if choices:
                validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}2000")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def county_import_template(*, path: str | PathLike[str]) -> Path:
    """Write the empty workbook (county_import_workbook) to a file."""
    target = Path(path)
    target.write_bytes(county_import_workbook())
    return target
