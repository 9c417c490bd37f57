"""The county import: all or nothing, every error by row and column (R-O1, R-O2, R-O3, R-X1)."""

import csv
from datetime import date
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from tests.factories import CadreFactory, CountyFactory, UnitFactory, UserFactory, appoint, valid_id_number
from workflows.importing import SHEETS, ImportRejected, county_import
from workflows.models import (
    AuditEvent,
    Cadre,
    County,
    Post,
    Rank,
    Role,
    Township,
    Unit,
    User,
    Village,
    VillageCategory,
    VillageIncome,
)

ID_LI, ID_WANG, ID_ZHANG = valid_id_number(101), valid_id_number(202), valid_id_number(303)

TOWNSHIP_ROWS = [
    ["乡镇代码", "乡镇名称", "类型"],
    ["T100", "菜园镇", "镇"],
    ["T200", "城关街道", "街道"],
]
VILLAGE_ROWS = [
    [
        "村代码",
        "村名称",
        "所属乡镇",
        "班子软弱涣散",
        "换届选举重难点",
        "原革命老区",
        "少数民族村",
        "年度",
        "村集体收入(元)",
        "其中上级补助(元)",
    ],
    ["V001", "东官庄村", "菜园镇", "是", "", "", "", 2025, "80,000", 20000],
    ["V002", "西官庄村", "T100", "否", "√", "", "", "2025", 45000, "20,000.00"],
    ["V003", "南街村", "城关街道", "", "", 1, "Y", 2025, 0, 0],
    ["V004", "北街村", "城关街道", "", "", "", "", "", "", ""],
]
UNIT_ROWS = [
    ["单位代码", "单位名称", "备注"],
    ["U01", "县农业农村局", "多余的列不影响导入"],
    ["U02", "县教育局", ""],
]
CADRE_ROWS = [
    ["姓名", "身份证号", "所属单位", "性别", "出生日期", "职级", "职务", "手机号", "中共党员", "后备干部", "重点培养"],
    ["李卫东", ID_LI, "县农业农村局", "", "", "副科级", "副局长", "13800000001", "是", "是", "否"],
    ["王秀英", ID_WANG, "U02", "女", "1990-03-04", "", "", "", "是", "否", "是"],
    ["张  三", ID_ZHANG, "U01", "", "", "科员", "", "138-0000-0003", "否", "", ""],
]
GOOD = {"乡镇": TOWNSHIP_ROWS, "行政村": VILLAGE_ROWS, "单位": UNIT_ROWS, "干部": CADRE_ROWS}
ID_ZHAO, ID_CHEN = valid_id_number(404), valid_id_number(505)
POST_ROWS = [
    ["姓名", "身份证号", "职务", "任职单位或乡镇", "职务名称", "手机号"],
    ["李卫东", ID_LI, "单位主要领导", "县农业农村局", "局长", ""],
    ["赵  敏", ID_ZHAO, "县委组织部", "", "副部长", "13900000009"],
    ["陈志强", ID_CHEN, "乡镇党委", "T100", "党委书记", ""],
]


