"""The year-end appraisal through the pages: villagers vote on a phone, township and unit score from their to-do
lists, the org dept closes the vote and finalises, the cadre downloads the certificate (R-A1, R-A2, R-A4, R-A5)."""

import datetime

import pytest
from django.urls import reverse

from appraisal import services
from appraisal.models import Appraisal, AppraisalState, Grade, OnlineTally
from dispatch.models import Dispatch, DispatchState, Pairing
from tests.browser.conftest import log_in, open_first_task, screenshot, submit
from tests.dispatch.test_team import stationed

pytestmark = pytest.mark.browser
PASSWORD = "pass-for-tests-1"


def _vote(phone_page, code: str, grade_label: str, shot: str | None = None) -> None:
    phone_page.goto(f"{phone_page.base_url}{reverse('vote:ballot')}?c={code}")
    phone_page.locator("button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")
    phone_page.get_by_label(grade_label).first.check()
    if shot:
        screenshot(phone_page, shot)
    phone_page.locator("button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")


def test_r_a5_villagers_vote_scores_are_entered_the_org_dept_finalises_and_the_certificate_downloads(
    page, phone_page, transactional_db, world
):
    """R-A1, R-A2, R-A4, R-A5: the whole year-end round through the browser."""
    Pairing.objects.create(unit=world["unit_a"], village=world["village_a"], year=2025)
    dispatch = stationed(world["cadre_a"], world["village_a"], on=datetime.date(2025, 3, 5))
    org, town = world["people"]["org"], world["people"]["town_a"]

    # The org dept opens the round from its page.
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}{reverse('appraisal:rounds')}")
    page.fill("input[name=title]", "2026年度驻村干部考评")
    page.fill("input[name=year]", "2026")
    page.fill("input[name=term_ends_from]", "2026-01-01")
    page.fill("input[name=term_ends_to]", "2026-12-31")
    screenshot(page, "appraisal-1-open-round")
    page.locator("form button[type=submit]", has_text="发起").first.click()
    page.wait_for_load_state("networkidle")
    appraisal = Appraisal.objects.get(dispatch=dispatch)
    round_ = appraisal.round

    # The township issues ballot codes for the village (the sheet is a PDF of slips).
    batch = services.ballots_issue(round_=round_, village=world["village_a"], count=3, by=town)
    codes = services.ballot_sheet_codes(batch=batch, by=town)

    # Villagers vote on their phones, without an account; a code votes once.
    _vote(phone_page, codes[0], "优秀", shot="appraisal-2-phone-ballot")
    assert "投票成功" in phone_page.inner_text("body") or phone_page.locator("[data-testid=thanks]").count() == 1
    screenshot(phone_page, "appraisal-3-phone-thanks")
    _vote(phone_page, codes[1], "称职")
    phone_page.goto(f"{phone_page.base_url}{reverse('vote:ballot')}?c={codes[0]}")
    phone_page.locator("button[type=submit]").click()
    phone_page.wait_for_load_state("networkidle")
    assert "投票码无效、已使用,或本次评议已经结束。" in phone_page.inner_text("[data-testid=message]")
    screenshot(phone_page, "appraisal-4-phone-used-code")
    tallies = dict(OnlineTally.objects.filter(appraisal=appraisal).values_list("grade", "count"))
    assert tallies == {Grade.EXCELLENT: 1, Grade.COMPETENT: 1, Grade.BASICALLY_COMPETENT: 0, Grade.INCOMPETENT: 0}

    # The township scores from its to-do list, seeing the term's attendance.
    page.context.clear_cookies()
    log_in(page, "town_a", PASSWORD)
    open_first_task(page, "乡镇评分")
    page.fill("input[name=score]", "92")
    page.fill("textarea[name=comment]", "扎根村里,带领群众发展大棚蔬菜,成效明显。")
    screenshot(page, "appraisal-5-township-score")
    submit(page)

    # The unit head scores their own cadre.
    page.context.clear_cookies()
    log_in(page, "head_a", PASSWORD)
    open_first_task(page, "派出单位评分")
    page.fill("input[name=score]", "90")
    page.fill("textarea[name=comment]", "驻村期间工作认真,按时报告。")
    submit(page)
    appraisal = Appraisal.objects.get(pk=appraisal.pk)
    assert (appraisal.township_score, appraisal.unit_score) == (92, 90)

    # The org dept closes the vote on the round page: the grade is proposed at once.
    page.context.clear_cookies()
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}{reverse('appraisal:round_detail', args=[round_.pk])}")
    screenshot(page, "appraisal-6-round-progress")
    page.locator("[data-testid=close-round]").click()
    page.wait_for_load_state("networkidle")
    page.locator("[data-testid=confirm-close]").click()
    page.wait_for_load_state("networkidle")
    appraisal = Appraisal.objects.get(pk=appraisal.pk)
    # 92×40% + 90×30% + (100+80)/2×30% = 36.8 + 27 + 27 = 90.80 → excellent.
    assert appraisal.state == AppraisalState.PROPOSED
    assert str(appraisal.combined_score) == "90.80" and appraisal.proposed_grade == Grade.EXCELLENT

    # The org dept finalises from its to-do list, the parts side by side; a change would need a reason.
    open_first_task(page, "审定考评等次")
    assert "90.80" in page.inner_text("[data-testid=combined]")
    screenshot(page, "appraisal-7-finalise")
    submit(page)
    appraisal = Appraisal.objects.get(pk=appraisal.pk)
    assert appraisal.state == AppraisalState.FINALISED and appraisal.final_grade == Grade.EXCELLENT
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.APPRAISED

    # The cadre sees the record and downloads the certificate.
    page.context.clear_cookies()
    log_in(page, "cadre_a", PASSWORD)
    page.goto(f"{page.base_url}{reverse('appraisal:my_record')}")
    assert "优秀" in page.inner_text("[data-testid=experience]")
    screenshot(page, "appraisal-8-record")
    with page.expect_download() as download:
        page.locator("[data-testid=certificate-link]").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert org.pk != town.pk


