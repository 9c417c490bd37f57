"""The leave flow through the pages: each step in its tier's queue only, the wrong tier refused (R-M2, R-O4)."""

import datetime

import pytest
from django.urls import reverse
from viewflow.workflow.status import STATUS

from dispatch.flows import DispatchFlow, RecallFlow
from leave.flows import LeaveFlow
from leave.models import AttendanceDay, DayStatus, LeaveRequest, LeaveState
from leave.services import leave as leaves
from tests.dispatch.test_team import stationed
from workflows.flows import open_tasks_for, process_of
from workflows.models import AuditEvent

FLOWS = [DispatchFlow, RecallFlow, LeaveFlow]
D = datetime.date
S = LeaveState
LEAVE_PAGE = reverse("leave:leave")
EVERYONE = ("org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a", "cadre_b", "outsider")


@pytest.fixture
def w(world):
    w = dict(world)
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    return w


def _holders(w, leave) -> set[str]:
    """Who sees a task for this leave in their to-do list."""
    return {
        role for role in EVERYONE if any(t.process.artifact == leave for t in open_tasks_for(w["people"][role], FLOWS))
    }


def _task_url(user, leave):
    tasks = [t for t in open_tasks_for(user, FLOWS) if t.process.artifact == leave]
    assert len(tasks) == 1, tasks
    return tasks[0].execute_url


def _ask(client, w, start, end, reason="家中老人住院,需陪护"):
    client.force_login(w["people"]["cadre_a"])
    response = client.post(LEAVE_PAGE, {"starts_on": start, "ends_on": end, "reason": reason})
    assert response.status_code == 302, response.content.decode()[:3000]
    return LeaveRequest.objects.latest("pk")


def test_r_m2_leave_up_to_n_days_from_request_to_close_through_the_pages(client, w):
    p = w["people"]
    leave = _ask(client, w, "2026-04-07", "2026-04-09")
    assert leave.state == S.REQUESTED and leave.days == 3
    page = client.get(LEAVE_PAGE).content.decode()
    assert "2026-04-07" in page and "已申请,待审批" in page and "撤回" in page

    # The decision lands in the cadre's township's queue only.
    assert _holders(w, leave) == {"town_a"}
    url = _task_url(p["town_a"], leave)
    for role in ("town_b", "auditor", "org", "cadre_a"):
        client.force_login(p[role])
        assert client.get(url).status_code == 403, role
    client.force_login(p["town_a"])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "对在村天数的影响" in page and "2026年4月" in page
    assert [str(label) for _, label in response.context["form"].fields["decision"].choices] == ["同意请假", "不同意"]
    assert response.context["impact"].months[0].target == 21
    assert client.post(url, {"decision": "approve", "comment": "同意,注意安全"}).status_code == 302
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED
    assert AttendanceDay.objects.filter(dispatch=w["d_a"], status=DayStatus.LEAVE).count() == 3

    # The report on return is the cadre's own task; nobody else holds it.
    assert _holders(w, leave) == {"cadre_a"}
    url = _task_url(p["cadre_a"], leave)
    client.force_login(p["cadre_a"])
    assert f'href="{url}' in client.get(LEAVE_PAGE).content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response.context["form"].initial["returned_on"]
    client.force_login(p["town_b"])
    assert client.post(url, {"returned_on": "2026-04-10"}).status_code == 302  # "being handled by …"
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED
    client.force_login(p["cadre_a"])
    response = client.post(url, {"returned_on": "2026-04-10"})
    assert response.status_code == 302 and response.url == LEAVE_PAGE
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REPORTED_BACK

    # The township confirms.
    assert _holders(w, leave) == {"town_a"}
    url = _task_url(p["town_a"], leave)
    client.force_login(p["town_b"])
    assert client.get(url).status_code == 403
    client.force_login(p["town_a"])
    assert "按时返岗" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 302
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.CLOSED
    assert process_of(LeaveFlow, leave).finished is not None
    assert _holders(w, leave) == set()


def test_r_m2_leave_above_n_days_is_reviewed_by_the_township_and_decided_by_the_org_dept(client, w):
    p = w["people"]
    leave = _ask(client, w, "2026-04-07", "2026-04-10")
    assert leave.days == 4
    url = _task_url(p["town_a"], leave)
    client.force_login(p["town_a"])
    response = client.get(url)
    assert "超过 3 个工作日" in response.content.decode()
    assert [str(label) for _, label in response.context["form"].fields["decision"].choices] == [
        "审核同意,报县委组织部审批",
        "不同意",
    ]
    assert client.post(url, {"decision": "approve", "comment": "情况属实,建议同意"}).status_code == 302
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REVIEWED
    assert not AttendanceDay.objects.exists()

    assert _holders(w, leave) == {"org"}
    url = _task_url(p["org"], leave)
    for role in ("town_a", "town_b", "auditor", "head_a", "cadre_a"):
        client.force_login(p[role])
        assert client.get(url).status_code == 403, role
    client.force_login(p["org"])
    response = client.get(url)
    page = response.content.decode()
    assert "情况属实,建议同意" in page and "菜园镇党委陈书记" in page and "对在村天数的影响" in page
    assert client.post(url, {"decision": "approve", "comment": "同意"}).status_code == 302
    stored = LeaveRequest.objects.get(pk=leave.pk)
    assert stored.state == S.APPROVED and stored.decided_by == p["org"]
    assert AttendanceDay.objects.filter(dispatch=w["d_a"], status=DayStatus.LEAVE).count() == 4
    assert _holders(w, leave) == {"cadre_a"}


