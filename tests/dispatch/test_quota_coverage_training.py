"""Quotas and sanctions, award eligibility, coverage of target villages, pre-service training (R-S5, R-S6, R-S8)."""

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import override_settings

from dispatch import selectors, services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import Dispatch, DispatchState, Pairing, Quota, QuotaSanction, RecallReason
from tests.factories import (
    CadreFactory,
    CountyFactory,
    TownshipFactory,
    UnitFactory,
    UserFactory,
    VillageFactory,
    VillageIncomeFactory,
    appoint,
)
from workflows.flows import open_tasks_for
from workflows.models import AuditEvent, Post, Role

YEAR = 2026
DEADLINE = datetime.date(2026, 6, 30)
BATCH_START, BATCH_END = datetime.date(2026, 3, 1), datetime.date(2026, 3, 3)
STATIONED_ON = datetime.date(2026, 3, 5)


# --- Helpers: every state reached through the services, as the pages reach it ---------------------


def _holder(role, **tier):
    return Post.objects.active().filter(role=role, **tier).order_by("pk").first().user


def batch_for(county, year=YEAR):
    """The county's training batch for the year, opened by its org dept if there is none yet."""
    batch = county.training_batches.filter(year=year).first()
    return batch or services.training_batch_create(
        county=county,
        year=year,
        name=f"{year}年第一期岗前培训班",
        starts_on=BATCH_START,
        ends_on=BATCH_END,
        content="驻村工作内容、方法、要求;农村政策",
        by=_holder(Role.ORG_DEPT, county=county),
    )


def advance(cadre, village, state, *, year=YEAR) -> Dispatch:
    """Nominate the cadre for a paired village and take the dispatch to `state` through the services."""
    unit, county = cadre.unit, cadre.unit.county
    head = _holder(Role.UNIT_HEAD, unit=unit)
    Pairing.objects.get_or_create(unit=unit, village=village, year=year)
    d = services.dispatch_nominate(cadre=cadre, village=village, by=head, year=year)
    if state == DispatchState.NOMINATED:
        return d
    if state == DispatchState.REJECTED:
        return services.dispatch_reject(dispatch=d, by=head, reason="不符合条件")
    if state == DispatchState.WITHDRAWN:
        return services.dispatch_withdraw(dispatch=d, by=head, reason="另有任用")
    d = services.dispatch_approve(dispatch=d, by=head)
    if state == DispatchState.APPROVED:
        return d
    org = _holder(Role.ORG_DEPT, county=county)
    [d] = services.dispatch_enrol(dispatches=[d], batch=batch_for(county, year), by=org)
    if state == DispatchState.TRAINING:
        return d
    [d] = services.dispatch_complete_training(dispatches=[d], completed_on=BATCH_END, by=org)
    d = services.dispatch_record_arrangements(
        dispatch=d,
        by=head,
        insurer="中国人寿汤阴支公司",
        insurance_policy_no=f"PA{year}-{d.pk:04d}",
        insurance_starts_on=BATCH_START,
        insurance_ends_on=datetime.date(year + 1, 3, 31),
        party_relation_transferred_on=datetime.date(year, 3, 4),
        living_allowance_yuan=600,
    )
    town = _holder(Role.TOWNSHIP_COMMITTEE, township=village.township)
    d = services.dispatch_station(dispatch=d, by=town, on=STATIONED_ON)
    if state == DispatchState.STATIONED:
        return d
    if state == DispatchState.RECALLED:
        recall = services.recall_propose(
            dispatch=d, by=town, reason=RecallReason.ABSENT_WITHOUT_REASON, details="连续五天无故不在村"
        )
        recall = services.recall_decide(recall=recall, by=org, approve=True)
        services.recall_carry_out(recall=recall, by=head, on=datetime.date(year, 7, 1))
        return Dispatch.objects.get(pk=d.pk)
    assert state == DispatchState.APPRAISED, state
    # No appraisal service exists yet: the model's own transition closes the term.
    d = Dispatch.objects.get(pk=d.pk)
    d.appraise(on=datetime.date(year + 1, 3, 4))
    d.save()
    return Dispatch.objects.get(pk=d.pk)


def new_cadre(unit, name):
    return CadreFactory(unit=unit, user=UserFactory(name=name))


# --- Quotas (R-S5) --------------------------------------------------------------------------------


