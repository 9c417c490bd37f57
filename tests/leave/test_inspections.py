"""Inspections: the org dept records who was found present or absent; an absence is absent that day (R-M6, R-M3)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Pairing
from leave.ledger import ledger_write
from leave.models import (
    AttendanceDay,
    AttendanceMonth,
    DaySource,
    DayStatus,
    Inspection,
    InspectionFinding,
    InspectionKind,
    LeaveRequest,
    LeaveState,
    MonthState,
)
from leave.services.oversight import inspection_record
from tests.dispatch.test_team import stationed
from tests.factories import (
    CadreFactory,
    CountyFactory,
    TownshipFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    appoint,
)
from workflows.models import AuditEvent, Role

D = datetime.date
WORKDAY = D(2026, 4, 8)  # a Wednesday
SATURDAY = D(2026, 4, 11)
LIST = reverse("leave:inspections")
NEW = reverse("leave:inspection_new")


@pytest.fixture
def ins(world):
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"], on=D(2026, 3, 5))
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"], on=D(2026, 3, 5))
    w["d_b"] = stationed(w["cadre_b"], w["village_b"], on=D(2026, 3, 5))
    return w


def _record(w, findings, *, on=WORKDAY, by="org", kind=InspectionKind.UNANNOUNCED):
    return inspection_record(
        county=w["county"], kind=kind, inspected_on=on, notes="暗访菜园镇", findings=findings, by=w["people"][by]
    )


def _day(dispatch, on=WORKDAY):
    return AttendanceDay.objects.filter(dispatch=dispatch, date=on).first()


# --- The service (R-M6, R-M3) ---------------------------------------------------------------------


def test_r_m3_r_m6_an_absence_found_is_absent_in_the_ledger_with_source_inspection(ins):
    inspection = _record(ins, [(ins["d_a"], False, "村委会和住处均未见本人"), (ins["d_plain"], True, "")])
    assert inspection.kind == InspectionKind.UNANNOUNCED and inspection.recorded_by == ins["people"]["org"]
    findings = {f.dispatch_id: f.present for f in InspectionFinding.objects.filter(inspection=inspection)}
    assert findings == {ins["d_a"].pk: False, ins["d_plain"].pk: True}
    day = _day(ins["d_a"])
    assert (day.status, day.source) == (DayStatus.ABSENT, DaySource.INSPECTION)
    assert inspection.ledger_written == [ins["d_a"].pk] and inspection.ledger_skipped == {}


def test_r_m6_present_findings_write_nothing_to_the_ledger(ins):
    _record(ins, [(ins["d_a"], True, ""), (ins["d_plain"], True, "在村部整理台账")])
    assert not AttendanceDay.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["attendance.write", "inspection.absent"]).exists()


def test_r_m6_the_finding_overrides_the_cadres_own_entry_and_is_audited_from_to(ins):
    ledger_write(
        dispatch=ins["d_a"],
        statuses={WORKDAY: DayStatus.IN_VILLAGE},
        source=DaySource.CADRE,
        by=ins["people"]["cadre_a"],
    )
    _record(ins, [(ins["d_a"], False, "未在村")])
    assert (_day(ins["d_a"]).status, _day(ins["d_a"]).source) == (DayStatus.ABSENT, DaySource.INSPECTION)
    event = AuditEvent.objects.get(action="inspection.absent")
    assert (event.from_state, event.to_state, event.actor) == ("in_village", "absent", ins["people"]["org"])
    assert "未在村" in event.reason and event.township_id == ins["town_a"].pk
    write = AuditEvent.objects.filter(action="attendance.write").latest("seq")
    assert write.data["source"] == "inspection"
    assert write.data["changed"] == [{"date": "2026-04-08", "from": "in_village", "to": "absent"}]
    recorded = AuditEvent.objects.get(action="inspection.record")
    assert recorded.data["absent"] == ["李卫东"] and recorded.county_id == ins["county"].pk


def test_r_m6_an_inspection_overrides_even_a_month_the_township_confirmed(ins):
    ledger_write(
        dispatch=ins["d_a"],
        statuses={WORKDAY: DayStatus.IN_VILLAGE},
        source=DaySource.CADRE,
        by=ins["people"]["cadre_a"],
    )
    month, _ = AttendanceMonth.objects.get_or_create(dispatch=ins["d_a"], month=D(2026, 4, 1))
    month.confirm(by=ins["people"]["town_a"], on=timezone.now())
    month.save()
    assert AttendanceMonth.objects.get(pk=month.pk).state == MonthState.CONFIRMED
    with pytest.raises(ValidationError):  # the ordinary write path is locked
        ledger_write(
            dispatch=ins["d_a"],
            statuses={WORKDAY: DayStatus.ABSENT},
            source=DaySource.TOWNSHIP,
            by=ins["people"]["town_a"],
        )
    _record(ins, [(ins["d_a"], False, "暗访未见本人")])
    assert _day(ins["d_a"]).status == DayStatus.ABSENT
    assert AuditEvent.objects.get(action="inspection.absent").from_state == "in_village"


def test_r_m3_approved_leave_or_a_rest_day_is_not_an_absence(ins):
    LeaveRequest.objects.create(
        dispatch=ins["d_a"], starts_on=WORKDAY, ends_on=WORKDAY, days=1, reason="就医", state=LeaveState.APPROVED
    )
    inspection = _record(ins, [(ins["d_a"], False, "请假外出"), (ins["d_plain"], False, "不在村")])
    assert _day(ins["d_a"]) is None and _day(ins["d_plain"]).status == DayStatus.ABSENT
    assert list(inspection.ledger_skipped) == [ins["d_a"].pk]
    weekend = _record(ins, [(ins["d_a"], False, "周六不在村")], on=SATURDAY)
    assert _day(ins["d_a"], SATURDAY) is None and list(weekend.ledger_skipped) == [ins["d_a"].pk]
    assert InspectionFinding.objects.filter(present=False).count() == 3  # the findings are kept all the same


def test_r_m3_leave_already_in_the_ledger_is_kept(ins):
    ledger_write(
        dispatch=ins["d_a"], statuses={WORKDAY: DayStatus.LEAVE}, source=DaySource.LEAVE, by=ins["people"]["town_a"]
    )
    _record(ins, [(ins["d_a"], False, "请假")])
    assert _day(ins["d_a"]).status == DayStatus.LEAVE


def test_r_m6_a_cadre_not_stationed_on_that_date_is_refused_and_nothing_is_recorded(ins):
    with pytest.raises(ValidationError, match="不在本县驻村"):
        _record(ins, [(ins["d_plain"], True, ""), (ins["d_a"], False, "未见")], on=D(2026, 3, 4))
    assert not Inspection.objects.exists() and not AttendanceDay.objects.exists()


def test_r_m6_a_cadre_stationed_in_another_county_is_refused(ins):
    other = CountyFactory(code="410526", name="滑县")
    unit = UnitFactory(county=other, name="滑县农业农村局")
    village = VillageFactory(township=TownshipFactory(county=other, name="道口镇"), name="北街村")
    for user, role, tier in [
        (UserFactory(username="o_head"), Role.UNIT_HEAD, unit),
        (UserFactory(username="o_org"), Role.ORG_DEPT, other),
        (UserFactory(username="o_town"), Role.TOWNSHIP_COMMITTEE, village.township),
    ]:
        appoint(user, role, tier)
    Pairing.objects.create(unit=unit, village=village, year=2026)
    foreign = stationed(CadreFactory(unit=unit), village, on=D(2026, 3, 5))
    with pytest.raises(ValidationError, match="不在本县驻村"):
        _record(ins, [(foreign, False, "未见")])


@pytest.mark.parametrize(
    ("findings", "message"),
    [
        ([], "至少登记一名"),
        ("absent-without-note", "不在岗的情况"),
        ("twice", "重复登记"),
    ],
)
def test_r_m6_findings_need_one_cadre_once_and_a_note_for_an_absence(ins, findings, message):
    if findings == "absent-without-note":
        findings = [(ins["d_a"], False, " ")]
    elif findings == "twice":
        findings = [(ins["d_a"], True, ""), (ins["d_a"], False, "未见")]
    with pytest.raises(ValidationError, match=message):
        _record(ins, findings)
    assert not Inspection.objects.exists()


def test_r_m6_an_inspection_cannot_be_dated_in_the_future(ins):
    with pytest.raises(ValidationError, match="不能晚于今天"):
        _record(ins, [(ins["d_a"], True, "")], on=timezone.localdate() + datetime.timedelta(days=1))


@pytest.mark.parametrize("who", ["auditor", "head_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_only_the_org_dept_records_inspections(ins, who):
    with pytest.raises(PermissionDenied):
        _record(ins, [(ins["d_a"], False, "未见")], by=who)
    assert not Inspection.objects.exists() and not AttendanceDay.objects.exists()
    assert AuditEvent.objects.filter(action="inspection.record.refused").exists()


# --- Pages (R-M6, R-O4) ---------------------------------------------------------------------------


def _post_data(ins, **findings):
    data = {"kind": InspectionKind.UNANNOUNCED, "inspected_on": "2026-04-08", "notes": "暗访"}
    for key, (finding, note) in findings.items():
        data[f"finding_{ins[key].pk}"], data[f"note_{ins[key].pk}"] = finding, note
    return data


def test_r_m6_org_dept_records_an_inspection_through_the_page(client, ins):
    client.force_login(ins["people"]["org"])
    url = f"{NEW}?township={ins['town_a'].pk}"
    response = client.get(url)
    assert response.status_code == 200
    assert [d.pk for d in response.context["form"].dispatches] == [ins["d_a"].pk, ins["d_plain"].pk]
    assert "王秀英" not in response.content.decode()  # stationed in another township
    response = client.post(url, _post_data(ins, d_a=("absent", "住处无人"), d_plain=("present", "")))
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("leave:inspection", args=[inspection.pk])
    assert _day(ins["d_a"]).status == DayStatus.ABSENT
    page = client.get(response["Location"]).content.decode()
    for text in ("暗访", "李卫东", "不在岗", "住处无人", "缺勤", "明查暗访", "赵普通", "在岗"):
        assert text in page, text
    listing = client.get(LIST)
    assert listing.status_code == 200 and [i.pk for i in listing.context["inspections"]] == [inspection.pk]
    assert (listing.context["inspections"][0].n_present, listing.context["inspections"][0].n_absent) == (1, 1)


def test_r_m6_an_unmarked_cadre_is_left_out_and_a_refusal_shows_on_the_form(client, ins):
    client.force_login(ins["people"]["org"])
    url = f"{NEW}?township={ins['town_a'].pk}"
    response = client.post(url, _post_data(ins, d_a=("absent", ""), d_plain=("", "")))
    assert response.status_code == 200 and "不在岗的情况" in response.content.decode()
    response = client.post(url, _post_data(ins, d_a=("", ""), d_plain=("", "")))
    assert response.status_code == 200 and "至少登记一名" in response.content.decode()
    assert not Inspection.objects.exists()
    client.post(url, _post_data(ins, d_plain=("present", "")))
    assert list(InspectionFinding.objects.values_list("dispatch_id", flat=True)) == [ins["d_plain"].pk]


def test_r_o4_auditor_reads_inspections_but_cannot_record(client, ins):
    inspection = _record(ins, [(ins["d_a"], True, "")])
    client.force_login(ins["people"]["auditor"])
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("leave:inspection", args=[inspection.pk])).status_code == 200
    assert client.get(NEW).status_code == 403
    response = client.post(f"{NEW}?township={ins['town_a'].pk}", _post_data(ins, d_a=("absent", "未见")))
    assert response.status_code == 403
    assert Inspection.objects.count() == 1 and not AttendanceDay.objects.exists()


@pytest.mark.parametrize("who", ["head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_inspection_pages_are_the_county_tiers(client, ins, who):
    inspection = _record(ins, [(ins["d_a"], True, "")])
    client.force_login(ins["people"][who])
    for url in (LIST, NEW, reverse("leave:inspection", args=[inspection.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{NEW}?township={ins['town_a'].pk}", _post_data(ins, d_a=("absent", "x"))).status_code == 403


def test_r_o4_inspection_pages_send_anonymous_to_sign_in(client, ins):
    for url in (LIST, NEW):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
