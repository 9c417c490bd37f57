"""The review of the audit trail: filters, tier scope, pages, the chain banner, timelines and exports (R-X1, R-O4)."""

import csv
import datetime
import io
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.dispatch.test_team import stationed
from tests.factories import CountyFactory, TownshipFactory, UnitFactory, UserFactory, appoint
from tests.workflows.test_audit import _behind_the_back
from workflows.audit import audit_record, chain_status
from workflows.models import AuditEvent, Role

URL = "/audit/"
DAY1 = datetime.datetime(2026, 3, 2, 9, 30)
DAY2 = datetime.datetime(2026, 3, 9, 15, 0)
DAY3 = datetime.datetime(2026, 3, 16, 23, 50)  # late evening in Beijing, already the 16th in UTC too


@contextmanager
def _at(monkeypatch, moment: datetime.datetime):
    """Record events as if at this local time."""
    aware = timezone.make_aware(moment)
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: aware)
        yield


@pytest.fixture
def trail(two_tiers, monkeypatch):
    """A small trail in 汤阴县 over three days, and one event in another county (内黄县)."""
    t, p = two_tiers, two_tiers["people"]
    other = CountyFactory(code="410527", name="内黄县")
    other_unit = UnitFactory(county=other, name="内黄县财政局")
    TownshipFactory(county=other, name="城关镇")
    other_org = UserFactory(username="org_neihuang", name="内黄组织部赵干事")
    appoint(other_org, Role.ORG_DEPT, other)
    e = {}
    with _at(monkeypatch, DAY1):
        e["reject"] = audit_record(
            action="dispatch.reject",
            actor=p["head_a"],
            obj=t["cadre_a"],
            from_state="nominated",
            to_state="rejected",
            reason="群众反映不好,暂缓选派",
        )
        e["approve_b"] = audit_record(
            action="dispatch.approve", actor=p["head_b"], obj=t["cadre_b"], from_state="nominated", to_state="approved"
        )
    with _at(monkeypatch, DAY2):
        e["station"] = audit_record(
            action="dispatch.station",
            actor=p["town_a"],
            obj=t["village_a"],
            from_state="arranged",
            to_state="stationed",
            data={"on": "2026-03-09"},
        )
        e["refused"] = audit_record(
            action="dispatch.approve.refused",
            actor=p["head_b"],
            obj=t["cadre_a"],
            reason="越权操作被拒绝",
            data={"perm": "approve_nominations"},
        )
    with _at(monkeypatch, DAY3):
        e["policy"] = audit_record(
            action="policy.change",
            actor=None,
            reason="settings.POLICY",
            data={"changed": {"TERM_MONTHS": {"from": 12, "to": 24}}},
        )
        e["other"] = audit_record(
            action="dispatch.reject", actor=other_org, obj=other_unit, reason="群众反映不好,另选他人"
        )
    return {**t, "e": e, "other": other, "other_org": other_org}


def _seqs(response) -> list[int]:
    return [e.seq for e in response.context["events"]]


def _get(client, user, **params):
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


# --- Who may review (R-O4) -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["auditor", "org"])
def test_r_x1_auditor_and_org_dept_review_their_countys_trail(client, trail, role):
    response = _get(client, trail["people"][role])
    seqs = _seqs(response)
    assert trail["e"]["reject"].seq in seqs and trail["e"]["policy"].seq in seqs
    assert seqs == sorted(seqs, reverse=True)


