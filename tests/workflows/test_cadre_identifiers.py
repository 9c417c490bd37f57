"""The cadre's ID and phone numbers are masked for all but the org dept; yes/no reads 是/否 everywhere (R-O4)."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import CountyFactory, UserFactory, appoint
from workflows.exports import Column, Table, csv_bytes, xlsx_bytes
from workflows.models import Role
from workflows.text import mask_id_number, mask_phone

ID_NUMBER, PHONE = "410523198805121234", "13812345678"


@pytest.fixture
def cadre(two_tiers):
    cadre = two_tiers["cadre_a"]
    cadre.id_number, cadre.phone, cadre.is_party_member, cadre.is_key_cultivation = ID_NUMBER, PHONE, True, False
    cadre.save()
    return cadre


def _detail(client, user, cadre) -> str:
    client.force_login(user)
    response = client.get(f"/org/cadre/{cadre.pk}/detail/")
    assert response.status_code == 200
    return response.content.decode()


def test_masks_keep_the_region_and_last_four_of_an_id_number_and_three_and_four_of_a_phone():
    assert mask_id_number(ID_NUMBER) == "410523********1234"
    assert mask_phone(PHONE) == "138****5678"
    assert mask_id_number("12345") == "*****" and mask_phone("12345") == "*****"


def test_r_o4_the_org_dept_reads_the_full_id_and_phone_numbers(client, two_tiers, cadre):
    page = _detail(client, two_tiers["people"]["org"], cadre)
    assert ID_NUMBER in page and PHONE in page


@pytest.mark.parametrize("who", ["auditor", "head_a", "deputy_a", "cadre_a"])
def test_r_o4_everyone_else_reads_them_masked(client, two_tiers, cadre, who):
    page = _detail(client, two_tiers["people"][who], cadre)
    assert "410523********1234" in page and "138****5678" in page
    assert ID_NUMBER not in page and PHONE not in page


def test_r_o4_another_countys_org_dept_does_not_see_them_at_all(client, two_tiers, cadre):
    other_org = UserFactory(username="org_other")
    appoint(other_org, Role.ORG_DEPT, CountyFactory(code="410526", name="滑县"))
    client.force_login(other_org)
    assert client.get(f"/org/cadre/{cadre.pk}/detail/").status_code == 403


def test_a_cadres_yes_no_fields_read_yes_or_no_on_the_detail_page(client, two_tiers, cadre):
    page = _detail(client, two_tiers["people"]["org"], cadre)
    assert "True" not in page and "False" not in page
    assert ">是<" in page and ">否<" in page


def test_yes_no_columns_of_the_cadre_list_read_yes_or_no(client, two_tiers, cadre):
    client.force_login(two_tiers["people"]["org"])
    page = client.get("/org/cadre/").content.decode()
    assert ">是<" in page.replace(" ", "").replace("\n", "") and "True" not in page


def test_the_cadre_list_export_writes_yes_or_no_and_never_an_identifier_in_full(client, two_tiers, cadre):
    client.force_login(two_tiers["people"]["auditor"])
    response = client.get("/org/cadre/?format=csv")
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    row = next(r for r in rows if cadre.name in r)
    assert "是" in row and "否" in row and "True" not in text and "False" not in text
    assert ID_NUMBER not in text and PHONE not in text


def test_every_export_writes_a_yes_no_value_as_yes_or_no():
    table = Table("测试", [Column("是否", 8, "text"), Column("数", 8, "int")])
    table.add(True, 3)
    table.add(False, 0)
    text = csv_bytes(table).decode("utf-8-sig")
    assert "是,3" in text and "否,0" in text
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx_bytes([table]))).active
    assert [sheet.cell(row=r, column=1).value for r in (2, 3)] == ["是", "否"]


def test_a_services_refusal_shows_once_in_the_banner_and_not_again_over_the_first_field(client, two_tiers):
    client.force_login(two_tiers["people"]["org"])
    response = client.post(
        reverse("dispatch:training_new"),
        {"year": 2026, "name": "第二期", "starts_on": "2026-12-10", "ends_on": "2026-12-06", "content": "政策"},
    )
    text = response.content.decode()
    assert text.count("结业日期不能早于开班日期。") == 1
    assert 'class="vc-errors" role="alert" data-testid="form-errors"' in text and "vf-form__errors" not in text


def test_a_failed_sign_in_shows_its_error_once_in_the_banner(client, two_tiers):
    response = client.post(reverse("login"), {"username": "org", "password": "wrong"})
    text = response.content.decode()
    assert 'data-testid="form-errors"' in text and "vf-form__errors" not in text
