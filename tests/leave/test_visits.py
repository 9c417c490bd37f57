"""Unit leaders' visits: who records them, the head's and deputy's windows, due and missing, pages (R-M5, R-O4)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dispatch import services as dispatch_services
from dispatch.models import Pairing
from leave.models import Visit, VisitorRole
from leave.selectors.oversight import WindowStatus, deputy_windows, head_window, visit_board, visits_flagged
from leave.services.oversight import visit_record
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.models import AuditEvent, Post, Role
from workflows.services import post_end

D = datetime.date
STATIONED_ON = D(2026, 3, 5)
VISITS = reverse("leave:visits")
OVERVIEW = reverse("leave:visits_overview")


@pytest.fixture
def ov(world):
    """cadre_a (unit_a) stationed in village_a and cadre_b (unit_b) in village_b, both on 2026-03-05."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"], on=STATIONED_ON)
    w["d_b"] = stationed(w["cadre_b"], w["village_b"], on=STATIONED_ON)
    return w


@pytest.fixture
def today_is(monkeypatch):
    """Fix the local date the pages and services read as today."""

    def fix(day: datetime.date) -> datetime.date:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        return day

    return fix


def _policy(settings, **changes):
    settings.POLICY = {**settings.POLICY, **changes}


def _visit(w, who: str, on: datetime.date, dispatch="d_a", by=None) -> Visit:
    people = w["people"]
    return visit_record(
        dispatch=w[dispatch], visitor=people[who], visited_on=on, notes="听取汇报,查看台账", by=people[by or who]
    )


def _windows(w, on, role=None, dispatch="d_a"):
    unit = w[dispatch].unit
    row = next(r for r in visit_board(unit=unit, on=on) if r.dispatch.pk == w[dispatch].pk)
    return [win for win in row.windows if role is None or win.role == role]


# --- Recording (R-M5, R-O4) -----------------------------------------------------------------------


def test_r_m5_unit_head_records_own_visit_to_own_cadre_audited(ov):
    visit = _visit(ov, "head_a", D(2026, 4, 1))
    assert (visit.visitor_role, visit.visited_on, visit.dispatch_id) == (VisitorRole.HEAD, D(2026, 4, 1), ov["d_a"].pk)
    event = AuditEvent.objects.get(action="visit.record")
    assert (event.actor, event.unit_id, event.data["role"]) == (ov["people"]["head_a"], ov["unit_a"].pk, "head")


def test_r_m5_deputy_visit_is_recorded_as_the_deputys_and_the_head_may_record_it(ov):
    visit = _visit(ov, "deputy_a", D(2026, 5, 20), by="head_a")
    assert visit.visitor_role == VisitorRole.DEPUTY


@pytest.mark.parametrize("who", ["head_b", "org", "auditor", "town_a", "cadre_a", "outsider"])
def test_r_o4_only_the_cadres_own_unit_records_a_visit(ov, who):
    with pytest.raises(PermissionDenied):
        _visit(ov, "head_a", D(2026, 4, 1), by=who)
    assert not Visit.objects.exists()
    assert AuditEvent.objects.filter(action="visit.record.refused").exists()


@pytest.mark.parametrize("visitor", ["head_b", "org", "town_a", "cadre_a"])
def test_r_m5_the_visitor_must_be_the_units_head_or_deputy(ov, visitor):
    with pytest.raises(ValidationError, match="主要领导或分管领导"):
        _visit(ov, visitor, D(2026, 4, 1), by="head_a")
    assert not Visit.objects.exists()


def test_r_m5_a_former_deputy_is_no_longer_a_visitor(ov):
    post = Post.objects.active().get(user=ov["people"]["deputy_a"], role=Role.UNIT_DEPUTY)
    post_end(post=post, by=ov["people"]["org"], reason="调任")
    with pytest.raises(ValidationError, match="主要领导或分管领导"):
        _visit(ov, "deputy_a", D(2026, 4, 1), by="head_a")


def test_r_m5_visit_date_must_be_within_the_term_and_not_in_the_future(ov, today_is):
    today_is(D(2026, 6, 30))
    with pytest.raises(ValidationError, match="驻村期内"):
        _visit(ov, "head_a", D(2026, 3, 4))
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _visit(ov, "head_a", D(2026, 7, 1))
    assert _visit(ov, "head_a", D(2026, 6, 30)).visited_on == D(2026, 6, 30)
    assert _visit(ov, "head_a", STATIONED_ON).visited_on == STATIONED_ON


