"""The import in the browser: upload, preview writing nothing, confirm all or nothing (R-O1, R-O2, R-O4, R-X1)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from tests.factories import CountyFactory, UnitFactory, UserFactory, appoint
from tests.workflows.test_import_county import CADRE_ROWS, ID_LI, ID_ZHAO, POST_ROWS, UNIT_ROWS, good_sheets
from workflows.importing import ImportFile, import_upload_confirm, import_upload_create
from workflows.models import (
    AuditEvent,
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

IMPORT = "/manage/import/"


def workbook(sheets) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx(sheets, name="汤阴县基础数据.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook(sheets))


def snapshot():
    models = (County, Township, Village, VillageIncome, Unit, Cadre, User, Post, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def org(county):
    user = UserFactory(username="zzb", name="组织部王科长")
    appoint(user, Role.ORG_DEPT, county)
    return user


@pytest.fixture
def org_client(client, org):
    client.force_login(org)
    return client


def upload(client, *files, **data):
    """Post files to the upload page; return the response (a redirect to the preview when accepted)."""
    return client.post(IMPORT, {"files": list(files), **data})


def uploaded(client, *files, **data) -> ImportUpload:
    response = upload(client, *files, **data)
    assert response.status_code == 302, response.content.decode()
    pk = int(response["Location"].rstrip("/").split("/")[-1])
    assert response["Location"] == reverse("manage:import_preview", args=[pk])
    return ImportUpload.objects.get(pk=pk)


def confirm(client, upload_: ImportUpload):
    return client.post(reverse("manage:import_confirm", args=[upload_.pk]), follow=True)


def test_r_x1_preview_writes_nothing_and_confirm_imports_once_with_one_audit_event(org_client, county, org):
    before = snapshot()

    upload_ = uploaded(org_client, xlsx(good_sheets(任职=POST_ROWS)))
    preview = org_client.get(reverse("manage:import_preview", args=[upload_.pk]))

    assert snapshot() == before
    assert (upload_.county, upload_.uploaded_by, upload_.confirmed_at) == (county, org, None)
    assert len(upload_.sha256) == 64
    page = preview.content.decode()
    assert preview.status_code == 200 and "确认导入" in page
    assert '<tr data-sheet="行政村"><td>行政村</td><td>4</td>' in page
    for name in ("菜园镇(T100)", "东官庄村(V001)", "县农业农村局(U01)", "李卫东", "赵敏 · 县委组织部 · 汤阴县"):
        assert name in page, name

    response = confirm(org_client, upload_)

    after = snapshot()
    assert after["Township"] == before["Township"] + 2 and after["Cadre"] == before["Cadre"] + 3
    assert after["Post"] == before["Post"] + 3
    event = AuditEvent.objects.get(action="county.import")
    assert (event.actor, event.data["upload"], event.data["sha256"]) == (org, upload_.pk, upload_.sha256)
    assert ImportUpload.objects.get(pk=upload_.pk).confirmed_at is not None
    page = response.content.decode()
    assert "导入完成:汤阴县(410523)" in page and "不能再次确认" in page
    assert 'data-testid="confirm"' not in page


def test_r_x1_a_confirmed_upload_cannot_be_confirmed_twice(org_client, county):
    upload_ = uploaded(org_client, xlsx({"单位": UNIT_ROWS}))
    confirm(org_client, upload_)
    before = snapshot()

    response = confirm(org_client, upload_)

    assert "该文件已于" in response.content.decode() and "确认导入,不能重复导入。" in response.content.decode()
    assert snapshot() == before


def test_r_x1_of_two_confirmations_of_one_upload_only_the_first_imports(county, org):
    """Two admins confirming at once: the second finds it confirmed (row lock, then a conditional update)."""
    from django.core.exceptions import ValidationError

    upload_ = import_upload_create(
        files=[ImportFile("单位.csv", "单位代码,单位名称\nU01,县农业农村局\n".encode())], county=county, by=org
    )
    stale = ImportUpload.objects.get(pk=upload_.pk)
    import_upload_confirm(upload=upload_, by=org)

    with pytest.raises(ValidationError, match="不能重复导入"):
        import_upload_confirm(upload=stale, by=org)
    assert AuditEvent.objects.filter(action="county.import").count() == 1


def test_r_o2_a_corrected_reimport_updates_by_id_number_and_the_preview_shows_each_change(org_client, county):
    """R-O2: the ID number is the person; a corrected file changes the cadre's fields, never duplicates them."""
    confirm(org_client, uploaded(org_client, xlsx(good_sheets())))
    cadres = [list(row) for row in CADRE_ROWS]
    cadres[1][5], cadres[1][2] = "正科级", "县教育局"
    before = snapshot()

    corrected = uploaded(org_client, xlsx(good_sheets(干部=cadres), name="改正后.xlsx"))
    page = org_client.get(reverse("manage:import_preview", args=[corrected.pk])).content.decode()

    assert '<tr data-sheet="干部"><td>干部</td><td>0</td><td>1</td><td>2</td></tr>' in page
    assert "所属单位:县农业农村局 → 县教育局" in page and "职级:副科级 → 正科级" in page
    confirm(org_client, corrected)
    li = Cadre.objects.get(id_number=ID_LI)
    assert (li.rank, li.unit.code) == (Rank.SECTION_CHIEF, "U02")
    assert snapshot() == {**before, "AuditEvent": before["AuditEvent"] + 1}


