"""The demo county: believable tiers, categories, cadres and logins, built once however often it runs."""

import datetime
import re
from collections import Counter
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from guardian.models import UserObjectPermission

from demo.base import DEMO_LOGINS, DEMO_PASSWORD
from dispatch.models import Pairing
from workflows.audit import audit_verify
from workflows.models import AuditEvent, Cadre, County, Post, Role, Township, Unit, User, Village, VillageIncome
from workflows.selectors import target_village_filter, village_category_counts, villages_with_income

EXPECTED_POSTS = {
    "zuzhibu": (Role.ORG_DEPT, "county"),
    "shenji": (Role.AUDITOR, "county"),
    "danwei1": (Role.UNIT_HEAD, "unit"),
    "danwei2": (Role.UNIT_HEAD, "unit"),
    "fenguan1": (Role.UNIT_DEPUTY, "unit"),
    "xiangzhen1": (Role.TOWNSHIP_COMMITTEE, "township"),
}


def _check_digit(body: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


# The command test needs an empty database: it runs before the package's shared demo exists (conftest.py).


def test_seed_demo_prints_logins_and_counts_and_run_twice_adds_no_rows_anywhere(db):
    # One test for both, as each build of the demo county costs most of a minute.
    assert not County.objects.exists()
    first = StringIO()
    call_command("seed_demo", stdout=first)
    text = first.getvalue()
    for header in ("用户名", "密码", "角色", "所属", "行政村", "空壳村"):
        assert header in text
    for login in DEMO_LOGINS:
        line = next(line for line in text.splitlines() if line.startswith(login["username"] + " "))
        assert login["password"] in line and login["where"] in line

    before = _row_counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert _row_counts() == before
    for model in (AuditEvent, Post, UserObjectPermission, Pairing, User, Cadre, Village, VillageIncome):
        assert before[model._meta.label] == model.objects.count()
    assert before[Post._meta.label] > 0 and before[UserObjectPermission._meta.label] > 0
    assert "本次新建 0 条记录" in out.getvalue()
    assert audit_verify().ok


def test_r_o1_demo_county_has_twelve_townships_180_villages_and_25_units(demo):
    assert County.objects.count() == 1
    assert demo.county.code == "410523"
    townships = Township.objects.filter(county=demo.county)
    assert townships.count() == 12
    assert set(townships.values_list("kind", flat=True)) == set(Township.Kind.values)
    assert Village.objects.filter(township__county=demo.county).count() == 180
    assert all(v.code.startswith(v.township.code) for v in Village.objects.select_related("township"))
    assert Unit.objects.filter(county=demo.county).count() == 25
    per_unit = Counter(Cadre.objects.values_list("unit_id", flat=True))
    assert sum(per_unit.values()) == 300
    assert len(per_unit) == 25
    assert all(10 <= n <= 16 for n in per_unit.values())


def test_r_o2_every_demo_unit_has_one_head_and_one_deputy_and_every_township_a_committee(demo):
    for unit in Unit.objects.all():
        assert Post.objects.active().filter(unit=unit, role=Role.UNIT_HEAD).count() == 1
        assert Post.objects.active().filter(unit=unit, role=Role.UNIT_DEPUTY).count() == 1
    for township in Township.objects.all():
        assert Post.objects.active().filter(township=township, role=Role.TOWNSHIP_COMMITTEE).count() == 1


def test_r_o3_demo_villages_carry_every_category_with_economic_ones_derived_from_income(demo):
    counts = village_category_counts(Village.objects.all())
    assert counts["total"] == 180
    assert 25 <= counts["economically_weak"] <= 45
    assert 3 <= counts["empty_shell"] <= 5
    assert 8 <= counts["weak_leadership"] <= 20
    assert 6 <= counts["election_difficult"] <= 16
    assert 12 <= counts["old_revolutionary"] <= 24
    assert 2 <= counts["ethnic_minority"] <= 8
    years = set(VillageIncome.objects.values_list("year", flat=True))
    assert years == {2024, 2025}
    assert VillageIncome.objects.count() == 180 * 2
    shells = [v for v in villages_with_income() if v.latest_own_income == 0]
    assert len(shells) == counts["empty_shell"]
    assert all(v.latest_income_year == 2025 for v in shells)


def test_every_demo_login_authenticates_and_holds_its_post(demo):
    assert [login["username"] for login in DEMO_LOGINS] == [
        "zuzhibu",
        "danwei1",
        "danwei2",
        "fenguan1",
        "xiangzhen1",
        "ganbu1",
        "ganbu2",
        "shenji",
    ]
    for login in DEMO_LOGINS:
        assert login["password"] == DEMO_PASSWORD == "Demo@2026"
        user = authenticate(
            RequestFactory().post("/accounts/login/"), username=login["username"], password=login["password"]
        )
        assert user is not None, login["username"]
        posts = list(Post.objects.active().filter(user=user))
        if login["username"] in ("ganbu1", "ganbu2"):
            assert posts == []
            continue
        role, tier = EXPECTED_POSTS[login["username"]]
        assert [(p.role, str(p.tier)) for p in posts] == [(role, login["where"])]
        assert getattr(posts[0], tier) is not None


def test_demo_cadre_login_is_a_reserve_cadre_of_the_agriculture_bureau(demo):
    cadre = Cadre.objects.select_related("unit").get(user__username="ganbu1")
    assert cadre.unit.name == "县农业农村局"
    assert cadre.is_reserve


def test_only_demo_logins_have_usable_passwords(demo):
    logins = {login["username"] for login in DEMO_LOGINS}
    usable = {u.username for u in User.objects.all() if u.has_usable_password()}
    assert usable == logins


def test_demo_cadres_have_valid_id_numbers_matching_birth_date_and_gender(demo):
    today = timezone.localdate()
    cadres = list(Cadre.objects.all())
    assert len({c.id_number for c in cadres}) == 300
    for cadre in cadres:
        number = cadre.id_number
        assert re.fullmatch(r"\d{17}[\dX]", number), number
        assert number[17] == _check_digit(number[:17]), number
        assert datetime.datetime.strptime(number[6:14], "%Y%m%d").date() == cadre.birth_date
        assert int(number[16]) % 2 == (1 if cadre.gender == Cadre.Gender.MALE else 0)
        age = (
            today.year
            - cadre.birth_date.year
            - ((today.month, today.day) < (cadre.birth_date.month, cadre.birth_date.day))
        )
        assert 26 <= age <= 50
        assert re.fullmatch(r"1[358]\d{9}", cadre.phone)


def test_demo_cadre_names_are_unique_within_each_unit(demo):
    pairs = list(Cadre.objects.values_list("unit_id", "name"))
    assert len(set(pairs)) == len(pairs)
    assert all(2 <= len(name) <= 3 for _unit, name in pairs)


def test_r_s3_demo_has_some_reserve_and_key_cultivation_cadres(demo):
    assert 35 <= Cadre.objects.filter(is_reserve=True).count() <= 55
    assert 20 <= Cadre.objects.filter(is_key_cultivation=True).count() <= 40


def _round_pairings(year):
    """The year's pairings the round was planned with, without the one more village a unit got to nominate for."""
    spare = AuditEvent.objects.filter(action="pairing.add").values_list("object_id", flat=True)
    return Pairing.objects.filter(year=year).exclude(pk__in=[int(pk) for pk in spare])


def test_r_s6_every_demo_target_village_is_paired_with_a_unit_this_year(demo):
    year = timezone.localdate().year
    per_unit = Counter(_round_pairings(year).values_list("unit_id", flat=True))
    assert len(per_unit) == 25
    assert all(2 <= n <= 4 for n in per_unit.values())
    spare = Counter(
        Pairing.objects.filter(year=year).exclude(pk__in=_round_pairings(year)).values_list("unit_id", flat=True)
    )
    assert spare and all(n == 1 for n in spare.values())
    targets = villages_with_income().filter(target_village_filter())
    assert targets.exists()
    assert not targets.exclude(pairings__year=year).exists()


def test_r_x1_audit_chain_verifies_after_seeding_and_each_post_was_audited(demo):
    report = audit_verify()
    assert report.ok, report.problem
    assert AuditEvent.objects.filter(action="post.appoint").count() == Post.objects.count() == 64


# --- The current round in every state, through the real services and flows ---------------------


def _dispatches():
    from dispatch.models import Dispatch

    return Dispatch.objects.select_related("cadre__user", "unit", "village__township", "training_batch")


def _user(username):
    return User.objects.get(username=username)


def test_r_s1_demo_round_has_dispatches_in_every_state_but_appraised(demo):
    from dispatch.models import DispatchState

    year = timezone.localdate().year
    states = Counter(_dispatches().filter(year=year).values_list("state", flat=True))
    assert set(states) == set(DispatchState) - {DispatchState.APPRAISED}, states
    # Most paired villages have their cadre; a handful are still on the way.
    assert states[DispatchState.STATIONED] >= 0.75 * _round_pairings(year).count()
    assert states[DispatchState.NOMINATED] >= 3
    # Earlier years' dispatches are the appraisal demo's cadres (appraisal/demo.py), each in a round.
    earlier = _dispatches().exclude(year=year)
    assert earlier.exists() and not earlier.filter(appraisals__isnull=True).exists()


def _expected_flow(dispatch):
    """The open node and process status that the dispatch's state implies."""
    from dispatch.models import DispatchState

    if dispatch.state == DispatchState.NOMINATED:
        return "approve", "NEW"
    if dispatch.state == DispatchState.APPROVED or (
        dispatch.state == DispatchState.TRAINING and dispatch.training_completed_on is None
    ):
        return "training", "NEW"
    if dispatch.state == DispatchState.TRAINING:
        return ("station" if dispatch.insurer else "arrange"), "NEW"
    if dispatch.state == DispatchState.WITHDRAWN:
        return None, "CANCELED"
    return None, "DONE"


def test_r_s1_every_demo_dispatch_flow_waits_where_its_state_says(demo):
    from dispatch.flows import DispatchFlow
    from workflows.flows import FINISHED, process_of

    for dispatch in _dispatches():
        process = process_of(DispatchFlow, dispatch)
        node, status = _expected_flow(dispatch)
        open_nodes = [t.flow_task.name for t in process.task_set.exclude(status__in=FINISHED)]
        assert (open_nodes, process.status) == ([node] if node else [], status), (dispatch, dispatch.state)


def test_r_s1_demo_human_tasks_were_done_by_their_tier(demo):
    from dispatch.flows import DispatchFlow
    from workflows.flows import process_of
    from workflows.permissions import APPROVE_NOMINATIONS, MANAGE_STATIONED, NOMINATE_CADRES, may

    perm = {"approve": APPROVE_NOMINATIONS, "arrange": NOMINATE_CADRES, "station": MANAGE_STATIONED}
    done = 0
    for dispatch in _dispatches():
        for task in process_of(DispatchFlow, dispatch).task_set.filter(status="DONE", flow_task_type="HUMAN"):
            assert may(task.owner, perm[task.flow_task.name], dispatch), (dispatch, task.flow_task.name)
            assert task.started is not None and task.finished is not None
            done += 1
    assert done > 150


def test_r_s3_danwei1_has_a_plain_and_a_reserve_cadre_waiting_and_the_page_warns(demo, client):
    from dispatch import selectors
    from dispatch.flows import DispatchFlow, RecallFlow
    from workflows.flows import open_tasks_for

    head = _user("danwei1")
    tasks = open_tasks_for(head, [DispatchFlow, RecallFlow])
    assert len(tasks) >= 2 and {t.flow_task.name for t in tasks} == {"approve"}
    waiting = [t.process.artifact for t in tasks]
    assert all(d.unit.name == "县农业农村局" for d in waiting)
    plain = next(d for d in waiting if not d.cadre.is_reserve and not d.cadre.is_key_cultivation)
    reserve = next(d for d in waiting if d.cadre.is_reserve)
    assert selectors.waiting_reserve_candidates(plain) == [reserve]
    client.force_login(head)
    page = client.get(next(t for t in tasks if t.process.artifact == plain).execute_url)
    assert page.status_code == 200
    assert 'data-testid="reserve-warning"' in page.content.decode() and reserve.cadre.name in page.content.decode()


def test_r_m5a_zuzhibu_has_a_recall_to_decide_proposed_by_a_township(demo):
    from dispatch.flows import DispatchFlow, RecallFlow
    from dispatch.models import RecallState
    from workflows.flows import open_tasks_for

    tasks = open_tasks_for(_user("zuzhibu"), [DispatchFlow, RecallFlow])
    assert [t.flow_task.name for t in tasks] == ["decide"]
    recall = tasks[0].process.artifact
    assert recall.state == RecallState.PROPOSED and recall.dispatch.state == "stationed"
    assert recall.proposed_by.posts.filter(
        role=Role.TOWNSHIP_COMMITTEE, township=recall.dispatch.village.township
    ).exists()
    assert recall.dispatch.cadre.user.username != "ganbu1"


def test_r_m5a_one_cadre_was_recalled_through_own_fault_lost_reserve_and_was_replaced(demo):
    from dispatch.models import DispatchState, Recall, RecallState

    [recalled] = _dispatches().filter(state=DispatchState.RECALLED)
    [recall] = Recall.objects.filter(dispatch=recalled)
    assert (recall.state, recall.own_fault, recall.recalled_on) == (RecallState.DONE, True, recalled.ended_on)
    assert recalled.stationed_on <= recalled.ended_on <= timezone.localdate()
    assert not Cadre.objects.get(pk=recalled.cadre_id).is_reserve
    assert AuditEvent.objects.filter(action="cadre.reserve_lost", object_id=str(recalled.cadre_id)).exists()
    replacement = _dispatches().get(village=recalled.village, state=DispatchState.NOMINATED)
    assert replacement.unit == recalled.unit


def test_r_s1_r_s4_rejections_and_the_withdrawal_keep_their_reasons(demo):
    from dispatch.models import DispatchState

    rejected = list(_dispatches().filter(state=DispatchState.REJECTED))
    assert rejected and all(d.decision_comment and d.decided_by for d in rejected)
    assert any(d.exclusion and d.exclusion_note for d in rejected)
    assert any(d.unit.name == "县农业农村局" for d in rejected)
    [withdrawn] = _dispatches().filter(state=DispatchState.WITHDRAWN)
    assert withdrawn.end_reason


def test_r_m4_ganbu1_is_stationed_in_caiyuan_which_has_a_leader_groups_and_mentors(demo):
    from dispatch.flows import DispatchFlow, RecallFlow
    from dispatch.models import DispatchState, TeamLeader, WorkGroup
    from workflows.flows import open_tasks_for

    [mine] = _dispatches().filter(cadre__user__username="ganbu1")
    assert (mine.state, mine.village.township.name) == (DispatchState.STATIONED, "菜园镇")
    assert mine.unit.name == "县农业农村局"
    township = mine.village.township
    assert TeamLeader.objects.get(township=township).dispatch == mine
    stationed = _dispatches().filter(village__township=township, state=DispatchState.STATIONED)
    assert stationed.count() >= 4
    committee = _user("xiangzhen1")
    assert {d.mentor for d in stationed} == {committee}
    groups = list(WorkGroup.objects.filter(township=township, year=mine.year))
    assert 1 <= len(groups) <= 2
    stationed_villages = {d.village_id for d in stationed}
    for group in groups:
        villages = set(group.villages.values_list("pk", flat=True))
        assert 2 <= len(villages) <= 3 and villages <= stationed_villages
    assert [t.flow_task.name for t in open_tasks_for(committee, [DispatchFlow, RecallFlow])] == ["station"]


def test_r_s6_most_demo_target_villages_are_covered_and_a_few_are_not(demo):
    from dispatch import selectors

    year = timezone.localdate().year
    targets = villages_with_income().filter(target_village_filter()).count()
    uncovered = selectors.uncovered_target_villages(demo.county, year).count()
    assert 3 <= uncovered <= targets // 4
    assert selectors.uncovered_target_villages(demo.county, year).filter(on_the_way=False).exists()


def test_r_s5_every_demo_unit_has_a_quota_due_later_this_year(demo):
    from dispatch.models import Quota

    today = timezone.localdate()
    quotas = Quota.objects.filter(year=today.year)
    assert quotas.count() == Unit.objects.count() == 25
    assert all(today <= q.deadline <= datetime.date(today.year, 12, 31) and q.enforced_at is None for q in quotas)
    for quota in quotas:
        assert quota.cadres == _round_pairings(today.year).filter(unit=quota.unit_id).count()


def test_r_s7_r_s8_r_s9_stationed_cadres_were_trained_insured_and_started_a_term(demo):
    from dispatch.models import DispatchState
    from dispatch.services import term_end

    today = timezone.localdate()
    for d in _dispatches().filter(state__in=[DispatchState.STATIONED, DispatchState.RECALLED]):
        assert d.training_batch is not None and d.training_batch.ends_on <= d.training_completed_on, d
        assert d.has_stationing_checklist(), d
        assert d.insurance_starts_on <= d.stationed_on <= today, d
        assert d.insurance_ends_on >= d.term_ends_on == term_end(d.stationed_on), d


def test_r_s8_demo_training_batches_one_done_in_spring_one_recent_and_one_to_come(demo):
    from dispatch.models import DispatchState, TrainingBatch

    today = timezone.localdate()
    batches = list(TrainingBatch.objects.filter(year=today.year).order_by("starts_on"))
    assert len(batches) == 3
    assert batches[0].ends_on < batches[1].ends_on < today < batches[2].starts_on
    waiting = _dispatches().filter(state=DispatchState.TRAINING, training_completed_on=None)
    assert waiting.exists() and all(d.training_batch == batches[2] for d in waiting)


def test_r_s2_one_demo_cadre_applied_and_waits_for_the_unit(demo):
    from dispatch.models import Application, ApplicationState

    [application] = Application.objects.select_related("cadre__unit")
    assert application.state == ApplicationState.SUBMITTED
    assert application.cadre.unit.name == "县农业农村局" and application.statement
    assert not application.cadre.dispatches.exists()


def test_r_x1_every_demo_transition_was_audited_by_its_actor(demo):
    from dispatch.models import DispatchState

    dispatches = _dispatches()
    assert AuditEvent.objects.filter(action="dispatch.nominate").count() == dispatches.count()
    for state, action in [
        (DispatchState.REJECTED, "dispatch.reject"),
        (DispatchState.WITHDRAWN, "dispatch.withdraw"),
        (DispatchState.RECALLED, "dispatch.recall"),
    ]:
        assert AuditEvent.objects.filter(action=action).count() == dispatches.filter(state=state).count()
    went_on = dispatches.exclude(state__in=[DispatchState.NOMINATED, DispatchState.REJECTED, DispatchState.WITHDRAWN])
    assert AuditEvent.objects.filter(action="dispatch.approve").count() == went_on.count()
    assert not AuditEvent.objects.filter(action__endswith=".refused").exists()
    assert audit_verify().ok


def test_execute_task_refuses_a_user_outside_the_tier_and_leaves_the_task_open(demo):
    from django.core.exceptions import PermissionDenied

    from demo.base import execute_task
    from dispatch import services
    from dispatch.flows import DispatchFlow, RecallFlow
    from workflows.flows import open_task, open_tasks_for

    dispatch = open_tasks_for(_user("danwei1"), [DispatchFlow, RecallFlow])[0].process.artifact
    other = _user("danwei2")
    with pytest.raises(PermissionDenied):
        execute_task(
            DispatchFlow,
            "approve",
            dispatch,
            user=other,
            perform=lambda: services.dispatch_approve(dispatch=dispatch, by=other),
        )
    assert open_task(DispatchFlow, "approve", dispatch) is not None
    assert _dispatches().get(pk=dispatch.pk).state == "nominated"
    with pytest.raises(LookupError):
        execute_task(DispatchFlow, "station", dispatch, user=other, perform=lambda: None)