def write_workbook(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_csv(path, rows, encoding):
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def good_sheets(**changes):
    """The good sheets, each a fresh copy, with some rows replaced: changes={'干部': rows}."""
    sheets = {title: [list(row) for row in rows] for title, rows in GOOD.items()}
    sheets.update(changes)
    return sheets


def snapshot():
    models = (County, Township, Village, VillageIncome, Unit, Cadre, User, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


def run(*args):
    out = StringIO()
    call_command("import_county", *map(str, args), stdout=out)
    return out.getvalue()


def rejected(*args):
    """Run the command expecting a rejection; return its error text and check nothing was written."""
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert snapshot() == before
    return str(raised.value)


def test_r_o1_r_o3_r_x1_good_workbook_imports_everything(county, tmp_path):
    """R-O1 tiers, R-O3 categories derived from recorded income, R-X1 one audit event."""
    path = write_workbook(tmp_path / "汤阴县.xlsx", good_sheets())

    output = run(path)

    assert "乡镇:新增 2,更新 0,未变 0" in output
    assert "行政村:新增 4" in output and "干部:新增 3" in output and "新建账号:3 个" in output
    assert Township.objects.filter(county=county).count() == 2
    assert Township.objects.get(code="T200").kind == Township.Kind.SUBDISTRICT
    assert Unit.objects.filter(county=county).count() == 2
    villages = {v.code: v for v in Village.objects.all()}
    assert villages["V002"].township.code == "T100"
    assert villages["V001"].categories() == [VillageCategory.WEAK_LEADERSHIP]
    assert villages["V002"].categories() == [VillageCategory.ELECTION_DIFFICULT, VillageCategory.ECONOMICALLY_WEAK]
    assert villages["V003"].categories() == [
        VillageCategory.OLD_REVOLUTIONARY,
        VillageCategory.ETHNIC_MINORITY,
        VillageCategory.ECONOMICALLY_WEAK,
        VillageCategory.EMPTY_SHELL,
    ]
    assert villages["V004"].categories() == []
    income = VillageIncome.objects.get(village__code="V001")
    assert (income.year, income.total_income, income.subsidies) == (2025, Decimal("80000"), Decimal("20000"))
    assert VillageIncome.objects.count() == 3

    li = Cadre.objects.get(id_number=ID_LI)
    assert (li.unit.code, li.rank, li.post_title, li.is_reserve) == ("U01", Rank.SECTION_DEPUTY, "副局长", True)
    assert li.gender == Cadre.Gender.MALE  # the 17th digit of the ID number is odd
    assert li.birth_date == date(int(ID_LI[6:10]), int(ID_LI[10:12]), int(ID_LI[12:14]))
    assert li.user.username == "13800000001" and li.user.name == "李卫东"
    assert not li.user.has_usable_password()
    wang = Cadre.objects.get(id_number=ID_WANG)
    assert (wang.gender, wang.birth_date, wang.rank, wang.is_key_cultivation) == (
        Cadre.Gender.FEMALE,
        date(1990, 3, 4),
        Rank.STAFF,
        True,
    )
    assert wang.user.username == ID_WANG  # no phone: the account is named by the ID number
    zhang = Cadre.objects.get(id_number=ID_ZHANG)
    assert (zhang.name, zhang.phone, zhang.is_party_member) == ("张三", "13800000003", False)

    event = AuditEvent.objects.get(action="county.import")
    assert event.county_id == county.pk and event.reason == "汤阴县.xlsx"
    assert event.data["counts"]["干部"] == {"created": 3, "updated": 0, "unchanged": 0}
    assert event.data["users_created"] == 3


def test_good_csv_files_in_utf8_bom_and_gbk_import_as_one_set(county, tmp_path):
    """Chinese Excel saves CSV as GBK; others save UTF-8 with a BOM; one file per sheet."""
    files = [
        write_csv(tmp_path / "乡镇.csv", TOWNSHIP_ROWS, "utf-8-sig"),
        # Headers typed with full-width brackets and a required-column star are tolerated.
        write_csv(
            tmp_path / "行政村.csv",
            [
                [h.replace("(", "（").replace(")", "）") for h in VILLAGE_ROWS[0][:-1]] + ["*其中上级补助（元）"],
                *VILLAGE_ROWS[1:],
            ],
            "gbk",
        ),
        # No kind in the name: recognised from the header row.
        write_csv(tmp_path / "export-3.csv", UNIT_ROWS, "utf-8"),
        write_csv(tmp_path / "干部名册.csv", CADRE_ROWS, "gb18030"),
    ]

    output = run(*files)

    assert "单位:新增 2" in output
    assert Township.objects.count() == 2 and Village.objects.count() == 4 and Cadre.objects.count() == 3
    assert Village.objects.get(code="V003").categories()[-1] == VillageCategory.EMPTY_SHELL
    assert AuditEvent.objects.filter(action="county.import").count() == 1


def test_missing_column_is_rejected_naming_sheet_and_column(county, tmp_path):
    cadres = [[cell for i, cell in enumerate(row) if i != 1] for row in CADRE_ROWS]
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(干部=cadres))

    errors = rejected(path)

    assert "干部 「身份证号」:缺少必填列" in errors


def test_r_o1_unknown_township_is_rejected(county, tmp_path):
    """R-O1: every village is in exactly one township, which must exist."""
    villages = [list(row) for row in VILLAGE_ROWS]
    villages[3][2] = "不存在镇"
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(行政村=villages))

    errors = rejected(path)

    assert "行政村 第4行 「所属乡镇」:乡镇「不存在镇」不存在" in errors