def test_r_m5_notes_are_required_and_a_visit_is_not_recorded_twice(ov):
    people = ov["people"]
    with pytest.raises(ValidationError, match="调研指导"):
        visit_record(
            dispatch=ov["d_a"], visitor=people["head_a"], visited_on=D(2026, 4, 1), notes="  ", by=people["head_a"]
        )
    _visit(ov, "head_a", D(2026, 4, 1))
    with pytest.raises(ValidationError, match="已经登记"):
        _visit(ov, "head_a", D(2026, 4, 1))
    assert Visit.objects.count() == 1


def test_r_m5_no_visit_before_the_cadre_is_stationed(world):
    head = world["people"]["head_a"]
    nominated = dispatch_services.dispatch_nominate(
        cadre=world["plain_a"], village=world["village_a2"], by=head, year=2026
    )
    with pytest.raises(ValidationError, match="尚未到村"):
        visit_record(dispatch=nominated, visitor=head, visited_on=D(2026, 4, 1), notes="调研", by=head)


# --- Windows (R-M5) -------------------------------------------------------------------------------


def test_r_m5_head_window_is_the_whole_term_and_deputy_windows_are_half_years():
    assert head_window(STATIONED_ON, D(2027, 3, 4)) == (STATIONED_ON, D(2027, 3, 4))
    assert deputy_windows(STATIONED_ON, D(2027, 3, 4)) == [
        (D(2026, 3, 5), D(2026, 9, 4)),
        (D(2026, 9, 5), D(2027, 3, 4)),
    ]


def test_r_m5_deputy_windows_follow_the_setting_and_the_last_is_clipped_at_term_end(settings):
    _policy(settings, DEPUTY_VISIT_INTERVAL_MONTHS=5)
    assert deputy_windows(STATIONED_ON, D(2027, 3, 4)) == [
        (D(2026, 3, 5), D(2026, 8, 4)),
        (D(2026, 8, 5), D(2027, 1, 4)),
        (D(2027, 1, 5), D(2027, 3, 4)),
    ]
    _policy(settings, DEPUTY_VISIT_INTERVAL_MONTHS=4)
    assert deputy_windows(STATIONED_ON, D(2027, 3, 4)) == [
        (D(2026, 3, 5), D(2026, 7, 4)),
        (D(2026, 7, 5), D(2026, 11, 4)),
        (D(2026, 11, 5), D(2027, 3, 4)),
    ]


def test_r_m5_a_stationed_cadre_has_one_head_window_and_two_deputy_windows(ov):
    windows = _windows(ov, D(2026, 4, 1))
    assert [(w.role, w.starts_on, w.ends_on, w.status) for w in windows] == [
        ("head", D(2026, 3, 5), D(2027, 3, 4), WindowStatus.OPEN),
        ("deputy", D(2026, 3, 5), D(2026, 9, 4), WindowStatus.OPEN),
        ("deputy", D(2026, 9, 5), D(2027, 3, 4), WindowStatus.UPCOMING),
    ]


@pytest.mark.parametrize(
    ("on", "status", "days_left"),
    [
        (D(2026, 8, 4), WindowStatus.OPEN, 31),
        (D(2026, 8, 5), WindowStatus.DUE, 30),
        (D(2026, 9, 4), WindowStatus.DUE, 0),
        (D(2026, 9, 5), WindowStatus.MISSING, -1),
    ],
)
def test_r_m5_deputy_window_is_due_within_the_warning_days_and_missing_once_closed(ov, on, status, days_left):
    first = _windows(ov, on, "deputy")[0]
    assert (first.status, first.days_left) == (status, days_left)


@pytest.mark.parametrize(
    ("on", "status"),
    [
        (D(2027, 2, 1), WindowStatus.OPEN),
        (D(2027, 2, 2), WindowStatus.DUE),
        (D(2027, 3, 4), WindowStatus.DUE),
        (D(2027, 3, 5), WindowStatus.MISSING),
    ],
)
def test_r_m5_head_window_is_due_30_days_before_term_end_and_missing_after(ov, on, status):
    assert _windows(ov, on, "head")[0].status == status


def test_r_m5_a_deputy_visit_fills_its_own_half_year_only(ov):
    _visit(ov, "deputy_a", D(2026, 6, 1))
    first, second = _windows(ov, D(2026, 9, 5), "deputy")
    assert first.status == WindowStatus.VISITED and [v.visited_on for v in first.visits] == [D(2026, 6, 1)]
    assert second.status == WindowStatus.OPEN
    assert _windows(ov, D(2027, 3, 5), "deputy")[1].status == WindowStatus.MISSING


