"""The org dept imports the county workbook in the browser: upload, preview, confirm (R-O1, R-O2, R-X1)."""

import io

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "pass-for-tests-1"


def _workbook(path, cadre_name: str, rank: str):
    import openpyxl

    from tests.factories import valid_id_number

    book = openpyxl.Workbook()
    book.remove(book.active)
    sheets = {
        "乡镇": [["乡镇代码", "乡镇名称"], ["T100", "菜园镇"]],
        "行政村": [["村代码", "村名称", "所属乡镇", "班子软弱涣散"], ["V001", "东官庄村", "菜园镇", "是"]],
        "单位": [["单位代码", "单位名称"], ["U01", "县农业农村局"]],
        "干部": [["姓名", "身份证号", "所属单位", "职级"], [cadre_name, valid_id_number(101), "U01", rank]],
        "任职": [
            ["姓名", "身份证号", "职务", "任职单位或乡镇"],
            [cadre_name, valid_id_number(101), "单位主要领导", "U01"],
        ],
    }
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def test_r_x1_org_dept_uploads_previews_and_confirms_the_county_workbook(page, transactional_db, tmp_path):
    from tests.factories import CountyFactory, UserFactory, appoint
    from workflows.models import AuditEvent, Cadre, Post, Rank, Role

    county = CountyFactory(code="410523", name="汤阴县")
    appoint(UserFactory(username="zzb", name="组织部王科长"), Role.ORG_DEPT, county)
    log_in(page, "zzb", PASSWORD)

    page.goto(f"{page.base_url}/")
    menu = page.locator(".vf-page__menu-primary a[href^='/manage/']")
    assert "管理" in menu.inner_text()
    menu.click()
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid=nav-import]").click()
    page.wait_for_url("**/manage/import/")
    page.wait_for_load_state("networkidle")
    assert "上传基础数据工作簿" in page.inner_text("main")
    screenshot(page, "import-upload")

    page.set_input_files("[data-testid=files]", str(_workbook(tmp_path / "汤阴县基础数据.xlsx", "李卫东", "副科级")))
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_url("**/manage/import/*/")
    page.wait_for_load_state("networkidle")
    preview = page.locator("[data-testid=preview]")
    assert "导入预览" in preview.inner_text() and "东官庄村(V001)" in preview.inner_text()
    assert not Cadre.objects.exists()
    screenshot(page, "import-preview")

    page.locator("[data-testid=confirm]").click()
    page.wait_for_load_state("networkidle")
    assert "导入完成:汤阴县(410523)" in page.inner_text("main")
    assert "不能再次确认" in page.inner_text("main")
    assert Cadre.objects.get().name == "李卫东" and Post.objects.active().get(role=Role.UNIT_HEAD).user.name == "李卫东"
    assert AuditEvent.objects.filter(action="county.import").count() == 1
    screenshot(page, "import-confirmed")

    # A corrected file: the preview shows the change, before → after, and the confirmation applies it.
    page.locator("[data-testid=nav-import]").click()
    page.wait_for_url("**/manage/import/")
    page.wait_for_load_state("networkidle")
    page.set_input_files("[data-testid=files]", str(_workbook(tmp_path / "改正后.xlsx", "李卫东", "正科级")))
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_url("**/manage/import/*/")
    page.wait_for_load_state("networkidle")
    assert "职级:副科级 → 正科级" in page.locator("[data-testid=changes]").inner_text()
    screenshot(page, "import-preview-changes")
    page.locator("[data-testid=confirm]").click()
    page.wait_for_load_state("networkidle")
    assert Cadre.objects.get().rank == Rank.SECTION_CHIEF

    # A file with an error: every error by sheet, row and column, and no confirm button.
    page.locator("[data-testid=nav-import]").click()
    page.wait_for_url("**/manage/import/")
    page.wait_for_load_state("networkidle")
    page.set_input_files("[data-testid=files]", str(_workbook(tmp_path / "有误.xlsx", "李卫东", "处长")))
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_url("**/manage/import/*/")
    page.wait_for_load_state("networkidle")
    issues = page.locator("[data-testid=issues]").inner_text()
    assert "干部\t2\t职级\t应为 科员、副科级" in issues
    assert page.locator("[data-testid=confirm]").count() == 0
    screenshot(page, "import-rejected")
