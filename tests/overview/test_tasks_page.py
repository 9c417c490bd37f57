"""我的待办: one's own open tasks, filtered by kind, tier, due and name; the archive of done tasks; hand over all."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages

from dispatch import services as dispatch_services
from dispatch.models import Pairing
from leave.flows import LeaveFlow
from leave.services import leave as leaves
from overview.views import tasks as tasks_views
from tests.conftest import YEAR
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UnitFactory, UserFactory, VillageFactory, appoint
from workflows.flows import open_task
from workflows.handover import task_take
from workflows.models import Role

D = datetime.date
INDEX, DONE, ALL = "/tasks/", "/tasks/done/", "/tasks/hand-over-all/"


@pytest.fixture
def w(world):
    """Two leave requests awaiting 菜园镇, one awaiting 宜沟镇; town_a also heads 农业局, where a nomination waits."""
    w = dict(world)
    p = w["people"]
    w["d_a"] = stationed(w["cadre_a"], w["village_a"])
    w["d_plain"] = stationed(w["plain_a"], w["village_a2"])
    w["d_b"] = stationed(w["cadre_b"], w["village_b"])
    w["leave_a"] = leaves.leave_request(
        dispatch=w["d_a"], starts_on=D(2026, 12, 1), ends_on=D(2026, 12, 2), reason="家中有事", by=p["cadre_a"]
    )
    w["leave_plain"] = leaves.leave_request(
        dispatch=w["d_plain"], starts_on=D(2026, 12, 7), ends_on=D(2026, 12, 8), reason="看病", by=w["plain_a"].user
    )
    w["leave_b"] = leaves.leave_request(
        dispatch=w["d_b"], starts_on=D(2026, 12, 1), ends_on=D(2026, 12, 2), reason="家中有事", by=p["cadre_b"]
    )
    water = UnitFactory(county=w["county"], name="县水利局")
    south = VillageFactory(township=w["town_a"], name="南官庄村")
    Pairing.objects.create(unit=water, village=south, year=YEAR)
    appoint(p["town_a"], Role.UNIT_HEAD, water)
    newcomer = CadreFactory(unit=water, user=UserFactory(username="newcomer", name="钱新人"))
    w["nomination"] = dispatch_services.dispatch_nominate(cadre=newcomer, village=south, by=p["town_a"], year=YEAR)
    return w


def _rows(response, testid="task-rows") -> list[str]:
    html = response.content.decode()
    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    return [row.split("</tr>", 1)[0] for row in table.split("<tr data-task=")[1:]]


def _objects(response, testid="task-rows") -> list[str]:
    return [row.split("<td>")[2].split("</td>")[0] for row in _rows(response, testid)]


def test_the_list_shows_the_users_own_tasks_only(client, w):
    client.force_login(w["people"]["town_a"])
    response = client.get(INDEX)
    assert response.status_code == 200
    objects = _objects(response)
    assert len(objects) == 3
    assert any("李卫东" in o for o in objects) and any("赵普通" in o for o in objects)
    assert any("钱新人" in o for o in objects)
    assert not any("王秀英" in o for o in objects)  # 宜沟镇's leave

    client.force_login(w["people"]["town_b"])
    assert [o for o in _objects(client.get(INDEX))] == [str(w["leave_b"])]


def test_filter_by_kind_tier_and_name(client, w):
    client.force_login(w["people"]["town_a"])
    response = client.get(INDEX, {"kind": "LeaveFlow.decide_township"})
    assert sorted(_objects(response)) == sorted([str(w["leave_a"]), str(w["leave_plain"])])
    kinds = dict(response.context["form"].fields["kind"].choices)
    assert kinds["LeaveFlow.decide_township"] == "请假 · 审批请假"

    tiers = dict(response.context["form"].fields["tier"].choices)
    unit_key = next(key for key, label in tiers.items() if label == "县水利局")
    assert [o for o in _objects(client.get(INDEX, {"tier": unit_key}))] == [str(w["nomination"])]

    assert _objects(client.get(INDEX, {"q": "赵普通"})) == [str(w["leave_plain"])]
    assert _objects(client.get(INDEX, {"q": "审批请假", "kind": "LeaveFlow.decide_township", "tier": unit_key})) == []
    assert "没有符合条件的待办事项" in client.get(INDEX, {"q": "不存在的人"}).content.decode()


def test_an_unknown_filter_value_says_so_and_lists_everything(client, w):
    client.force_login(w["people"]["town_a"])
    response = client.get(INDEX, {"kind": "<script>", "due": "someday"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "选择一个有效的选项" in html and "<script>" not in html
    assert len(_objects(response)) == 3


def _task(due, created, name="x"):
    return SimpleNamespace(
        due=due,
        created=created,
        owner_permission="workflows.decide_leave",
        owner_permission_content_type_id=1,
        owner_permission_obj_pk="1",
        process=SimpleNamespace(artifact=name, flow_class=LeaveFlow),
        flow_task=SimpleNamespace(name="decide_township", task_title="审批请假"),
    )


def test_filter_by_due_date_and_the_order_soonest_due_first_undated_last():
    today = D(2026, 11, 26)
    t0 = datetime.datetime(2026, 11, 1, 9)
    late = _task(D(2026, 11, 20), t0, "逾期")
    now = _task(today, t0, "今天")
    soon = _task(D(2026, 11, 30), t0, "下周")
    far = _task(D(2026, 12, 20), t0, "下月")
    undated = _task(None, t0 - datetime.timedelta(days=9), "无期限")
    every = [undated, far, soon, now, late]

    def names(**kw):
        return [t.process.artifact for t in tasks_views.filter_tasks(every, today=today, **kw)]

    assert names() == ["逾期", "今天", "下周", "下月", "无期限"]
    assert names(due="overdue") == ["逾期"]
    assert names(due="today") == ["今天"]
    assert names(due="week") == ["今天", "下周"]
    assert names(due="none") == ["无期限"]


def test_a_task_a_colleague_holds_is_listed_apart_to_take_over(client, w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    task = open_task(LeaveFlow, "decide_township", w["leave_a"])
    task_take(task=task, by=mentor)
    client.force_login(town_a)
    response = client.get(INDEX)
    assert str(w["leave_a"]) not in _objects(response)
    [held] = _rows(response, "held-rows")
    assert str(w["leave_a"]) in held and "菜园镇周副书记" in held
    client.force_login(w["people"]["town_b"])
    assert 'data-testid="held-rows"' not in client.get(INDEX).content.decode()


def test_the_archive_lists_the_tasks_one_completed_newest_first_a_page_at_a_time(client, w, monkeypatch):
    monkeypatch.setattr(tasks_views, "DONE_PAGE_SIZE", 1)
    town_a = w["people"]["town_a"]
    leaves.leave_decide(leave=w["leave_a"], by=town_a, approve=True)
    leaves.leave_decide(leave=w["leave_plain"], by=town_a, approve=False, comment="人手不足")
    client.force_login(town_a)
    first = client.get(DONE)
    assert first.status_code == 200
    [newest] = _rows(first, "done-rows")
    assert str(w["leave_plain"]) in newest and "审批请假" in newest
    assert "第 1 / 2 页" in first.content.decode()
    second = client.get(DONE, {"page": 2})
    assert str(w["leave_a"]) in _rows(second, "done-rows")[0]
    # Another person's archive holds none of them.
    client.force_login(w["mentor_a"])
    theirs = " ".join(_rows(client.get(DONE), "done-rows"))
    assert str(w["leave_a"]) not in theirs and str(w["leave_plain"]) not in theirs
    assert client.get(DONE, {"page": "abc"}).status_code == 200


def test_people_without_tasks_are_refused_and_have_no_menu_entry(client, w):
    client.force_login(w["people"]["outsider"])
    for url in (INDEX, DONE, ALL):
        assert client.get(url).status_code == 403
    assert 'href="/tasks/"' not in client.get("/home/").content.decode()
    client.force_login(w["people"]["cadre_a"])
    assert client.get(INDEX).status_code == 200
    assert 'href="/tasks/"' in client.get("/home/").content.decode()


def test_hand_over_all_from_the_page_says_what_was_handed_and_what_was_not(client, w):
    town_a, mentor = w["people"]["town_a"], w["mentor_a"]
    for leave in (w["leave_a"], w["leave_plain"]):
        task_take(task=open_task(LeaveFlow, "decide_township", leave), by=town_a)
    from dispatch.flows import DispatchFlow

    task_take(task=open_task(DispatchFlow, "approve", w["nomination"]), by=town_a)
    client.force_login(town_a)
    page = client.get(ALL)
    assert page.status_code == 200
    assert len(page.content.decode().split('data-testid="held-list"')[1].split("</ul>")[0].split("<li>")) == 4
    choices = [label for _, label in page.context["form"].fields["to"].choices]
    assert choices[1:] == ["菜园镇周副书记"]

    response = client.post(ALL, {"to": mentor.pk, "note": "下周学习"})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said[0] == "已将 2 项事项转交 菜园镇周副书记 办理。"
    assert said[1].startswith("「审批选派」") or "未转交" in said[1]
    assert "菜园镇周副书记 无权办理此事项。" in said[1]

    bad = client.post(ALL, {"to": w["people"]["town_b"].pk})
    assert bad.status_code == 200 and "选择一个有效的选项" in bad.content.decode()