def test_a_township_already_in_the_database_may_be_named(county, tmp_path):
    Township.objects.create(county=county, code="T900", name="宜沟镇")
    path = write_workbook(tmp_path / "book.xlsx", {"行政村": [VILLAGE_ROWS[0], ["V9", "西街村", "宜沟镇"]]})

    run(path)

    assert Village.objects.get(code="V9").township.code == "T900"


def test_r_o2_duplicate_id_number_within_the_files_is_rejected(county, tmp_path):
    """R-O2: one cadre, one record; the same ID number twice is an error, even across files."""
    cadres = [list(row) for row in CADRE_ROWS]
    cadres[3][1] = ID_LI
    book = write_workbook(tmp_path / "book.xlsx", good_sheets(干部=cadres))

    errors = rejected(book)

    assert f"干部 第4行 「身份证号」:身份证号「{ID_LI}」与第2行重复" in errors


def test_r_o2_id_number_of_a_cadre_of_another_county_is_rejected(county, tmp_path):
    other = CadreFactory(unit=UnitFactory(county=CountyFactory(code="410522", name="安阳县"), name="县水利局"))
    cadres = [CADRE_ROWS[0], ["李四", other.id_number, "U01"]]
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(干部=cadres))

    errors = rejected(path, "--county", county.code)

    assert "干部 第2行 「身份证号」:该身份证号已是安阳县县水利局的干部" in errors


def test_r_o2_id_number_registered_to_another_person_is_rejected(county, tmp_path):
    """An existing ID number updates its cadre, but under another name it is a wrong number."""
    existing = CadreFactory(
        unit=UnitFactory(county=county, code="U01", name="县农业农村局"), user=UserFactory(name="赵六")
    )
    cadres = [CADRE_ROWS[0], ["李四", existing.id_number, "U01"]]
    path = write_workbook(tmp_path / "book.xlsx", {"干部": cadres})

    errors = rejected(path)

    assert "干部 第2行 「身份证号」:该身份证号已登记为县农业农村局的干部「赵六」,与本行姓名「李四」不符" in errors


@pytest.mark.parametrize("wrong", ["0", "X"])
def test_bad_id_number_check_digit_is_rejected_with_the_right_one(county, tmp_path, wrong):
    right = ID_WANG[-1]
    if wrong == right:
        wrong = "1"
    cadres = [list(row) for row in CADRE_ROWS]
    cadres[2][1] = ID_WANG[:17] + wrong.lower()
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(干部=cadres))

    errors = rejected(path)

    assert f"干部 第3行 「身份证号」:校验位错误(应为 {right})" in errors


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (8, "八万", "「村集体收入(元)」:应为数字(元),现为「八万」"),
        (9, -5, "「其中上级补助(元)」:上级补助不能为负数"),
        (7, "25", "「年度」:年度应为 4 位年份,现为「25」"),
    ],
)
def test_bad_number_is_rejected(county, tmp_path, column, value, message):
    villages = [list(row) for row in VILLAGE_ROWS]
    villages[1][column] = value
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(行政村=villages))

    errors = rejected(path)

    assert "行政村 第2行 " + message in errors