def test_errors_are_listed_by_sheet_row_and_column_and_confirm_is_refused(org_client, county):
    cadres = [CADRE_ROWS[0], ["李卫东", ID_LI, "县不存在局"], ["", ID_ZHAO, "U01", "", "", "", "", "12345"]]
    before = snapshot()
    upload_ = uploaded(org_client, xlsx(good_sheets(干部=cadres)))

    page = org_client.get(reverse("manage:import_preview", args=[upload_.pk])).content.decode()

    assert "导入被拒绝:共 3 处错误,未写入任何数据。" in page
    assert "<tr><td>干部</td><td>2</td><td>所属单位</td><td>单位「县不存在局」不存在" in page
    assert "<tr><td>干部</td><td>3</td><td>姓名</td><td>必填,不能为空</td></tr>" in page
    assert "<tr><td>干部</td><td>3</td><td>手机号</td>" in page
    assert "<tr><td>干部</td><td>2</td></tr>" in page  # two rows of 干部 refused
    assert 'data-testid="confirm"' not in page
    response = confirm(org_client, upload_)
    assert "导入被拒绝" in response.content.decode()
    assert snapshot() == before and ImportUpload.objects.get(pk=upload_.pk).confirmed_at is None


def test_r_o2_r_o4_posts_sheet_through_the_page_appoints_with_grants(org_client, county, org):
    confirm(org_client, uploaded(org_client, xlsx(good_sheets(任职=POST_ROWS))))

    head = Post.objects.active().get(role=Role.UNIT_HEAD)
    assert head.user.has_perm("workflows.approve_nominations", head.unit)
    assert AuditEvent.objects.filter(action="post.appoint", actor=org).count() == 3


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.png", b"\x89PNG\r\n", "photo.png:不支持的文件类型:请使用 .xlsx 或 .csv"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx:无法打开工作簿:文件已损坏或不是 xlsx 格式"),
        ("empty.csv", b"", "empty.csv:文件是空的"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old.xls:不支持旧版 .xls 格式"),
    ],
)
def test_a_file_that_is_no_readable_spreadsheet_gets_a_clear_message_and_nothing_is_kept(
    org_client, county, name, content, message
):
    response = upload(org_client, SimpleUploadedFile(name, content))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_file_over_the_limit_is_refused(org_client, county, settings):
    settings.COUNTY_IMPORT_MAX_BYTES = 1024 * 1024

    response = upload(org_client, SimpleUploadedFile("big.csv", b"a" * (1024 * 1024 + 10)))

    assert "文件过大:合计不能超过 1 MB。" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_no_file_chosen_is_a_message(org_client, county):
    response = org_client.post(IMPORT, {})

    assert "请选择要导入的文件。" in response.content.decode()