def test_r_s5_org_dept_sets_then_updates_a_quota_with_audit(world):
    org = world["people"]["org"]
    quota = services.quota_set(
        unit=world["unit_a"], year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org
    )
    services.quota_set(
        unit=world["unit_a"],
        year=YEAR,
        cadres=3,
        deadline=datetime.date(2026, 7, 31),
        by=org,
        confirm_past_deadline=True,
    )
    stored = Quota.objects.get(pk=quota.pk)
    assert (stored.cadres, stored.deadline) == (3, datetime.date(2026, 7, 31))
    assert Quota.objects.filter(unit=world["unit_a"], year=YEAR).count() == 1
    events = AuditEvent.objects.filter(action="quota.set", object_id=str(quota.pk)).order_by("seq")
    assert [(e.from_state, e.to_state) for e in events] == [
        ("", "2 / 2026-06-30"),
        ("2 / 2026-06-30", "3 / 2026-07-31"),
    ]


def test_r_s5_quota_below_one_is_refused_and_nothing_written(world):
    with pytest.raises(ValidationError, match="至少为 1 名"):
        services.quota_set(
            unit=world["unit_a"],
            year=YEAR,
            cadres=0,
            deadline=DEADLINE,
            confirm_past_deadline=True,
            by=world["people"]["org"],
        )
    assert not Quota.objects.exists()


def test_r_s5_r_o4_only_the_org_dept_sets_quotas(world):
    for who in ("auditor", "head_a", "town_a", "outsider"):
        with pytest.raises(PermissionDenied):
            services.quota_set(
                unit=world["unit_a"],
                year=YEAR,
                cadres=1,
                deadline=DEADLINE,
                confirm_past_deadline=True,
                by=world["people"][who],
            )
    assert not Quota.objects.exists()


