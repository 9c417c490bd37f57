"""Recurring duties on the home page: unfilled days, months to confirm, leaders' visits, each in its tier.

R-M2a (the cadre fills the days, the township confirms the month), R-M5 (the unit's leaders' visits), R-O4.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from leave import duties
from leave.ledger import ledger_write
from leave.models import AttendanceMonth, DaySource, DayStatus
from leave.services.oversight import visit_record
from tests.dispatch.test_team import stationed
from workflows.duties import duties_for

D = datetime.date
HOME = reverse("home:index")


@pytest.fixture
def w(world):
    """cadre_a (unit_a) stationed in 东官庄村 (town_a) and cadre_b (unit_b) in 西街村 (town_b) from 2026-03-05."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    return w


def _fill(dispatch, first, last, by=None):
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    ledger_write(dispatch=dispatch, statuses=dict.fromkeys(days, DayStatus.IN_VILLAGE), source=DaySource.CADRE, by=by)


def _confirm(dispatch, month, by):
    row, _ = AttendanceMonth.objects.get_or_create(dispatch=dispatch, month=month)
    row.confirm(by=by, on=timezone.now())
    row.save()


def _shown(duty):
    return duty.subject, duty.detail


# --- The cadre's unfilled days ------------------------------------------------------------------------


def test_cadre_sees_own_unfilled_past_days_per_month_linking_to_the_fill_page_r_m2a(client, w):
    p = w["people"]
    _fill(w["d_a"], D(2026, 3, 5), D(2026, 3, 20), by=p["cadre_a"])
    found = duties.unfilled_days(p["cadre_a"], D(2026, 4, 10))
    assert [_shown(d) for d in found] == [
        ("2026年3月", "今天以前有 11 天未填报"),
        ("2026年4月", "今天以前有 9 天未填报"),
    ]  # today not counted
    assert [d.url for d in found] == [
        reverse("leave:calendar") + "?month=2026-03",
        reverse("leave:calendar") + "?month=2026-04",
    ]
    client.force_login(p["cadre_a"])
    response = client.get(found[0].url)
    assert response.status_code == 200 and response.context["month"] == D(2026, 3, 1)


def test_unfilled_days_leave_out_filled_and_confirmed_months_and_days_before_the_term_r_m2a(w):
    p = w["people"]
    assert duties.unfilled_days(p["cadre_a"], D(2026, 3, 5)) == []  # the first day is not over yet
    _fill(w["d_a"], D(2026, 4, 1), D(2026, 4, 30))
    _confirm(w["d_a"], D(2026, 3, 1), p["town_a"])  # locked for the cadre: the township's duty now
    assert [_shown(d) for d in duties.unfilled_days(p["cadre_a"], D(2026, 5, 3))] == [
        ("2026年5月", "今天以前有 2 天未填报")
    ]


def test_unfilled_days_are_the_cadres_own_only_r_o4(w):
    p = w["people"]
    _fill(w["d_b"], D(2026, 3, 5), D(2026, 4, 9))
    assert duties.unfilled_days(p["cadre_b"], D(2026, 4, 10)) == []
    assert len(duties.unfilled_days(p["cadre_a"], D(2026, 4, 10))) == 2
    for role in ("town_a", "head_a", "org", "auditor", "outsider"):
        assert duties.unfilled_days(p[role], D(2026, 4, 10)) == [], role


# --- The township's months to confirm -----------------------------------------------------------------


def test_township_sees_each_past_month_awaiting_confirmation_linking_to_its_confirm_page_r_m2a(client, w):
    p = w["people"]
    found = duties.months_to_confirm(p["town_a"], D(2026, 5, 10))
    assert [_shown(d) for d in found] == [
        ("菜园镇 · 2026年3月", "1 名干部的考勤待确认"),
        ("菜园镇 · 2026年4月", "1 名干部的考勤待确认"),
    ]  # May is not over
    assert found[0].url == f"{reverse('leave:grid')}?township={w['town_a'].pk}&month=2026-03"
    client.force_login(p["town_a"])
    response = client.get(found[0].url)
    assert response.status_code == 200 and response.context["township"] == w["town_a"]
    _confirm(w["d_a"], D(2026, 3, 1), p["town_a"])
    assert [d.subject for d in duties.months_to_confirm(p["town_a"], D(2026, 5, 10))] == ["菜园镇 · 2026年4月"]