def test_income_needs_year_and_both_amounts_together(county, tmp_path):
    villages = [VILLAGE_ROWS[0], ["V9", "西街村", "T100", "", "", "", "", "", 50000, ""]]
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(行政村=villages))

    errors = rejected(path)

    assert "行政村 第2行 「年度」:填写了「村集体收入(元)」时" in errors
    assert "行政村 第2行 「其中上级补助(元)」:填写了" in errors


def test_a_file_with_several_errors_reports_all_of_them(county, tmp_path):
    villages = [list(row) for row in VILLAGE_ROWS]
    villages[1][3] = "也许"
    villages[2][0] = "V001"
    cadres = [list(row) for row in CADRE_ROWS]
    cadres[1][2] = "县不存在局"
    cadres[1][3] = "未知"
    cadres[1][5] = "处长"
    cadres[2][0] = ""
    cadres[2][7] = "12345"
    cadres[3][1] = "41052319"
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(行政村=villages, 干部=cadres))

    errors = rejected(path).splitlines()

    assert errors[0] == "导入被拒绝:共 8 处错误,未写入任何数据。"
    assert errors[1:] == [
        "行政村 第2行 「班子软弱涣散」:应填 是 或 否(也可用 1/0、Y/N、√),现为「也许」",
        "行政村 第3行 「村代码」:代码「V001」与第2行重复",
        "干部 第2行 「所属单位」:单位「县不存在局」不存在(本次导入和本县已有数据中都没有这个名称或代码)",
        "干部 第2行 「性别」:应为 男、女 之一,现为「未知」",
        "干部 第2行 「职级」:应为 科员、副科级、正科级、四级主任科员、一级科员、其他 之一,现为「处长」",
        "干部 第3行 「姓名」:必填,不能为空",
        "干部 第3行 「手机号」:手机号应为 11 位数字,现为「12345」",
        "干部 第4行 「身份证号」:应为 18 位,现为 8 位",
    ]