def test_r_m5_the_heads_visit_does_not_stand_in_for_the_deputys(ov):
    _visit(ov, "head_a", D(2026, 6, 1))
    head, first, _second = _windows(ov, D(2026, 9, 5))
    assert head.status == WindowStatus.VISITED
    assert first.status == WindowStatus.MISSING


def test_r_m5_a_visit_after_the_day_asked_about_is_not_counted(ov):
    _visit(ov, "deputy_a", D(2026, 9, 1))
    assert _windows(ov, D(2026, 8, 20), "deputy")[0].status == WindowStatus.DUE
    assert _windows(ov, D(2026, 9, 1), "deputy")[0].status == WindowStatus.VISITED


def test_r_m5_head_visits_per_term_and_warning_days_are_settings(ov, settings):
    _policy(settings, UNIT_HEAD_MIN_VISITS_PER_TERM=2, VISIT_WARNING_DAYS=10)
    _visit(ov, "head_a", D(2026, 4, 1))
    assert _windows(ov, D(2026, 6, 1), "head")[0].status == WindowStatus.OPEN
    assert _windows(ov, D(2026, 8, 5), "deputy")[0].status == WindowStatus.OPEN
    assert _windows(ov, D(2026, 8, 25), "deputy")[0].status == WindowStatus.DUE
    _visit(ov, "head_a", D(2026, 5, 1))
    assert _windows(ov, D(2026, 6, 1), "head")[0].status == WindowStatus.VISITED


def test_r_m5_flagged_lists_due_and_missing_by_unit_and_county(ov):
    _visit(ov, "deputy_a", D(2026, 6, 1))
    on = D(2026, 9, 5)
    county_rows = visits_flagged(county=ov["county"], on=on)
    assert [r.dispatch.pk for r in county_rows] == [ov["d_b"].pk]  # unit_b's deputy never came
    assert [(w.role, w.status) for w in county_rows[0].flagged] == [("deputy", WindowStatus.MISSING)]
    assert visits_flagged(unit=ov["unit_a"], on=on) == []
    assert [r.dispatch.pk for r in visits_flagged(unit=ov["unit_b"], on=on)] == [ov["d_b"].pk]
    assert visits_flagged(county=ov["county"], on=D(2026, 5, 1)) == []


def _more_stationed(w, n: int) -> None:
    for i in range(n):
        village = VillageFactory(township=w["town_a"], name=f"新村{i}")
        Pairing.objects.create(unit=w["unit_a"], village=village, year=2026)
        stationed(
            CadreFactory(unit=w["unit_a"], user=UserFactory(username=f"extra{i}", name=f"干部{i}")),
            village,
            on=STATIONED_ON,
        )


def _count(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx.captured_queries)


def test_r_m5_the_board_takes_the_same_two_queries_for_2_and_10_cadres(ov):
    _visit(ov, "deputy_a", D(2026, 6, 1))

    def board():
        return visit_board(county=ov["county"], on=D(2026, 9, 5))

    assert _count(board) == 2
    _more_stationed(ov, 8)
    assert len(board()) == 10
    assert _count(board) == 2


def test_r_m5_overview_page_query_count_does_not_grow_with_the_cadres(client, ov, today_is):
    today_is(D(2026, 9, 5))
    client.force_login(ov["people"]["org"])
    with CaptureQueriesContext(connection) as two:
        response = client.get(OVERVIEW)
    assert len(response.context["flagged"]) == 2
    _more_stationed(ov, 8)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(OVERVIEW)
    assert len(response.context["flagged"]) == 10
    assert len(ten.captured_queries) == len(two.captured_queries)


# --- Pages (R-M5, R-O4) ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head_a", "deputy_a"])
def test_r_m5_unit_leaders_see_their_cadres_windows_and_the_record_form(client, ov, today_is, who):
    today_is(D(2026, 9, 5))
    _visit(ov, "head_a", D(2026, 4, 1))
    client.force_login(ov["people"][who])
    response = client.get(VISITS)
    assert response.status_code == 200
    page = response.content.decode()
    assert [r.dispatch.pk for r in response.context["rows"]] == [ov["d_a"].pk]
    for text in ("李卫东", "东官庄村", "2026-03-05", "2026-09-04", "已调研", "已逾期", "待调研", "听取汇报"):
        assert text in page, text
    assert "王秀英" not in page
    assert response.context["can_record"] is True and "form" in response.context