def test_r_a1_closing_with_a_village_without_votes_takes_a_reason_shown_in_the_report(page, transactional_db, world):
    """R-A1: the close page lists the village that gave no votes; its reason is asked, kept and reported."""
    Pairing.objects.create(unit=world["unit_a"], village=world["village_a"], year=2025)
    dispatch = stationed(world["cadre_a"], world["village_a"], on=datetime.date(2025, 3, 5))
    round_ = services.round_open(
        county=world["county"],
        title="2026年度驻村干部考评",
        year=2026,
        term_ends_from=datetime.date(2026, 1, 1),
        term_ends_to=datetime.date(2026, 12, 31),
        by=world["people"]["org"],
    )
    log_in(page, "org", PASSWORD)
    page.goto(f"{page.base_url}{reverse('appraisal:round_close', args=[round_.pk])}")
    assert world["village_a"].name in page.inner_text("[data-testid=without-votes]")
    page.locator("[data-testid=confirm-close]").click()
    # The browser itself holds the form back until the reason and the confirmation are given.
    assert Appraisal.objects.get(dispatch=dispatch).round.is_open
    field = f"no_votes_reason_{Appraisal.objects.get(dispatch=dispatch).pk}"
    page.fill(f"textarea[name={field}]", "村民外出务工,未能召开评议会")
    page.locator("[data-testid=confirm-no-votes]").check()
    screenshot(page, "appraisal-close-without-votes")
    page.locator("[data-testid=confirm-close]").click()
    page.wait_for_load_state("networkidle")
    appraisal = Appraisal.objects.get(dispatch=dispatch)
    assert not appraisal.round.is_open and appraisal.no_votes_reason == "村民外出务工,未能召开评议会"
    page.goto(f"{page.base_url}{reverse('appraisal:round_report', args=[round_.pk])}")
    assert "无村民评议票,原因:村民外出务工,未能召开评议会" in page.inner_text("body")