def test_reimporting_the_same_file_updates_and_creates_no_duplicates(county, tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", good_sheets())
    run(path)
    before = snapshot()

    output = run(path)

    assert "干部:新增 0,更新 0,未变 3" in output
    assert "村集体收入:新增 0,更新 0,未变 3" in output
    assert snapshot() == {**before, "AuditEvent": before["AuditEvent"] + 1}


def test_r_o2_reimport_with_changes_updates_and_moves_a_cadre_to_one_other_unit(county, tmp_path):
    """R-O2: a cadre belongs to one unit; a new unit in the file moves the cadre, never copies."""
    run(write_workbook(tmp_path / "first.xlsx", good_sheets()))
    villages = [list(row) for row in VILLAGE_ROWS]
    villages[1][8] = 40000  # own income 20,000: now economically weak (R-O3)
    cadres = [list(row) for row in CADRE_ROWS]
    cadres[1][2] = "县教育局"

    output = run(write_workbook(tmp_path / "second.xlsx", good_sheets(行政村=villages, 干部=cadres)))

    assert "干部:新增 0,更新 1,未变 2" in output
    assert Cadre.objects.filter(id_number=ID_LI).get().unit.code == "U02"
    assert Village.objects.get(code="V001").categories() == [
        VillageCategory.WEAK_LEADERSHIP,
        VillageCategory.ECONOMICALLY_WEAK,
    ]
    assert Cadre.objects.count() == 3 and User.objects.filter(cadre__isnull=False).count() == 3


def test_a_left_out_column_leaves_the_field_as_it_is(county, tmp_path):
    run(write_workbook(tmp_path / "first.xlsx", good_sheets()))
    cadres = [["姓名", "身份证号", "所属单位", "职务"], ["李卫东", ID_LI, "U01", "局长"]]

    run(write_workbook(tmp_path / "second.xlsx", {"干部": cadres}))

    li = Cadre.objects.get(id_number=ID_LI)
    assert (li.post_title, li.rank, li.phone, li.is_reserve) == ("局长", Rank.SECTION_DEPUTY, "13800000001", True)


def test_names_may_pass_between_records_in_one_import(county, tmp_path):
    Township.objects.create(county=county, code="T100", name="城关街道")
    Township.objects.create(county=county, code="T200", name="菜园镇")

    output = run(write_workbook(tmp_path / "book.xlsx", {"乡镇": TOWNSHIP_ROWS}))

    assert "乡镇:新增 0,更新 2,未变 0" in output
    assert list(Township.objects.values_list("code", "name")) == [("T100", "菜园镇"), ("T200", "城关街道")]


def test_a_name_held_by_a_record_outside_the_import_is_rejected(county, tmp_path):
    Unit.objects.create(county=county, code="U77", name="县教育局")

    errors = rejected(write_workbook(tmp_path / "book.xlsx", {"单位": UNIT_ROWS}))

    assert "单位 第3行 「单位名称」:名称「县教育局」已被现有县直单位(代码 U77)使用" in errors


def test_template_has_the_five_sheets_and_can_be_filled_and_imported(county, tmp_path):
    path = tmp_path / "模板.xlsx"
    run("--template", path)

    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    headers = {**GOOD, "任职": POST_ROWS}
    for title in SHEETS:
        assert [cell.value for cell in book[title][1]] == headers[title][0][: len(book[title][1])]
        assert all(cell.font.bold for cell in book[title][1])
    assert [cell.value for cell in book["单位"][1]] == ["单位代码", "单位名称"]
    book["乡镇"].append(["T100", "菜园镇", "镇"])
    book["行政村"].append(["V001", "东官庄村", "菜园镇", "是", "", "", "", 2025, 25000, 0])
    book["单位"].append(["U01", "县农业农村局"])
    book["干部"].append(["李卫东", ID_LI, "县农业农村局", "", "", "", "", "13800000001", "是", "", ""])
    book["任职"].append(["李卫东", ID_LI, "单位主要领导", "县农业农村局"])
    book.save(path)

    run(path)

    assert Post.objects.active().get(role=Role.UNIT_HEAD).user.cadre.id_number == ID_LI

    assert Village.objects.get(code="V001").categories() == [
        VillageCategory.WEAK_LEADERSHIP,
        VillageCategory.ECONOMICALLY_WEAK,
    ]
    assert Cadre.objects.get(id_number=ID_LI).unit.code == "U01"


def test_id_number_typed_as_a_number_in_excel_is_rejected(county, tmp_path):
    cadres = [CADRE_ROWS[0], ["李卫东", float(ID_LI[:17] + "0"), "U01"]]
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(干部=cadres))

    errors = rejected(path)

    assert "干部 第2行 「身份证号」:单元格是数字格式" in errors


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"not a workbook", "broken.xlsx:无法打开工作簿"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old.xls:不支持旧版 .xls 格式"),
        ("notes.xlsx", None, "notes.xlsx:工作簿中没有名为 乡镇、行政村、单位、干部、任职 的工作表(现有:说明)"),
        ("乱码.csv", b"\xff\xfe\xfd\x00\x81", "乱码.csv:"),
    ],
)
def test_unreadable_files_are_errors_not_tracebacks(county, tmp_path, name, content, message):
    path = tmp_path / name
    if content is None:
        write_workbook(path, {"说明": [["随便写点什么"]]})
    else:
        path.write_bytes(content)

    errors = rejected(path)

    assert message in errors


def test_missing_file_is_an_error(county, tmp_path):
    assert "文件不存在" in rejected(tmp_path / "nowhere.xlsx")