def test_r_m2_rejection_without_a_reason_keeps_the_task_and_with_one_ends_the_flow(client, w):
    p = w["people"]
    leave = _ask(client, w, "2026-04-07", "2026-04-08")
    url = _task_url(p["town_a"], leave)
    client.force_login(p["town_a"])
    response = client.post(url, {"decision": "reject", "comment": ""})
    assert response.status_code == 200 and "不批准时请写明理由" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REQUESTED
    assert _task_url(p["town_a"], leave) == url
    assert client.post(url, {"decision": "reject", "comment": "近期迎检,暂缓"}).status_code == 302
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REJECTED
    assert _holders(w, leave) == set()
    client.force_login(p["cadre_a"])
    assert "近期迎检,暂缓" in client.get(LEAVE_PAGE).content.decode()


def test_r_m2_second_submission_of_a_decided_leave_says_already_decided(client, w):
    p = w["people"]
    leave = _ask(client, w, "2026-04-07", "2026-04-08")
    url = _task_url(p["town_a"], leave)
    client.force_login(p["town_a"])
    assert client.post(url, {"decision": "approve"}).status_code == 302
    response = client.post(url, {"decision": "reject", "comment": "改主意"}, follow=True)
    assert response.status_code == 200 and "已经办结" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED


def test_r_m2_the_cadre_withdraws_from_the_leave_page_and_the_township_task_goes(client, w):
    p = w["people"]
    leave = _ask(client, w, "2026-04-07", "2026-04-08")
    withdraw = reverse("leave:leave_withdraw", args=[leave.pk])
    client.force_login(p["town_a"])
    assert client.post(withdraw).status_code == 403
    client.force_login(p["cadre_a"])
    response = client.post(withdraw, follow=True)
    assert "已撤回" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.WITHDRAWN
    assert _holders(w, leave) == set()
    response = client.post(withdraw, follow=True)
    assert "已撤回" in response.content.decode() and "已经处理过" in response.content.decode()


def test_r_m2_refusals_are_shown_on_the_leave_form(client, w):
    client.force_login(w["people"]["cadre_a"])
    response = client.post(LEAVE_PAGE, {"starts_on": "2026-04-09", "ends_on": "2026-04-07", "reason": "事假"})
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()
    response = client.post(LEAVE_PAGE, {"starts_on": "2026-04-04", "ends_on": "2026-04-06", "reason": "事假"})
    assert "没有工作日" in response.content.decode()
    assert not LeaveRequest.objects.exists()


def test_r_o4_the_leave_page_is_for_cadres_and_says_when_they_are_not_stationed(client, w):
    client.force_login(w["people"]["town_a"])
    assert client.get(LEAVE_PAGE).status_code == 403
    client.force_login(w["plain_a"].user)
    response = client.get(LEAVE_PAGE)
    assert response.status_code == 200 and "不在驻村期内" in response.content.decode()
    response = client.post(LEAVE_PAGE, {"starts_on": "2026-04-07", "ends_on": "2026-04-08", "reason": "事假"})
    assert response.status_code == 200 and not LeaveRequest.objects.exists()


def test_r_o4_a_cadre_sees_only_their_own_leave(client, w):
    leaves.leave_request(
        dispatch=w["d_b"],
        starts_on=D(2026, 4, 7),
        ends_on=D(2026, 4, 8),
        reason="王秀英的事假",
        by=w["people"]["cadre_b"],
    )
    client.force_login(w["people"]["cadre_a"])
    assert "王秀英的事假" not in client.get(LEAVE_PAGE).content.decode()


def test_r_o4_the_township_list_shows_its_own_cadres_with_links_to_its_tasks(client, w):
    p = w["people"]
    leave_a = _ask(client, w, "2026-04-07", "2026-04-08", reason="李卫东事假")
    leaves.leave_request(
        dispatch=w["d_b"], starts_on=D(2026, 4, 7), ends_on=D(2026, 4, 8), reason="王秀英事假", by=p["cadre_b"]
    )
    url = reverse("leave:leave_list")
    client.force_login(p["town_a"])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "李卫东" in page and "王秀英" not in page
    assert [x.pk for x in response.context["open_leaves"]] == [leave_a.pk]
    assert response.context["open_leaves"][0].task_url == _task_url(p["town_a"], leave_a)
    assert client.get(f"{url}?township={w['town_b'].pk}").status_code == 403
    client.force_login(p["town_b"])
    page = client.get(url).content.decode()
    assert "王秀英" in page and "李卫东" not in page
    for role in ("org", "auditor"):
        client.force_login(p[role])
        response = client.get(f"{url}?township={w['town_a'].pk}")
        assert response.status_code == 200 and "李卫东" in response.content.decode(), role
        assert response.context["open_leaves"][0].task_url is None, role
    for role in ("cadre_a", "head_a", "outsider"):
        client.force_login(p[role])
        assert client.get(url).status_code == 403, role