def test_several_csv_files_form_one_upload(org_client, county):
    units = SimpleUploadedFile("单位.csv", "单位代码,单位名称\nU01,县农业农村局\n".encode())
    townships = SimpleUploadedFile("乡镇.csv", "乡镇代码,乡镇名称\nT100,菜园镇\n".encode("gbk"))

    upload_ = uploaded(org_client, units, townships)
    confirm(org_client, upload_)

    assert upload_.file_name == "单位.csv、乡镇.csv"
    assert Unit.objects.get(code="U01").county == county and Township.objects.get(code="T100").county == county


def test_the_page_lists_recent_uploads_and_offers_the_template(org_client, county):
    uploaded(org_client, xlsx({"单位": UNIT_ROWS}, name="第一次.xlsx"))

    page = org_client.get(IMPORT).content.decode()
    template = org_client.get(reverse("manage:import_template"))

    assert "第一次.xlsx" in page and "未确认" in page
    assert reverse("manage:import_template") in page
    book = openpyxl.load_workbook(io.BytesIO(b"".join(template.streaming_content)))
    assert book.sheetnames == ["乡镇", "行政村", "单位", "干部", "任职"]
    assert "attachment" in template["Content-Disposition"]


def test_a_superuser_creates_the_first_county_with_an_upload(client, db):
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    client.force_login(admin)

    upload_ = uploaded(client, xlsx({"单位": UNIT_ROWS}), county_code="410523", county_name="汤阴县")
    assert "确认后将新建该县" in client.get(reverse("manage:import_preview", args=[upload_.pk])).content.decode()
    assert not County.objects.exists()
    confirm(client, upload_)

    county = County.objects.get(code="410523")
    assert ImportUpload.objects.get(pk=upload_.pk).county == county and Unit.objects.filter(county=county).count() == 2


def test_a_superuser_must_name_the_new_county(client, db):
    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))

    response = upload(client, xlsx({"单位": UNIT_ROWS}))

    assert "新建县须填写县代码和县名称。" in response.content.decode()


# --- Who may (R-O4) -------------------------------------------------------------------------------


def test_r_o4_the_org_dept_of_another_county_gets_403_on_an_upload(client, org_client, county):
    upload_ = uploaded(org_client, xlsx({"单位": UNIT_ROWS}))
    other = UserFactory(username="other_zzb")
    appoint(other, Role.ORG_DEPT, CountyFactory(code="410522", name="安阳县"))
    client.force_login(other)

    assert client.get(reverse("manage:import_preview", args=[upload_.pk])).status_code == 403
    assert client.post(reverse("manage:import_confirm", args=[upload_.pk])).status_code == 403
    assert "第一次" not in client.get(IMPORT).content.decode()
    assert upload_.file_name not in client.get(IMPORT).content.decode()
    assert not Unit.objects.exists()


def test_r_o4_the_org_dept_cannot_upload_into_another_county(org_client, county):
    other = CountyFactory(code="410522", name="安阳县")

    response = upload(org_client, xlsx({"单位": UNIT_ROWS}), county=other.pk)

    assert response.status_code == 200 and not ImportUpload.objects.exists()


@pytest.mark.parametrize("role", [Role.UNIT_HEAD, Role.AUDITOR])
def test_r_o4_a_unit_head_or_auditor_gets_403(client, county, role):
    user = UserFactory()
    appoint(user, role, UnitFactory(county=county) if role == Role.UNIT_HEAD else county)
    client.force_login(user)

    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"files": [xlsx({"单位": UNIT_ROWS})]}).status_code == 403
    assert client.get(reverse("manage:import_template")).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, county):
    response = client.get(IMPORT)

    assert response.status_code == 302 and "login" in response["Location"]