def test_r_o4_a_unit_head_cannot_open_another_units_visits(client, ov):
    client.force_login(ov["people"]["head_b"])
    response = client.get(VISITS)
    assert response.status_code == 200 and [r.dispatch.pk for r in response.context["rows"]] == [ov["d_b"].pk]
    assert client.get(f"{VISITS}?unit={ov['unit_a'].pk}").status_code == 403
    assert client.post(f"{VISITS}?unit={ov['unit_a'].pk}", {}).status_code == 403


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_r_o4_org_dept_and_auditor_read_any_units_visits_but_cannot_record(client, ov, who):
    client.force_login(ov["people"][who])
    response = client.get(f"{VISITS}?unit={ov['unit_a'].pk}")
    assert response.status_code == 200 and response.context["can_record"] is False
    assert "form" not in response.context
    response = client.post(
        f"{VISITS}?unit={ov['unit_a'].pk}",
        {"dispatch": ov["d_a"].pk, "visitor": ov["people"]["head_a"].pk, "visited_on": "2026-04-01", "notes": "x"},
    )
    assert response.status_code == 403
    assert not Visit.objects.exists()


@pytest.mark.parametrize("who", ["town_a", "cadre_a", "outsider"])
def test_r_o4_townships_cadres_and_outsiders_cannot_open_the_visit_pages(client, ov, who):
    client.force_login(ov["people"][who])
    assert client.get(VISITS).status_code == 403
    assert client.get(OVERVIEW).status_code == 403


def test_r_o4_anonymous_is_sent_to_sign_in(client, ov):
    for url in (VISITS, OVERVIEW):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_r_m5_the_unit_records_a_visit_through_the_page(client, ov, today_is):
    today_is(D(2026, 6, 30))
    client.force_login(ov["people"]["deputy_a"])
    response = client.post(
        VISITS,
        {
            "dispatch": ov["d_a"].pk,
            "visitor": ov["people"]["deputy_a"].pk,
            "visited_on": "2026-06-12",
            "notes": "听取李卫东汇报,指导村集体经济项目",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.visitor_role, visit.visited_on) == (VisitorRole.DEPUTY, D(2026, 6, 12))
    page = client.get(response["Location"]).content.decode()
    assert "指导村集体经济项目" in page and "已登记" in page


def test_r_m5_a_refused_visit_shows_the_reason_and_records_nothing(client, ov, today_is):
    today_is(D(2026, 6, 30))
    client.force_login(ov["people"]["head_a"])
    response = client.post(
        VISITS,
        {"dispatch": ov["d_a"].pk, "visitor": ov["people"]["head_a"].pk, "visited_on": "2026-03-01", "notes": "调研"},
    )
    assert response.status_code == 200
    assert "驻村期内" in response.content.decode()
    # Another unit's head and cadre are not among the choices.
    response = client.post(
        VISITS,
        {"dispatch": ov["d_b"].pk, "visitor": ov["people"]["head_b"].pk, "visited_on": "2026-04-01", "notes": "调研"},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"dispatch", "visitor"}
    assert not Visit.objects.exists()


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_r_m5_org_dept_and_auditor_see_the_countys_due_and_missing_visits(client, ov, today_is, who):
    today_is(D(2026, 8, 20))
    _visit(ov, "deputy_a", D(2026, 6, 1))
    client.force_login(ov["people"][who])
    response = client.get(OVERVIEW)
    assert response.status_code == 200
    assert [(row.dispatch.pk, w.status) for row, w in response.context["flagged"]] == [(ov["d_b"].pk, WindowStatus.DUE)]
    page = response.content.decode()
    assert "王秀英" in page and "县教育局" in page and "李卫东" not in page
    today_is(D(2026, 9, 5))
    response = client.get(f"{OVERVIEW}?status=missing")
    assert [w.status for _row, w in response.context["flagged"]] == [WindowStatus.MISSING]
    assert response.context["counts"] == {"due": 0, "missing": 1}


@pytest.mark.parametrize("who", ["head_a", "deputy_a", "head_b"])
def test_r_o4_unit_leaders_cannot_open_the_county_overview(client, ov, who):
    client.force_login(ov["people"][who])
    assert client.get(OVERVIEW).status_code == 403


def test_r_m5_window_labels_are_chinese_first():
    assert [str(WindowStatus.LABELS[s]) for s in (WindowStatus.VISITED, WindowStatus.DUE, WindowStatus.MISSING)] == [
        "已调研",
        "待调研",
        "已逾期",
    ]