def test_township_sees_only_its_own_months_to_confirm_r_o4(w):
    p = w["people"]
    assert [d.subject for d in duties.months_to_confirm(p["town_b"], D(2026, 4, 10))] == ["宜沟镇 · 2026年3月"]
    _confirm(w["d_b"], D(2026, 3, 1), p["town_b"])
    assert duties.months_to_confirm(p["town_b"], D(2026, 4, 10)) == []
    assert len(duties.months_to_confirm(p["town_a"], D(2026, 4, 10))) == 1
    for role in ("cadre_a", "head_a", "org", "auditor", "outsider"):
        assert duties.months_to_confirm(p[role], D(2026, 4, 10)) == [], role


# --- The unit's leaders' visits -----------------------------------------------------------------------


def test_unit_sees_its_overdue_and_due_leaders_visits_linking_to_the_visit_page_r_m5(client, w):
    p = w["people"]
    found = duties.visits_due(p["head_a"], D(2026, 11, 26))
    # The deputy's first half-year (to 2026-09-04) passed without a visit; the head's term window is not due yet.
    assert [_shown(d) for d in found] == [("李卫东(菜园镇 · 东官庄村)", "分管领导应于 2026-09-04 前调研,已逾期 83 天")]
    assert found[0].url == f"{reverse('leave:visits')}?unit={w['unit_a'].pk}"
    client.force_login(p["head_a"])
    assert client.get(found[0].url).status_code == 200
    assert [d.detail for d in duties.visits_due(p["deputy_a"], D(2026, 11, 26))] == [found[0].detail]

    visit_record(dispatch=w["d_a"], visitor=p["deputy_a"], visited_on=D(2026, 8, 1), notes="听取汇报", by=p["deputy_a"])
    assert duties.visits_due(p["head_a"], D(2026, 11, 26)) == []
    soon = duties.visits_due(p["head_a"], D(2027, 2, 10))  # within VISIT_WARNING_DAYS of both windows' end
    assert sorted(d.detail for d in soon) == [
        "主要领导尚未调研,须于 2027-03-04 前完成(还剩 22 天)",
        "分管领导尚未调研,须于 2027-03-04 前完成(还剩 22 天)",
    ]


def test_unit_sees_only_its_own_cadres_visits_r_o4(w):
    p = w["people"]
    assert [d.subject for d in duties.visits_due(p["head_b"], D(2026, 11, 26))] == ["王秀英(宜沟镇 · 西街村)"]
    for role in ("cadre_a", "town_a", "org", "auditor", "outsider"):
        assert duties.visits_due(p[role], D(2026, 11, 26)) == [], role


# --- The home page ---------------------------------------------------------------------------------------


def test_home_page_lists_the_users_duties_beside_the_tasks_in_their_tier_r_o4(client, w):
    p = w["people"]
    client.force_login(p["town_b"])
    page = client.get(HOME).content.decode()
    assert 'data-testid="duties"' in page and "宜沟镇 · 2026年3月" in page and "菜园镇" not in page
    assert f"township={w['town_b'].pk}&amp;month=2026-10" in page
    client.force_login(p["cadre_a"])
    page = client.get(HOME).content.decode()
    assert 'data-duty="unfilled_days"' in page and 'data-duty="month_to_confirm"' not in page
    client.force_login(p["outsider"])
    assert 'data-testid="duties"' not in client.get(HOME).content.decode()


def test_duties_are_asked_of_every_registered_provider_and_none_for_anonymous(w):
    from django.contrib.auth.models import AnonymousUser

    p = w["people"]
    kinds = {d.kind for d in duties_for(p["head_a"], today=D(2026, 11, 26))}
    assert kinds == {"visit_due"}
    assert {d.kind for d in duties_for(p["cadre_a"], today=D(2026, 11, 26))} == {"unfilled_days"}
    assert duties_for(AnonymousUser(), today=D(2026, 11, 26)) == []