def test_r_x1_a_preview_of_the_service_writes_nothing_and_lists_each_change(county, org):
    from workflows.importing import county_import

    before = snapshot()

    result = county_import(
        files=[ImportFile("book.xlsx", workbook(good_sheets(任职=POST_ROWS)))], county=county, by=org, preview=True
    )

    assert snapshot() == before
    assert result.preview and result.counts["任职"]["created"] == 3 and result.users_created == 5
    assert result.lines()[0].startswith("预览(尚未导入):汤阴县")
    assert ("乡镇", "created", "菜园镇(T100)") in [(c.sheet, c.action, c.record) for c in result.changes]


def test_a_preview_that_would_create_the_county_leaves_it_unsaved(db):
    from workflows.importing import county_import

    new = County(code="410523", name="汤阴县")

    result = county_import(
        files=[ImportFile("单位.xlsx", workbook({"单位": UNIT_ROWS}))], county=new, by=None, preview=True
    )

    assert result.county_created and new.pk is None and not County.objects.exists() and not Unit.objects.exists()


def test_r_x1_an_upload_whose_bytes_changed_is_neither_previewed_nor_imported(org_client, county):
    upload_ = uploaded(org_client, xlsx({"单位": UNIT_ROWS}))
    ImportUpload.objects.filter(pk=upload_.pk).update(data=b"something else")

    page = org_client.get(reverse("manage:import_preview", args=[upload_.pk])).content.decode()
    response = confirm(org_client, upload_)

    assert "上传的文件校验失败" in page and 'data-testid="confirm"' not in page
    assert "上传的文件校验失败" in response.content.decode() and not Unit.objects.exists()


def test_two_files_of_one_name_are_refused(org_client, county):
    response = upload(org_client, xlsx({"单位": UNIT_ROWS}, name="a.xlsx"), xlsx({"乡镇": []}, name="a.xlsx"))

    assert "选择的文件中有同名文件" in response.content.decode() and not ImportUpload.objects.exists()


def test_r_o4_the_org_dept_of_two_counties_chooses_one(client, county):
    other = CountyFactory(code="410522", name="安阳县")
    both = UserFactory(username="both")
    appoint(both, Role.ORG_DEPT, county)
    appoint(both, Role.ORG_DEPT, other)
    client.force_login(both)

    assert "请选择导入到哪个县。" in upload(client, xlsx({"单位": UNIT_ROWS})).content.decode()
    assert uploaded(client, xlsx({"单位": UNIT_ROWS}), county=other.pk).county == other


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two real PostgreSQL connections")
def test_r_x1_two_admins_confirming_one_upload_at_once_import_it_once(transactional_db):
    """The row lock makes the second confirmation wait, then find the upload confirmed (R-X1)."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    county = CountyFactory(code="410523", name="汤阴县")
    admins = [UserFactory(username=f"zzb{n}") for n in range(2)]
    for admin in admins:
        appoint(admin, Role.ORG_DEPT, county)
    units = ImportFile("单位.csv", "单位代码,单位名称\nU01,县农业农村局\n".encode())
    upload_ = import_upload_create(files=[units], county=county, by=admins[0])
    start = threading.Barrier(2)
    outcomes = []

    def confirm_as(admin):
        try:
            start.wait()
            import_upload_confirm(upload=ImportUpload.objects.get(pk=upload_.pk), by=admin)
            outcomes.append("imported")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm_as, args=(admin,)) for admin in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    imported, refused = outcomes.count("imported"), [o for o in outcomes if o != "imported"]
    assert imported == 1 and len(refused) == 1 and "不能重复导入" in refused[0]
    assert AuditEvent.objects.filter(action="county.import").count() == 1 and Unit.objects.count() == 1