@pytest.mark.parametrize("role", ["head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_nobody_else_may_review_the_trail(client, trail, role):
    client.force_login(trail["people"][role])
    e = trail["e"]["reject"]
    for url in (
        URL,
        f"{URL}?format=xlsx",
        reverse("audit:event", args=[e.pk]),
        reverse("audit:object", args=["workflows.cadre", e.object_id]),
    ):
        assert client.get(url).status_code == 403, url


def test_r_o4_anonymous_is_sent_to_sign_in(client, trail):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_r_o4_another_countys_events_are_not_shown_but_untiered_ones_are(client, trail):
    seqs = _seqs(_get(client, trail["people"]["auditor"]))
    assert trail["e"]["other"].seq not in seqs
    assert trail["e"]["policy"].seq in seqs
    other_seqs = _seqs(_get(client, trail["other_org"]))
    assert trail["e"]["other"].seq in other_seqs and trail["e"]["reject"].seq not in other_seqs
    assert trail["e"]["policy"].seq in other_seqs
    client.force_login(trail["people"]["auditor"])
    assert client.get(reverse("audit:event", args=[trail["e"]["other"].pk])).status_code == 404
    other_unit = reverse("audit:object", args=["workflows.unit", trail["e"]["other"].object_id])
    assert client.get(other_unit).status_code == 404


def test_r_o4_the_auditors_home_shows_only_their_countys_events(client, trail):
    client.force_login(trail["people"]["auditor"])
    response = client.get("/home/")
    section = next(s for s in response.context["sections"] if s["post"].role == Role.AUDITOR)
    assert trail["e"]["other"].pk not in [e.pk for e in section["events"]]
    assert section["event_count"] == AuditEvent.objects.exclude(county=trail["other"]).count()
    assert reverse("audit:index") in response.content.decode()


# --- Filters ---------------------------------------------------------------------------------------------------


def test_r_x1_filter_by_actor_name_or_username(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    by_name = _seqs(_get(client, auditor, actor="赵局长"))
    assert by_name == [e["refused"].seq, e["approve_b"].seq] + [
        ev.seq for ev in AuditEvent.objects.filter(actor__username="head_b", seq__lt=e["reject"].seq).order_by("-seq")
    ]
    assert _seqs(_get(client, auditor, actor="town_a")) == [e["station"].seq]
    system = _seqs(_get(client, auditor, actor="系统"))
    assert e["policy"].seq in system and all(AuditEvent.objects.get(seq=s).actor_id is None for s in system)


def test_r_x1_filter_by_tier(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    town_a = _seqs(_get(client, auditor, township=trail["town_a"].pk))
    assert e["station"].seq in town_a and e["reject"].seq not in town_a
    assert set(town_a) == set(AuditEvent.objects.filter(township=trail["town_a"]).values_list("seq", flat=True))
    unit_a = _seqs(_get(client, auditor, unit=trail["unit_a"].pk))
    assert {e["reject"].seq, e["refused"].seq} <= set(unit_a) and e["approve_b"].seq not in unit_a
    assert set(unit_a) == set(AuditEvent.objects.filter(unit=trail["unit_a"]).values_list("seq", flat=True))


def test_r_x1_a_township_of_another_county_is_not_a_choice(client, trail):
    client.force_login(trail["people"]["auditor"])
    other_unit = trail["e"]["other"].unit
    response = client.get(URL, {"unit": other_unit.pk})
    assert "unit" in response.context["form"].errors


def test_r_x1_filter_by_object_type_and_id_or_by_name(client, trail):
    auditor, e, cadre = trail["people"]["auditor"], trail["e"], trail["cadre_a"]
    response = _get(client, auditor, object_type="workflows.cadre", object_id=str(cadre.pk))
    assert _seqs(response) == [e["refused"].seq, e["reject"].seq]
    assert response.context["one_object_url"] == reverse("audit:object", args=["workflows.cadre", str(cadre.pk)])
    assert _seqs(_get(client, auditor, object="东官庄")) == [e["station"].seq]
    kinds = _seqs(_get(client, auditor, object_type="workflows.cadre"))
    assert kinds == [e["refused"].seq, e["approve_b"].seq, e["reject"].seq]


def test_r_x1_filter_by_action_with_chinese_labels(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    response = _get(client, auditor, action="dispatch.reject")
    assert _seqs(response) == [e["reject"].seq]
    choices = dict(response.context["form"].fields["action"].choices)
    assert choices["dispatch.reject"] == "单位主要领导不同意选派" and choices["policy.change"] == "政策参数变更"
    assert "越权操作被拒绝" in choices["dispatch.approve.refused"]
    assert "单位主要领导不同意选派" in response.content.decode()
    refused = _seqs(_get(client, auditor, action="*.refused"))
    assert refused == [e["refused"].seq]


def test_r_x1_filter_by_date_range_in_local_days(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    assert _seqs(_get(client, auditor, date_from="2026-03-09", date_to="2026-03-09")) == [
        e["refused"].seq,
        e["station"].seq,
    ]
    assert _seqs(_get(client, auditor, date_from="2026-03-16", date_to="2026-03-16")) == [e["policy"].seq]
    assert e["reject"].seq in _seqs(_get(client, auditor, date_to="2026-03-02"))
    assert e["station"].seq not in _seqs(_get(client, auditor, date_to="2026-03-02"))


def test_r_x1_filter_by_reason_text(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    assert _seqs(_get(client, auditor, reason="群众反映")) == [e["reject"].seq]  # 内黄县's is out of scope


def test_r_x1_filters_combine(client, trail):
    auditor, e = trail["people"]["auditor"], trail["e"]
    assert _seqs(_get(client, auditor, actor="head_b", action="dispatch.approve")) == [e["approve_b"].seq]
    assert _seqs(_get(client, auditor, actor="head_b", action="dispatch.approve", date_from="2026-03-03")) == []


def test_r_x1_rows_show_local_time_actor_label_object_states_reason_and_tier(client, trail):
    response = _get(client, trail["people"]["auditor"], action="dispatch.reject")
    html = response.content.decode()
    assert "2026年3月2日 09:30:00" in html
    assert "农业局张局长" in html and "单位主要领导不同意选派" in html
    assert "nominated → rejected" in html  # the event names a cadre, whose states have no labels
    assert "群众反映不好,暂缓选派" in html and "县农业农村局" in html
    cadre = trail["cadre_a"]
    assert reverse("audit:object", args=["workflows.cadre", str(cadre.pk)]) in html


# --- Pages and queries -----------------------------------------------------------------------------------------


def _many(actor, obj, n, *, action="test.many"):
    for i in range(n):
        audit_record(action=action, actor=actor, obj=obj, reason=f"批量{i}")


def test_r_x1_fifty_a_page_newest_first_and_the_pages_keep_the_filters(client, trail):
    p = trail["people"]
    _many(p["org"], trail["unit_a"], 120)
    response = _get(client, p["auditor"], action="test.many", reason="批量")
    page1 = _seqs(response)
    assert len(page1) == 50 and page1 == sorted(page1, reverse=True)
    html = response.content.decode()
    assert "action=test.many" in html and "reason=%E6%89%B9%E9%87%8F" in html and "page=2" in html
    page3 = _seqs(_get(client, p["auditor"], action="test.many", reason="批量", page=3))
    assert len(page3) == 20 and max(page3) < min(page1)
    assert response.context["page_obj"].paginator.count == 120


def test_r_x1_the_page_costs_the_same_queries_for_ten_or_two_hundred_events(client, trail):
    p = trail["people"]
    client.force_login(p["auditor"])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    _many(p["org"], trail["unit_a"], 200)
    _many(p["town_a"], trail["village_a"], 50, action="test.other")
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL, {"unit": trail["unit_a"].pk}).status_code == 200
    with CaptureQueriesContext(connection) as plain:
        client.get(URL)
    assert len(plain) == len(few) and len(few) <= 14
    assert len(many) <= len(few) + 1  # the unit's lookup


# --- The chain banner ------------------------------------------------------------------------------------------


def test_r_x1_banner_says_the_chain_verifies(client, trail):
    response = _get(client, trail["people"]["auditor"])
    assert response.context["chain"].ok
    html = response.content.decode()
    assert 'data-chain="ok"' in html and "哈希链校验通过" in html


def test_r_x1_banner_names_the_first_broken_event_after_tampering(client, trail):
    auditor, target = trail["people"]["auditor"], trail["e"]["station"]
    assert 'data-chain="ok"' in _get(client, auditor).content.decode()
    _behind_the_back("UPDATE workflows_auditevent SET reason = %s WHERE id = %s", ["改过的理由", target.pk])
    response = _get(client, auditor)
    chain = response.context["chain"]
    assert not chain.ok and chain.broken_seq == target.seq and chain.broken_id == target.pk
    html = response.content.decode()
    assert 'data-chain="broken"' in html and f"#{target.seq}" in html
    assert reverse("audit:event", args=[target.pk]) in html
    event_page = client.get(reverse("audit:event", args=[target.pk]))
    assert 'data-check="broken"' in event_page.content.decode()


def test_r_x1_banner_names_a_removed_event(client, trail):
    auditor, removed, after = trail["people"]["auditor"], trail["e"]["reject"], trail["e"]["approve_b"]
    _get(client, auditor)
    _behind_the_back("DELETE FROM workflows_auditevent WHERE id = %s", [removed.pk])
    chain = _get(client, auditor).context["chain"]
    assert not chain.ok and chain.broken_seq == removed.seq and chain.broken_id == after.pk


def test_r_x1_chain_status_walks_only_new_events_while_nothing_before_changed(trail):
    first = chain_status()
    assert first.ok and first.walked == first.checked
    audit_record(action="test.new", actor=None)
    again = chain_status()
    assert again.ok and again.checked == first.checked + 1
    if connection.vendor == "postgresql":
        assert again.walked == 1
        assert chain_status().walked == 0
        early = trail["e"]["reject"]
        _behind_the_back("UPDATE workflows_auditevent SET reason = %s WHERE id = %s", ["掩盖", early.pk])
        broken = chain_status()
        assert not broken.ok and broken.broken_id == early.pk


def test_r_x1_event_page_shows_the_whole_event_and_that_its_hash_holds(client, trail):
    client.force_login(trail["people"]["auditor"])
    e = trail["e"]["refused"]
    html = client.get(reverse("audit:event", args=[e.pk])).content.decode()
    assert 'data-check="ok"' in html and e.hash in html and e.prev_hash in html
    assert "approve_nominations" in html and "越权操作被拒绝" in html


# --- Timeline --------------------------------------------------------------------------------------------------


def test_r_x1_timeline_holds_all_events_of_one_object_in_order_with_their_data(client, trail):
    client.force_login(trail["people"]["auditor"])
    cadre = trail["cadre_a"]
    response = client.get(reverse("audit:object", args=["workflows.cadre", str(cadre.pk)]))
    assert response.status_code == 200
    assert [e.seq for e in response.context["events"]] == [trail["e"]["reject"].seq, trail["e"]["refused"].seq]
    html = response.content.decode()
    assert "perm" in html and "approve_nominations" in html and "李卫东" in html


def test_r_x1_a_dispatch_timeline_includes_its_leave_and_recall(client, world):
    from dispatch import services as dispatch_services
    from dispatch.models import RecallReason
    from leave.services import leave as leaves

    p = world["people"]
    dispatch = stationed(world["cadre_a"], world["village_a"])
    leave = leaves.leave_request(
        dispatch=dispatch,
        starts_on=datetime.date(2026, 4, 8),
        ends_on=datetime.date(2026, 4, 9),
        reason="家中老人住院",
        by=p["cadre_a"],
    )
    recall = dispatch_services.recall_propose(
        dispatch=dispatch, by=p["town_a"], reason=RecallReason.OTHER, details="长期不在村"
    )
    client.force_login(p["auditor"])
    url = reverse("audit:object", args=["dispatch.dispatch", str(dispatch.pk)])
    events = client.get(url).context["events"]
    actions = [e.action for e in events]
    assert actions[0] == "dispatch.nominate" and "dispatch.station" in actions
    assert "leave.request" in actions and "recall.propose" in actions
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert {e.object_id for e in events if e.action == "leave.request"} == {str(leave.pk)}
    assert {e.object_id for e in events if e.action == "recall.propose"} == {str(recall.pk)}
    own = client.get(url, {"own": "1"}).context["events"]
    assert {e.action for e in own} & {"leave.request", "recall.propose"} == set()
    html = client.get(url).content.decode()
    assert reverse("dispatch:detail", args=[dispatch.pk]) in html
    assert "岗前培训 → 驻村中" in html and "到村日期" in html  # states and data keys in words


def test_r_x1_timeline_of_an_unknown_kind_or_object_is_not_found(client, trail):
    client.force_login(trail["people"]["auditor"])
    assert client.get(reverse("audit:object", args=["workflows.user", "1"])).status_code == 404
    assert client.get(reverse("audit:object", args=["workflows.cadre", "999999"])).status_code == 404


# --- Export ----------------------------------------------------------------------------------------------------


HEADERS = [
    "序号",
    "时间",
    "操作人",
    "账号",
    "动作",
    "动作代码",
    "对象类型",
    "对象编号",
    "对象",
    "原状态",
    "新状态",
    "理由",
    "乡镇",
    "单位",
    "来源地址",
    "附加信息",
]


def test_r_x1_xlsx_export_holds_exactly_the_filtered_events_with_chinese_headers(client, trail):
    p, e = trail["people"], trail["e"]
    _many(p["org"], trail["unit_a"], 70)  # more than a page: the export holds them all
    client.force_login(p["auditor"])
    response = client.get(URL, {"actor": "王科长", "format": "xlsx", "page": "1"})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    expected = list(
        AuditEvent.objects.filter(actor=p["org"])
        .exclude(county=trail["other"])
        .order_by("-seq")
        .values_list("seq", flat=True)
    )
    assert [r[0] for r in rows[1:]] == expected and len(expected) == 70
    assert isinstance(rows[1][1], datetime.datetime)

    response = client.get(URL, {"action": "dispatch.reject", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [e["reject"].seq]
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["时间"] == DAY1 and row["操作人"] == "农业局张局长" and row["动作"] == "单位主要领导不同意选派"
    assert row["单位"] == "县农业农村局" and row["理由"] == "群众反映不好,暂缓选派"


def test_r_x1_csv_export_of_the_filtered_events(client, trail):
    client.force_login(trail["people"]["auditor"])
    response = client.get(URL, {"date_from": "2026-03-09", "date_to": "2026-03-09", "format": "csv"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADERS
    assert [int(r[0]) for r in rows[1:]] == [trail["e"]["refused"].seq, trail["e"]["station"].seq]
    assert rows[2][1] == "2026-03-09 15:00"


def test_r_o4_export_never_holds_another_countys_events(client, trail):
    client.force_login(trail["people"]["auditor"])
    response = client.get(URL, {"format": "csv"})
    seqs = [int(r[0]) for r in list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]]
    assert trail["e"]["other"].seq not in seqs and trail["e"]["policy"].seq in seqs


def test_r_x1_review_pages_only_read(client, trail):
    client.force_login(trail["people"]["auditor"])
    before = AuditEvent.objects.count()
    assert client.post(URL, {"actor": "x"}).status_code == 405
    assert client.post(reverse("audit:event", args=[trail["e"]["reject"].pk])).status_code == 405
    assert AuditEvent.objects.count() == before