def test_r_s5_quota_cannot_change_after_enforcement(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    with pytest.raises(ValidationError, match="已到期核查"):
        services.quota_set(
            unit=world["unit_a"], year=YEAR, cadres=5, deadline=DEADLINE, confirm_past_deadline=True, by=org
        )
    assert Quota.objects.get(unit=world["unit_a"], year=YEAR).cadres == 1


def test_r_s5_enforcement_sanctions_exactly_the_units_below_quota_from_the_day_after_the_deadline(world):
    org = world["people"]["org"]
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    services.quota_set(
        unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org
    )  # met
    services.quota_set(
        unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org
    )  # missed
    sanctions = services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    assert [s.unit for s in sanctions] == [world["unit_b"]]
    sanction = QuotaSanction.objects.get()
    assert (sanction.unit, sanction.sent, sanction.starts_on, sanction.ends_on) == (
        world["unit_b"],
        0,
        datetime.date(2026, 7, 1),
        datetime.date(2029, 6, 30),
    )
    assert sanction.quota.year == YEAR
    assert Quota.objects.filter(enforced_at__isnull=False).count() == 2


def test_r_s5_a_deadline_not_yet_passed_is_not_enforced(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    assert services.quota_enforce(on=DEADLINE, by=org, county=world["county"]) == []
    assert Quota.objects.get().enforced_at is None
    assert len(services.quota_enforce(on=DEADLINE + datetime.timedelta(days=1), by=org, county=world["county"])) == 1


@override_settings(POLICY={**settings.POLICY, "QUOTA_SANCTION_YEARS": 2})
def test_r_s5_sanction_length_follows_the_quota_sanction_years_setting(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    [sanction] = services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    assert (sanction.starts_on, sanction.ends_on) == (datetime.date(2026, 7, 1), datetime.date(2028, 6, 30))


@pytest.mark.parametrize(
    "state, counts",
    [
        (DispatchState.NOMINATED, False),
        (DispatchState.REJECTED, False),
        (DispatchState.WITHDRAWN, False),
        (DispatchState.APPROVED, True),
        (DispatchState.TRAINING, True),
        (DispatchState.STATIONED, True),
        (DispatchState.APPRAISED, True),
        (DispatchState.RECALLED, False),
    ],
)
def test_r_s5_only_approved_training_stationed_and_appraised_dispatches_count_as_sent(world, state, counts):
    org = world["people"]["org"]
    advance(world["cadre_a"], world["village_a"], state)
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    sanctions = services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    assert (sanctions == []) is counts
    assert selectors.quota_progress(world["county"], YEAR).get().sent == (1 if counts else 0)


def test_r_s5_quota_progress_counts_sent_and_pending_per_unit(world):
    advance(world["cadre_a"], world["village_a"], DispatchState.STATIONED)
    advance(world["plain_a"], world["village_a2"], DispatchState.NOMINATED)
    advance(world["cadre_b"], world["village_b"], DispatchState.REJECTED)
    org = world["people"]["org"]
    for unit in (world["unit_a"], world["unit_b"]):
        services.quota_set(unit=unit, year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    progress = {q.unit: (q.sent, q.pending) for q in selectors.quota_progress(world["county"], YEAR)}
    assert progress == {world["unit_a"]: (1, 1), world["unit_b"]: (0, 0)}


def test_r_s5_enforcement_is_idempotent(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    first = services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    events = AuditEvent.objects.count()
    assert services.quota_enforce(on=datetime.date(2026, 7, 2), by=org, county=world["county"]) == []
    assert services.quota_enforce(on=datetime.date(2026, 7, 2)) == []
    assert list(QuotaSanction.objects.all()) == first
    assert AuditEvent.objects.count() == events


def test_r_s5_r_x1_enforcement_leaves_an_audit_record_for_each_quota(world):
    org = world["people"]["org"]
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    met = services.quota_set(
        unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org
    )
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    [sanction] = services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    met_event = AuditEvent.objects.get(action="quota.met")
    assert (met_event.object_id, met_event.actor, met_event.data) == (str(met.pk), org, {"sent": 1, "quota": 1})
    event = AuditEvent.objects.get(action="quota.sanction")
    assert (event.object_id, event.actor, event.to_state) == (str(sanction.pk), org, "sanctioned")
    assert "名额 2" in event.reason and "实派 0" in event.reason
    assert event.data == {"starts_on": "2026-07-01", "ends_on": "2029-06-30"}


def test_r_s5_r_o4_a_person_enforces_only_in_their_own_county(world):
    org, auditor = world["people"]["org"], world["people"]["auditor"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    other = CountyFactory(code="410526", name="滑县")
    with pytest.raises(PermissionDenied):
        services.quota_enforce(on=datetime.date(2026, 7, 1), by=auditor, county=world["county"])
    with pytest.raises(PermissionDenied):
        services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=other)
    with pytest.raises(PermissionDenied):
        services.quota_enforce(on=datetime.date(2026, 7, 1), by=org)
    assert not QuotaSanction.objects.exists()
    assert Quota.objects.get().enforced_at is None


def test_r_s5_enforce_quotas_command_covers_every_county_once_and_reports_in_chinese(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    other = CountyFactory(code="410526", name="滑县")
    other_unit = UnitFactory(county=other, name="滑县水利局")
    appoint(UserFactory(username="org_hua"), Role.ORG_DEPT, other)
    services.quota_set(
        unit=other_unit,
        year=YEAR,
        cadres=1,
        deadline=DEADLINE,
        confirm_past_deadline=True,
        by=_holder(Role.ORG_DEPT, county=other),
    )
    out = StringIO()
    call_command("enforce_quotas", "--date", "2026-07-01", stdout=out)
    text = out.getvalue()
    assert "到期核查日期:2026-07-01" in text
    assert "汤阴县 县教育局:2026 年度选派名额 2 名,实派 0 名;2026-07-01 至 2029-06-30" in text
    assert "滑县 滑县水利局" in text
    assert "共 2 个单位未完成选派任务" in text
    assert set(QuotaSanction.objects.values_list("unit__name", flat=True)) == {"县教育局", "滑县水利局"}
    assert AuditEvent.objects.get(action="quota.sanction", unit=world["unit_b"]).actor is None

    again = StringIO()
    call_command("enforce_quotas", "--date", "2026-07-02", stdout=again)
    assert "没有需要新增处理的单位" in again.getvalue()
    assert QuotaSanction.objects.count() == 2


def test_r_s5_enforce_quotas_command_refuses_a_malformed_date(world):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("enforce_quotas", "--date", "2026/07/01", stdout=StringIO())


def test_r_s5_enforce_quotas_command_defaults_to_today(world):
    org = world["people"]["org"]
    services.quota_set(
        unit=world["unit_b"],
        year=2020,
        cadres=1,
        deadline=datetime.date(2020, 6, 30),
        by=org,
        confirm_past_deadline=True,
    )
    out = StringIO()
    call_command("enforce_quotas", stdout=out)
    assert "县教育局" in out.getvalue()
    assert QuotaSanction.objects.get().starts_on == datetime.date(2020, 7, 1)


@pytest.mark.parametrize(
    "day, eligible",
    [
        (datetime.date(2026, 6, 30), True),  # the day before the sanction starts (the deadline itself)
        (datetime.date(2026, 7, 1), False),  # first day
        (datetime.date(2029, 6, 30), False),  # last day
        (datetime.date(2029, 7, 1), True),  # the day after
    ],
)
def test_r_s5_award_eligibility_around_the_sanction(world, day, eligible):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_enforce(on=datetime.date(2026, 7, 1), by=org, county=world["county"])
    ok, sanction = selectors.unit_is_award_eligible(world["unit_b"], on=day)
    assert ok is eligible
    assert (sanction is None) is eligible
    # The unit that was never sanctioned stays eligible throughout.
    assert selectors.unit_is_award_eligible(world["unit_a"], on=day) == (True, None)


# --- Coverage (R-S6) ------------------------------------------------------------------------------


@pytest.fixture
def categorised(world):
    """village_a weak leadership, village_a2 old revolutionary, village_b economically weak."""
    world["village_a"].is_weak_leadership = True
    world["village_a"].save()
    world["village_a2"].is_old_revolutionary = True
    world["village_a2"].save()
    VillageIncomeFactory(village=world["village_b"], year=2025, total_income=18000, subsidies=5000)
    return world


def _uncovered(county):
    return (
        {v.name: v.on_the_way for v in selectors.uncovered_target_villages(county, YEAR)},
        {v.name: v.on_the_way for v in selectors.uncovered_wherever_possible(county, YEAR)},
    )


def test_r_s6_target_and_wherever_possible_villages_are_listed_apart(categorised):
    assert _uncovered(categorised["county"]) == ({"东官庄村": False, "西街村": False}, {"西官庄村": False})


def test_r_s6_a_stationed_cadre_covers_the_village(categorised):
    advance(categorised["cadre_a"], categorised["village_a"], DispatchState.STATIONED)
    advance(categorised["plain_a"], categorised["village_a2"], DispatchState.STATIONED)
    assert _uncovered(categorised["county"]) == ({"西街村": False}, {})


def test_r_s6_a_nomination_does_not_cover_but_is_on_the_way(categorised):
    advance(categorised["cadre_b"], categorised["village_b"], DispatchState.NOMINATED)
    advance(categorised["cadre_a"], categorised["village_a"], DispatchState.TRAINING)
    assert _uncovered(categorised["county"]) == ({"东官庄村": True, "西街村": True}, {"西官庄村": False})


def test_r_s6_a_recalled_cadre_no_longer_covers(categorised):
    advance(categorised["cadre_a"], categorised["village_a"], DispatchState.RECALLED)
    targets, _possible = _uncovered(categorised["county"])
    assert targets == {"东官庄村": False, "西街村": False}


def test_r_s6_coverage_only_counts_a_cadre_stationed_this_year(categorised):
    advance(categorised["cadre_a"], categorised["village_a"], DispatchState.STATIONED, year=2025)
    assert "东官庄村" in _uncovered(categorised["county"])[0]
    assert "东官庄村" not in {v.name for v in selectors.uncovered_target_villages(categorised["county"], 2025)}


def test_r_s6_coverage_by_township_counts_targets_and_wherever_possible(categorised):
    advance(categorised["cadre_a"], categorised["village_a"], DispatchState.STATIONED)
    rows = {r["township__name"]: r for r in selectors.coverage_by_township(categorised["county"], YEAR)}
    pick = ("targets", "targets_covered", "possible", "possible_covered")
    assert {name: tuple(r[k] for k in pick) for name, r in rows.items()} == {
        "菜园镇": (1, 1, 1, 0),
        "宜沟镇": (1, 0, 0, 0),
    }


# --- Pre-service training (R-S8) ------------------------------------------------------------------


def test_r_s8_only_approved_dispatches_are_enrolled(world):
    org = world["people"]["org"]
    nominated = advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
    batch = batch_for(world["county"])
    with pytest.raises(ValidationError, match="已推荐,待审批"):
        services.dispatch_enrol(dispatches=[nominated], batch=batch, by=org)
    stored = Dispatch.objects.get(pk=nominated.pk)
    assert (stored.state, stored.training_batch) == (DispatchState.NOMINATED, None)


def test_r_s8_enrolment_moves_approved_cadres_into_the_batch_with_audit(world):
    org = world["people"]["org"]
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    batch = batch_for(world["county"])
    services.dispatch_enrol(dispatches=[approved], batch=batch, by=org)
    stored = Dispatch.objects.get(pk=approved.pk)
    assert (stored.state, stored.training_batch) == (DispatchState.TRAINING, batch)
    event = AuditEvent.objects.get(action="dispatch.enrol")
    assert (event.from_state, event.to_state, event.actor) == ("approved", "training", org)


def test_r_s8_r_o4_a_cadre_of_another_county_cannot_join_the_batch(world):
    other = CountyFactory(code="410526", name="滑县")
    other_unit = UnitFactory(county=other, name="滑县水利局")
    appoint(UserFactory(username="head_hua"), Role.UNIT_HEAD, other_unit)
    village = VillageFactory(township=TownshipFactory(county=other, name="道口镇"), name="东关村")
    approved = advance(new_cadre(other_unit, "周建设"), village, DispatchState.APPROVED)
    with pytest.raises(ValidationError, match="不是本县的干部"):
        services.dispatch_enrol(dispatches=[approved], batch=batch_for(world["county"]), by=world["people"]["org"])
    assert Dispatch.objects.get(pk=approved.pk).state == DispatchState.APPROVED


def test_r_s8_completion_is_recorded_only_for_enrolled_cadres(world):
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    with pytest.raises(ValidationError, match="不在岗前培训中"):
        services.dispatch_complete_training(dispatches=[approved], completed_on=BATCH_END, by=world["people"]["org"])
    assert Dispatch.objects.get(pk=approved.pk).training_completed_on is None


def test_r_s8_r_o4_only_the_org_dept_records_training(world):
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    batch = batch_for(world["county"])
    for who in ("auditor", "head_a", "town_a"):
        with pytest.raises(PermissionDenied):
            services.dispatch_enrol(dispatches=[approved], batch=batch, by=world["people"][who])
    assert Dispatch.objects.get(pk=approved.pk).state == DispatchState.APPROVED


def test_r_s8_stationing_is_refused_until_training_is_completed(world):
    d = advance(world["cadre_a"], world["village_a"], DispatchState.TRAINING)
    services.dispatch_record_arrangements(
        dispatch=d,
        by=world["people"]["head_a"],
        insurer="中国人寿",
        insurance_policy_no="PA-1",
        insurance_starts_on=BATCH_START,
        insurance_ends_on=datetime.date(2027, 3, 31),
        party_relation_transferred_on=datetime.date(2026, 3, 4),
        living_allowance_yuan=600,
    )
    with pytest.raises(ValidationError, match="岗前培训"):
        services.dispatch_station(dispatch=d, by=world["people"]["town_a"], on=STATIONED_ON)
    assert Dispatch.objects.get(pk=d.pk).state == DispatchState.TRAINING

    services.dispatch_complete_training(dispatches=[d], completed_on=BATCH_END, by=world["people"]["org"])
    stationed = services.dispatch_station(dispatch=d, by=world["people"]["town_a"], on=STATIONED_ON)
    assert Dispatch.objects.get(pk=stationed.pk).state == DispatchState.STATIONED


def _open_task(user, dispatch):
    return [t for t in open_tasks_for(user, [DispatchFlow, RecallFlow]) if t.process.artifact == dispatch]


def test_r_s8_completion_hands_the_flow_to_the_units_arrangements_task(client, world):
    p = world["people"]
    d = advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
    # The flow moves when the head decides in the approval task, as on the page.
    [approve] = _open_task(p["head_a"], d)
    client.force_login(p["head_a"])
    assert client.post(approve.execute_url, {"decision": "approve", "comment": ""}).status_code == 302
    services.dispatch_enrol(dispatches=[d], batch=batch_for(world["county"]), by=p["org"])
    assert _open_task(p["deputy_a"], d) == []
    services.dispatch_complete_training(dispatches=[d], completed_on=BATCH_END, by=p["org"])
    [task] = _open_task(p["deputy_a"], d)
    assert task.flow_task.name == "arrange"
    assert Dispatch.objects.get(pk=d.pk).training_completed_on == BATCH_END