def test_county_is_created_from_options_when_none_exists(db, tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", {"乡镇": TOWNSHIP_ROWS})

    with pytest.raises(CommandError, match="还没有县"):
        run(path)
    output = run(path, "--county-code", "410523", "--county-name", "汤阴县")

    assert "新建县:汤阴县" in output
    assert Township.objects.get(code="T100").county.name == "汤阴县"
    assert AuditEvent.objects.filter(action="county.import").count() == 1


def test_a_rejected_import_does_not_create_the_county(db, tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", {"乡镇": [TOWNSHIP_ROWS[0], ["", "菜园镇"]]})

    errors = rejected(path, "--county-code", "410523", "--county-name", "汤阴县")

    assert "乡镇 第2行 「乡镇代码」:必填,不能为空" in errors
    assert not County.objects.exists()


def test_several_counties_need_one_named(county, tmp_path):
    CountyFactory(code="410522", name="安阳县")
    path = write_workbook(tmp_path / "book.xlsx", {"乡镇": TOWNSHIP_ROWS})

    with pytest.raises(CommandError, match="有多个县"):
        run(path)
    run(path, "--county", "410522")

    assert Township.objects.get(code="T100").county.code == "410522"


def test_a_code_used_in_another_county_is_rejected(county, tmp_path):
    Township.objects.create(county=CountyFactory(code="410522", name="安阳县"), code="T100", name="水冶镇")
    path = write_workbook(tmp_path / "book.xlsx", {"乡镇": TOWNSHIP_ROWS})

    errors = rejected(path, "--county", county.code)

    assert "乡镇 第2行 「乡镇代码」:代码「T100」已被安阳县的乡镇(街道)「水冶镇」使用" in errors


def test_r_x1_only_the_org_dept_may_import_and_the_audit_names_who_did(county, tmp_path):
    """R-X1 and R-O4: the org dept of the county imports; the audit event names the actor."""
    path = write_workbook(tmp_path / "book.xlsx", {"单位": UNIT_ROWS})
    org, outsider = UserFactory(name="组织部王科长"), UserFactory()
    appoint(org, Role.ORG_DEPT, county)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        county_import(files=[path], county=county, by=outsider)
    assert snapshot() == {**before, "AuditEvent": before["AuditEvent"] + 1}
    assert AuditEvent.objects.get(action="county.import.refused").actor == outsider
    result = county_import(files=[path], county=county, by=org)

    assert result.counts["单位"]["created"] == 2
    assert AuditEvent.objects.get(action="county.import").actor_name == "组织部王科长"


def test_service_raises_the_issues_for_a_web_page_to_show(county, tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", {"单位": [UNIT_ROWS[0], ["U01", "县教育局"], ["U01", "县财政局"]]})

    with pytest.raises(ImportRejected) as raised:
        county_import(files=[path], county=county, by=None)

    issue = raised.value.issues[0]
    assert (issue.where, issue.row, issue.column) == ("单位", 3, "单位代码")


# --- The 任职 sheet: posts (R-O2, R-O4) -----------------------------------------------------------


def test_r_o2_r_o4_posts_sheet_appoints_people_with_their_grants(county, tmp_path):
    """A post's person is found by ID number (a cadre of the same import) or created; grants follow (R-O4, R-X1)."""
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(任职=POST_ROWS))

    output = run(path)

    assert "任职:新增 3,更新 0,未变 0" in output and "新建账号:5 个" in output
    head = Post.objects.active().get(role=Role.UNIT_HEAD)
    assert (head.user.cadre.id_number, head.unit.code, head.title) == (ID_LI, "U01", "局长")
    assert head.user.has_perm("workflows.approve_nominations", head.unit)
    org = User.objects.get(id_number=ID_ZHAO)
    assert (org.username, org.name, org.has_usable_password()) == ("13900000009", "赵敏", False)
    assert org.has_perm("workflows.coordinate_county", county)
    town = Post.objects.active().get(role=Role.TOWNSHIP_COMMITTEE)
    assert (town.user.username, town.township.name) == (ID_CHEN, "菜园镇")
    assert AuditEvent.objects.filter(action="post.appoint").count() == 3
    assert AuditEvent.objects.get(action="county.import").data["counts"]["任职"]["created"] == 3


def test_r_o2_reimporting_posts_leaves_the_posts_held_unchanged(county, tmp_path):
    path = write_workbook(tmp_path / "book.xlsx", good_sheets(任职=POST_ROWS))
    run(path)
    before = snapshot()

    output = run(path)

    assert "任职:新增 0,更新 0,未变 3" in output
    assert snapshot() == {**before, "AuditEvent": before["AuditEvent"] + 1}
    assert Post.objects.count() == 3


def test_r_o2_a_post_holder_is_found_by_the_id_number_on_the_account(county, tmp_path):
    person = UserFactory(username="zhaomin", name="赵敏", id_number=ID_ZHAO)

    run(write_workbook(tmp_path / "book.xlsx", {"任职": [POST_ROWS[0], POST_ROWS[2]]}))

    assert Post.objects.active().get().user == person
    assert User.objects.count() == 1


def test_r_o2_a_unit_whose_head_is_in_post_refuses_another_head(county, tmp_path):
    """R-O2: one head per unit; the row says who holds the post now."""
    unit = UnitFactory(county=county, code="U01", name="县农业农村局")
    appoint(UserFactory(name="张局长"), Role.UNIT_HEAD, unit)
    rows = [POST_ROWS[0], ["赵敏", ID_ZHAO, "单位主要领导", "U01"]]

    errors = rejected(write_workbook(tmp_path / "book.xlsx", {"任职": rows}))

    assert "任职 第2行 「职务」:县农业农村局已有在任的单位主要领导「张局长」" in errors


def test_r_o2_two_heads_of_one_unit_in_the_file_are_refused(county, tmp_path):
    rows = [*POST_ROWS[:2], ["赵敏", ID_ZHAO, "单位主要领导", "U01"], ["陈志强", ID_CHEN, "单位分管领导", "U01"]]

    errors = rejected(write_workbook(tmp_path / "book.xlsx", good_sheets(任职=rows)))

    assert "任职 第3行 「职务」:与第2行同为该单位的单位主要领导:每个单位只设一名" in errors
    assert "第4行" not in errors  # a deputy beside the head is fine


def test_posts_sheet_errors_are_named_by_row_and_column(county, tmp_path):
    rows = [
        POST_ROWS[0],
        ["赵敏", ID_ZHAO, "局长", "U01"],
        ["赵敏", ID_ZHAO, "县委组织部", "县农业农村局"],
        ["陈志强", ID_CHEN, "乡镇党委", ""],
        ["陈志强", ID_CHEN, "乡镇党委", "不存在镇"],
        ["王五", ID_LI, "审计员", ""],
        ["李卫东", ID_LI, "单位主要领导", "U01"],
        ["李卫东", ID_LI, "单位主要领导", "县农业农村局"],
    ]

    errors = rejected(write_workbook(tmp_path / "book.xlsx", good_sheets(任职=rows)))

    roles = "县委组织部、审计员、单位主要领导、单位分管领导、乡镇党委"
    assert f"任职 第2行 「职务」:应为 {roles} 之一,现为「局长」" in errors
    assert "任职 第3行 「任职单位或乡镇」:县委组织部是县级职务,「任职单位或乡镇」应留空(或填本县名称)" in errors
    assert "任职 第4行 「任职单位或乡镇」:乡镇党委须填写任职的乡镇" in errors
    assert "任职 第5行 「任职单位或乡镇」:乡镇「不存在镇」不存在" in errors
    assert "任职 第6行 「身份证号」:该身份证号已登记为「李卫东」,与本行姓名「王五」不符" in errors
    assert "任职 第8行 「职务」:与第7行重复" in errors


def test_r_o2_posts_may_come_as_a_csv_file_named_for_the_sheet(county, tmp_path):
    UnitFactory(county=county, code="U01", name="县农业农村局")
    rows = [POST_ROWS[0], ["赵敏", ID_ZHAO, "单位分管领导", "县农业农村局"]]
    path = write_csv(tmp_path / "任职名单.csv", rows, "gbk")

    output = run(path)

    assert "任职:新增 1,更新 0,未变 0" in output
    assert Post.objects.active().get(role=Role.UNIT_DEPUTY).user.id_number == ID_ZHAO
