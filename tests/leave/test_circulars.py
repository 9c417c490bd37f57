"""Circulars: the org dept issues them naming units; those units, the org dept and the auditor read (R-M6, R-O4)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from leave.models import Circular, CircularKind
from leave.selectors.oversight import circulars_for
from leave.services.oversight import circular_issue
from tests.factories import CountyFactory, UnitFactory
from workflows.models import AuditEvent

D = datetime.date
JUNE_1 = datetime.date(2026, 6, 1)
LIST = reverse("leave:circulars")
NEW = reverse("leave:circular_new")


def _issue(
    w,
    units,
    *,
    by="org",
    title="关于县农业农村局驻村工作指导不力的通报",
    kind=CircularKind.POOR_GUIDANCE,
    body="经明查暗访,该单位对驻村干部指导不力。",
    on=JUNE_1,
):
    return circular_issue(
        county=w["county"], title=title, kind=kind, body=body, issued_on=on, units=units, by=w["people"][by]
    )


@pytest.fixture
def issued(world):
    w = dict(world)
    w["c_a"] = _issue(w, [w["unit_a"]])
    w["c_both"] = _issue(
        w, [w["unit_a"], w["unit_b"]], title="关于两单位工作被动的通报", kind=CircularKind.PASSIVE, on=D(2026, 7, 1)
    )
    return w


# --- The service (R-M6) ---------------------------------------------------------------------------


def test_r_m6_org_dept_issues_a_circular_naming_units_audited(world):
    circular = _issue(world, [world["unit_a"]])
    assert list(circular.units.all()) == [world["unit_a"]]
    assert (circular.kind, circular.issued_on, circular.issued_by) == (
        CircularKind.POOR_GUIDANCE,
        D(2026, 6, 1),
        world["people"]["org"],
    )
    event = AuditEvent.objects.get(action="circular.issue")
    assert event.data["units"] == ["县农业农村局"] and event.county_id == world["county"].pk


@pytest.mark.parametrize("who", ["auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_only_the_org_dept_issues_circulars(world, who):
    with pytest.raises(PermissionDenied):
        _issue(world, [world["unit_a"]], by=who)
    assert not Circular.objects.exists()
    assert AuditEvent.objects.filter(action="circular.issue.refused").exists()


def test_r_m6_a_circular_names_at_least_one_unit_of_the_county(world):
    with pytest.raises(ValidationError, match="至少选择一个"):
        _issue(world, [])
    stranger = UnitFactory(county=CountyFactory(code="410526", name="滑县"), name="滑县教育局")
    with pytest.raises(ValidationError, match="本县的单位"):
        _issue(world, [world["unit_a"], stranger])
    assert not Circular.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": " "}, "标题"),
        ({"body": ""}, "正文"),
        ({"kind": "praise"}, "类别"),
        ({"on": "tomorrow"}, "不能晚于今天"),
    ],
)
def test_r_m6_a_circular_needs_title_body_kind_and_a_date_not_in_the_future(world, change, message):
    if change.get("on") == "tomorrow":
        change["on"] = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match=message):
        _issue(world, [world["unit_a"]], **change)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("org", ["c_both", "c_a"]),
        ("auditor", ["c_both", "c_a"]),
        ("head_a", ["c_both", "c_a"]),
        ("deputy_a", ["c_both", "c_a"]),
        ("head_b", ["c_both"]),
        ("town_a", []),
        ("cadre_a", []),
        ("outsider", []),
    ],
)
def test_r_m6_circulars_are_read_by_the_named_units_the_org_dept_and_the_auditor(issued, who, expected):
    assert list(circulars_for(issued["people"][who])) == [issued[key] for key in expected]


# --- Pages (R-M6, R-O4) ---------------------------------------------------------------------------


def test_r_m6_a_named_unit_sees_its_circulars_and_not_the_others(client, issued):
    client.force_login(issued["people"]["head_b"])
    response = client.get(LIST)
    assert response.status_code == 200
    assert list(response.context["circulars"]) == [issued["c_both"]]
    page = response.content.decode()
    assert "关于两单位工作被动的通报" in page and "指导不力的通报" not in page
    assert client.get(reverse("leave:circular", args=[issued["c_both"].pk])).status_code == 200
    assert client.get(reverse("leave:circular", args=[issued["c_a"].pk])).status_code == 403
    assert client.get(reverse("leave:circular", args=[999999])).status_code == 404
    assert response.context["can_issue"] is False and NEW not in page


@pytest.mark.parametrize("who", ["org", "auditor"])
def test_r_m6_org_dept_and_auditor_see_every_circular(client, issued, who):
    client.force_login(issued["people"][who])
    response = client.get(LIST)
    assert response.status_code == 200 and len(response.context["circulars"]) == 2
    detail = client.get(reverse("leave:circular", args=[issued["c_a"].pk]))
    assert detail.status_code == 200
    page = detail.content.decode()
    for text in ("关于县农业农村局驻村工作指导不力的通报", "指导不力", "2026-06-01", "县农业农村局", "经明查暗访"):
        assert text in page, text


@pytest.mark.parametrize("who", ["town_a", "cadre_a", "outsider"])
def test_r_o4_townships_cadres_and_outsiders_cannot_open_circulars(client, issued, who):
    client.force_login(issued["people"][who])
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("leave:circular", args=[issued["c_a"].pk])).status_code == 403
    assert client.get(NEW).status_code == 403


def test_r_m6_org_dept_issues_a_circular_through_the_page(client, world):
    client.force_login(world["people"]["org"])
    response = client.get(NEW)
    assert response.status_code == 200
    assert list(response.context["form"].fields["units"].queryset) == [world["unit_a"], world["unit_b"]]
    response = client.post(
        NEW,
        {
            "title": "关于县教育局工作被动的通报",
            "kind": CircularKind.PASSIVE,
            "issued_on": "2026-06-15",
            "units": [world["unit_b"].pk],
            "body": "县教育局对驻村干部管理工作被动应付。",
        },
    )
    circular = Circular.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("leave:circular", args=[circular.pk])
    assert list(circular.units.all()) == [world["unit_b"]]
    page = client.get(response["Location"]).content.decode()
    assert "已印发通报" in page and "县教育局对驻村干部管理工作被动应付" in page


def test_r_m6_the_issue_form_shows_what_is_missing(client, world):
    client.force_login(world["people"]["org"])
    response = client.post(
        NEW, {"title": "通报", "kind": CircularKind.PASSIVE, "issued_on": "2026-06-15", "body": "正文"}
    )
    assert response.status_code == 200 and "请至少选择一个被通报的单位" in response.content.decode()
    assert not Circular.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "head_a", "deputy_a"])
def test_r_o4_only_the_org_dept_opens_the_issue_form(client, world, who):
    client.force_login(world["people"][who])
    assert client.get(NEW).status_code == 403
    response = client.post(
        NEW,
        {
            "title": "通报",
            "kind": CircularKind.PASSIVE,
            "issued_on": "2026-06-15",
            "units": [world["unit_a"].pk],
            "body": "正文",
        },
    )
    assert response.status_code == 403
    assert not Circular.objects.exists()


def test_r_o4_circular_pages_send_anonymous_to_sign_in(client, world):
    for url in (LIST, NEW):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