def test_r_m2_services_called_outside_the_pages_move_the_flow_too(w):
    p = w["people"]
    leave = leaves.leave_request(
        dispatch=w["d_a"], starts_on=D(2026, 4, 7), ends_on=D(2026, 4, 10), reason="事假", by=p["cadre_a"]
    )
    leave = leaves.leave_decide(leave=leave, by=p["town_a"], approve=True)
    leave = leaves.leave_decide(leave=leave, by=p["org"], approve=True)
    leave = leaves.leave_report_back(leave=leave, returned_on=D(2026, 4, 13), by=p["cadre_a"])
    leaves.leave_close(leave=leave, by=p["town_a"])
    process = process_of(LeaveFlow, leave)
    assert process.finished is not None
    assert not process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED]).exists()
    assert sorted(t.flow_task.name for t in process.task_set.filter(flow_task_type="HUMAN")) == [
        "close",
        "decide_org",
        "decide_township",
        "report_back",
    ]
    assert AuditEvent.objects.filter(action__startswith="leave.").count() == 5


def test_home_page_lists_the_leave_tasks(client, w):
    _ask(client, w, "2026-04-07", "2026-04-08")
    client.force_login(w["people"]["town_a"])
    page = client.get("/home/").content.decode()
    assert "待办事项(1)" in page and "审批请假" in page
    client.force_login(w["people"]["town_b"])
    assert "待办事项(0)" in client.get("/home/").content.decode()


def test_r_o4_process_lists_of_the_leave_flow_are_for_the_county_tier_only(client, w):
    _ask(client, w, "2026-04-07", "2026-04-08")
    for role, status in [("org", 200), ("auditor", 200), ("town_a", 403), ("cadre_a", 403)]:
        client.force_login(w["people"][role])
        assert client.get("/leave/flow/flows/").status_code == status, role


def test_decision_page_lists_recorded_days_and_approval_needs_each_ticked_r_m2a(client, w):
    from leave.ledger import ledger_write
    from leave.models import DaySource

    p = w["people"]
    ledger_write(
        dispatch=w["d_a"],
        statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE, D(2026, 4, 8): DayStatus.OFFICIAL_BUSINESS},
        source=DaySource.CADRE,
        by=p["cadre_a"],
    )
    leave = _ask(client, w, "2026-04-07", "2026-04-09")
    url = _task_url(p["town_a"], leave)
    client.force_login(p["town_a"])
    response = client.get(url)
    page = response.content.decode()
    assert 'data-testid="recorded-days"' in page and page.count('data-testid="recorded-day"') == 2
    assert [name for name in response.context["form"].fields if name.startswith("overwrite")] == [
        "overwrite_2026-04-07",
        "overwrite_2026-04-08",
    ]

    response = client.post(url, {"decision": "approve", "overwrite_2026-04-07": "on"})
    assert response.status_code == 200
    assert "2026-04-08 因公报备" in response.content.decode()
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.REQUESTED
    assert _holders(w, leave) == {"town_a"}  # the task stays in the queue
    assert not AttendanceDay.objects.filter(dispatch=w["d_a"], status=DayStatus.LEAVE).exists()

    response = client.post(url, {"decision": "approve", "overwrite_2026-04-07": "on", "overwrite_2026-04-08": "on"})
    assert response.status_code == 302
    assert LeaveRequest.objects.get(pk=leave.pk).state == S.APPROVED
    assert AttendanceDay.objects.filter(dispatch=w["d_a"], status=DayStatus.LEAVE).count() == 3
    assert AuditEvent.objects.get(action="leave.approve").data["overwritten"] == [
        "2026-04-07 在村 → 请假",
        "2026-04-08 因公报备 → 请假",
    ]


def test_township_review_of_longer_leave_shows_recorded_days_without_asking_to_overwrite_r_m2a(client, w):
    from leave.ledger import ledger_write
    from leave.models import DaySource

    p = w["people"]
    ledger_write(
        dispatch=w["d_a"], statuses={D(2026, 4, 7): DayStatus.IN_VILLAGE}, source=DaySource.CADRE, by=p["cadre_a"]
    )
    leave = _ask(client, w, "2026-04-07", "2026-04-10")
    client.force_login(p["town_a"])
    response = client.get(_task_url(p["town_a"], leave))
    assert 'data-testid="recorded-day"' in response.content.decode()
    assert not [name for name in response.context["form"].fields if name.startswith("overwrite")]
    assert client.post(_task_url(p["town_a"], leave), {"decision": "approve"}).status_code == 302
    client.force_login(p["org"])
    response = client.get(_task_url(p["org"], leave))
    assert [name for name in response.context["form"].fields if name.startswith("overwrite")] == [
        "overwrite_2026-04-07"
    ]
