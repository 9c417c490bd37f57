"""Leave approved many at once: each its own decision, audit event and flow step; refusals listed (R-M2, R-O4)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from leave.flows import LeaveFlow
from leave.ledger import ledger_write
from leave.models import AttendanceDay, DaySource, DayStatus, LeaveRequest, LeaveState
from leave.services import leave as leaves
from leave.services import leave_approve_many
from tests.dispatch.test_race import _run_together, needs_postgresql
from tests.dispatch.test_team import stationed
from workflows.flows import open_task
from workflows.models import AuditEvent

D = datetime.date
S = LeaveState
URL = reverse("leave:leave_bulk")


@pytest.fixture
def w(world):
    """cadre_a and plain_a stationed in 菜园镇 (town_a), cadre_b in 宜沟镇 (town_b); a leave request of each."""
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    w["l_a"] = _request(w, "d_a", "cadre_a", D(2026, 4, 7), D(2026, 4, 8))
    w["l_plain"] = _request(w, "d_plain", "plain_a", D(2026, 4, 14), D(2026, 4, 15))
    w["l_b"] = _request(w, "d_b", "cadre_b", D(2026, 4, 7), D(2026, 4, 8))
    return w


def _request(w, dispatch, who, start, end):
    person = w["people"].get(who) or w[who].user
    return leaves.leave_request(dispatch=w[dispatch], starts_on=start, ends_on=end, reason="家中有事", by=person)


def _fresh(leave):
    return LeaveRequest.objects.get(pk=leave.pk)


def _events(action, leave):
    return AuditEvent.objects.filter(action=action, object_id=str(leave.pk))


def _page(response) -> str:
    return response.content.decode()


def test_r_m2_township_approves_several_leaves_at_once_each_audited_and_its_task_done(w):
    result = leave_approve_many(
        pks=[w["l_a"].pk, w["l_plain"].pk], stage=S.REQUESTED, by=w["people"]["town_a"], comment="同意"
    )
    assert [i.pk for i in result.done] == [w["l_a"].pk, w["l_plain"].pk] and result.refused == []
    for leave in (w["l_a"], w["l_plain"]):
        assert _fresh(leave).state == S.APPROVED
        assert _events("leave.approve", leave).count() == 1
        assert _events("leave.approve", leave).get().actor == w["people"]["town_a"]
        # The flow moved on exactly as from the task page: the decision is done, the report on return waits.
        assert open_task(LeaveFlow, "decide_township", leave) is None
        assert open_task(LeaveFlow, "report_back", leave) is not None
    assert AttendanceDay.objects.filter(dispatch=w["d_a"], status=DayStatus.LEAVE).count() == 2
    assert "已批准" in result.done[0].message


def test_r_m2_leave_above_n_days_is_reviewed_in_bulk_and_the_org_dept_approves_it_in_bulk(w):
    long_leave = _request(w, "d_a", "cadre_a", D(2026, 5, 11), D(2026, 5, 15))
    result = leave_approve_many(pks=[long_leave.pk], stage=S.REQUESTED, by=w["people"]["town_a"])
    assert "报县委组织部审批" in result.done[0].message
    assert _fresh(long_leave).state == S.REVIEWED
    assert open_task(LeaveFlow, "decide_org", long_leave) is not None
    # A second township pass finds it no longer waiting for the township.
    again = leave_approve_many(pks=[long_leave.pk], stage=S.REQUESTED, by=w["people"]["town_a"])
    assert again.done == [] and "已由他人处理" in again.refused[0].message

    result = leave_approve_many(pks=[long_leave.pk], stage=S.REVIEWED, by=w["people"]["org"], comment="同意")
    assert len(result.done) == 1
    assert _fresh(long_leave).state == S.APPROVED and _fresh(long_leave).decided_by == w["people"]["org"]
    assert open_task(LeaveFlow, "decide_org", long_leave) is None


def test_r_m2_a_leave_decided_by_someone_else_meanwhile_is_skipped_and_said_so(w):
    colleague = w["mentor_a"]  # also on 菜园镇's committee
    leaves.leave_decide(leave=w["l_a"], by=colleague, approve=False, comment="近期迎检")
    result = leave_approve_many(pks=[w["l_a"].pk, w["l_plain"].pk], stage=S.REQUESTED, by=w["people"]["town_a"])
    assert [i.pk for i in result.done] == [w["l_plain"].pk]
    [skipped] = result.refused
    assert skipped.pk == w["l_a"].pk and "已由他人处理" in skipped.message and "未批准" in skipped.message
    assert _fresh(w["l_a"]).state == S.REJECTED and _fresh(w["l_plain"]).state == S.APPROVED
    assert not _events("leave.approve", w["l_a"]).exists()


def test_r_m2a_a_leave_over_recorded_days_is_refused_with_its_reason_and_the_others_go_through(w):
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE},
        source=DaySource.CADRE,
        by=w["people"]["cadre_a"],
    )
    result = leave_approve_many(pks=[w["l_a"].pk, w["l_plain"].pk], stage=S.REQUESTED, by=w["people"]["town_a"])
    assert [i.pk for i in result.done] == [w["l_plain"].pk]
    assert "2026-04-07 在村" in result.refused[0].message
    assert _fresh(w["l_a"]).state == S.REQUESTED
    assert open_task(LeaveFlow, "decide_township", w["l_a"]) is not None
    assert AttendanceDay.objects.get(dispatch=w["d_a"], date=D(2026, 4, 7)).status == DayStatus.IN_VILLAGE


def test_r_o4_a_leave_of_another_township_is_refused_audited_and_unchanged(w):
    result = leave_approve_many(pks=[w["l_b"].pk, w["l_a"].pk], stage=S.REQUESTED, by=w["people"]["town_a"])
    assert [i.pk for i in result.done] == [w["l_a"].pk]
    assert result.refused[0].pk == w["l_b"].pk and "无权" in result.refused[0].message
    assert _fresh(w["l_b"]).state == S.REQUESTED
    assert _events("leave.decide.refused", w["l_b"]).count() == 1
    assert open_task(LeaveFlow, "decide_township", w["l_b"]) is not None
    # The township cannot take the org dept's stage either.
    assert leave_approve_many(pks=[w["l_a"].pk], stage=S.REVIEWED, by=w["people"]["town_a"]).done == []


# --- The page ---------------------------------------------------------------------------------------


def test_r_o4_the_page_lists_only_the_townships_own_waiting_leaves(client, w):
    client.force_login(w["people"]["town_a"])
    response = client.get(URL)
    assert response.status_code == 200
    assert [row.pk for row in response.context["rows"]] == [w["l_a"].pk, w["l_plain"].pk]
    page = _page(response)
    assert "批量审批请假" in page and 'src="/static/js/bulk_select.js"' in page and "<script>" not in page
    for role in ("head_a", "cadre_a", "auditor", "outsider"):
        client.force_login(w["people"][role])
        assert client.get(URL).status_code == 403, role
    client.force_login(w["people"]["org"])
    assert client.get(URL).context["rows"] == []


def test_r_m2_the_page_confirms_then_approves_and_lists_what_was_done(client, w):
    client.force_login(w["people"]["town_a"])
    pks = [str(w["l_a"].pk), str(w["l_plain"].pk)]
    response = client.post(URL, {"pk": pks, "comment": "同意", "action": "review"})
    assert response.status_code == 200 and response.context["confirming"]
    assert [row.pk for row in response.context["selected"]] == [w["l_a"].pk, w["l_plain"].pk]
    assert _fresh(w["l_a"]).state == S.REQUESTED  # nothing done before the confirmation

    response = client.post(URL, {"pk": pks, "comment": "同意", "action": "confirm"})
    assert response.status_code == 302
    assert _fresh(w["l_a"]).state == S.APPROVED and _fresh(w["l_plain"]).state == S.APPROVED
    assert _events("leave.approve", w["l_a"]).get().reason == "同意"
    page = _page(client.get(response.url))
    assert "已办理 2 项" in page and "成功办理 2 项,未办理 0 项" in page
    assert "李卫东" in page and "赵普通" in page
    # Shown once: the list now says nothing waits.
    assert "办理结果" not in _page(client.get(URL))


def test_r_o4_posting_a_foreign_id_changes_nothing_and_the_page_says_why(client, w):
    client.force_login(w["people"]["town_a"])
    response = client.post(URL, {"pk": [str(w["l_b"].pk), "999999"], "action": "confirm"})
    assert response.status_code == 302
    assert _fresh(w["l_b"]).state == S.REQUESTED
    result = client.get(response.url).context["result"]
    assert result.done == [] and [i.pk for i in result.refused] == [w["l_b"].pk, 999999]
    assert "未找到" in result.refused[1].message


@pytest.mark.parametrize(
    ("pks", "message"),
    [([], "请至少勾选一项"), (["abc"], "所选事项无效"), (["1", "x"], "所选事项无效"), (["-3"], "所选事项无效")],
)
def test_bad_selection_gives_a_message_and_changes_nothing(client, w, pks, message):
    client.force_login(w["people"]["town_a"])
    events = AuditEvent.objects.count()
    response = client.post(URL, {"pk": pks, "action": "confirm"})
    assert response.status_code == 400 and message in _page(response)
    assert AuditEvent.objects.count() == events
    assert _fresh(w["l_a"]).state == S.REQUESTED


def test_the_home_page_and_the_township_list_lead_to_the_page_for_those_who_decide(client, w):
    client.force_login(w["people"]["town_a"])
    home = _page(client.get(reverse("home:index")))
    assert 'data-testid="bulk-links"' in home and f'href="{URL}?stage=township"' in home and "(2)" in home
    assert 'data-testid="bulk-link"' in _page(client.get(reverse("leave:leave_list")))
    client.force_login(w["people"]["org"])
    home = _page(client.get(reverse("home:index")))
    assert f'href="{URL}?stage=org"' in home
    assert client.get(f"{URL}?stage=org").status_code == 200
    for role in ("head_a", "auditor", "cadre_a"):
        client.force_login(w["people"][role])
        assert URL not in _page(client.get(reverse("home:index"))), role
    client.force_login(w["people"]["auditor"])
    assert 'data-testid="bulk-link"' not in _page(client.get(reverse("leave:leave_list")))


@needs_postgresql
def test_r_m2_two_township_members_approving_the_same_leaves_at_once_decide_each_once(transactional_db, w):
    """Each leave is approved once; the later bulk action skips both and says so, never a 500."""
    pks = [str(w["l_a"].pk), str(w["l_plain"].pk)]
    users = [w["people"]["town_a"], w["mentor_a"]]

    def approve(n):
        client = Client()
        client.force_login(users[n])
        response = client.post(URL, {"pk": pks, "action": "confirm"})
        assert response.status_code == 302, response.status_code
        return client, response.url

    raced = _run_together(approve)
    assert not [r for r in raced if isinstance(r, BaseException)], raced
    # The result pages are read one after the other: the test client gathers rendered contexts from every
    # thread, so two pages rendered at once would each see the other's.
    results = [client.get(url).context["result"] for client, url in raced]
    assert sorted(len(r.done) for r in results) == [0, 2]
    [skipped] = [r for r in results if not r.done]
    assert all("已由他人处理" in item.message for item in skipped.refused) and len(skipped.refused) == 2
    for leave in (w["l_a"], w["l_plain"]):
        assert _fresh(leave).state == S.APPROVED
        assert _events("leave.approve", leave).count() == 1
