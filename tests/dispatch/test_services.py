"""Dispatch services: side effects, audit rows, refusals that change nothing, and tiers (R-S1 to R-S9, R-M5a, R-X1)."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from viewflow.workflow.status import PROCESS, STATUS

from dispatch import selectors, services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import (
    Dispatch,
    DispatchState,
    Exclusion,
    Pairing,
    Quota,
    Recall,
    RecallReason,
    RecallState,
    TeamLeader,
    TrainingBatch,
    WorkGroup,
)
from tests.conftest import YEAR
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.flows import open_task, open_tasks_for, process_of
from workflows.models import AuditEvent, Cadre

ARRANGEMENTS = {
    "insurer": "中国人寿汤阴支公司",
    "insurance_policy_no": "PA2026-001",
    "insurance_starts_on": datetime.date(2026, 3, 1),
    "insurance_ends_on": datetime.date(2027, 3, 31),
    "party_relation_transferred_on": datetime.date(2026, 3, 4),
    "living_allowance_yuan": Decimal("600"),
}
STATIONED_ON = datetime.date(2026, 3, 5)
LABELS = {name: str(Dispatch._meta.get_field(name).verbose_name) for name in ARRANGEMENTS}


def _policy(**changes):
    return override_settings(POLICY={**settings.POLICY, **changes})


def _refuses(error_class, message, call):
    """Run a call that must be refused with a message containing `message`; return that message."""
    with pytest.raises(error_class) as info:
        call()
    text = " ".join(info.value.messages) if isinstance(info.value, ValidationError) else str(info.value)
    assert message in text, text
    return text


def _events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


# --- Steps through the services ----------------------------------------------------------------


def _nominate(w, cadre=None, village=None, by=None, **kwargs):
    return services.dispatch_nominate(
        cadre=cadre or w["cadre_a"],
        village=village or w["village_a"],
        by=by or w["people"]["deputy_a"],
        year=YEAR,
        **kwargs,
    )


def _approve(w, dispatch):
    return services.dispatch_approve(dispatch=dispatch, by=w["people"]["head_a"], comment="同意")


def _batch(w):
    batch = TrainingBatch.objects.filter(name="第一期").first()
    return batch or services.training_batch_create(
        county=w["county"],
        year=YEAR,
        name="第一期",
        starts_on=datetime.date(2026, 2, 24),
        ends_on=datetime.date(2026, 2, 28),
        content="农村政策",
        by=w["people"]["org"],
    )


def _enrol(w, dispatch):
    return services.dispatch_enrol(dispatches=[dispatch], batch=_batch(w), by=w["people"]["org"])[0]


def _complete(w, dispatch):
    return services.dispatch_complete_training(
        dispatches=[dispatch], completed_on=datetime.date(2026, 2, 28), by=w["people"]["org"]
    )[0]


def _arrange(w, dispatch, **changes):
    return services.dispatch_record_arrangements(
        dispatch=dispatch, by=w["people"]["deputy_a"], **{**ARRANGEMENTS, **changes}
    )


def _station(w, dispatch, on=STATIONED_ON):
    return services.dispatch_station(dispatch=dispatch, by=w["people"]["town_a"], on=on)


STAGES = ["nominated", "approved", "training", "trained", "arranged", "stationed"]


def _dispatch_at(w, stage, cadre=None, village=None):
    """Take a new dispatch through the services up to `stage`."""
    dispatch = _nominate(w, cadre=cadre, village=village)
    steps = [_approve, _enrol, _complete, _arrange, _station]
    for step in steps[: STAGES.index(stage)]:
        dispatch = step(w, dispatch)
    return Dispatch.objects.get(pk=dispatch.pk)


def _proposed_recall(w, dispatch=None, own_fault=True):
    dispatch = dispatch or _dispatch_at(w, "stationed")
    return services.recall_propose(
        dispatch=dispatch,
        by=w["people"]["town_a"],
        own_fault=own_fault,
        reason=RecallReason.ABSENT_WITHOUT_REASON,
        details="6月无故脱岗5个工作日",
    )


def _approved_recall(w, dispatch=None, own_fault=True):
    recall = _proposed_recall(w, dispatch, own_fault)
    return services.recall_decide(recall=recall, by=w["people"]["org"], approve=True, comment="同意召回")


# --- Nomination (R-S1, R-S2, R-S4, R-S6) ------------------------------------------------------


def test_r_s1_nomination_creates_a_dispatch_starts_the_flow_and_is_audited(world):
    dispatch = _nominate(world, note="熟悉农业政策")
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.unit, stored.year, stored.source, stored.nominated_by) == (
        DispatchState.NOMINATED,
        world["unit_a"],
        YEAR,
        "unit",
        world["people"]["deputy_a"],
    )
    assert open_task(DispatchFlow, "approve", stored) is not None
    [event] = _events("dispatch.nominate")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        world["people"]["deputy_a"],
        "",
        DispatchState.NOMINATED,
        "熟悉农业政策",
    )
    assert event.unit == world["unit_a"] and event.township == world["town_a"]
    assert event.data == {"cadre": "李卫东", "village": "东官庄村", "exclusion": "", "source": "unit"}


@pytest.mark.parametrize("stage", ["nominated", "approved", "training", "stationed"])
def test_r_s1_cadre_in_an_active_dispatch_cannot_be_nominated_again(world, stage):
    _dispatch_at(world, stage)
    events = AuditEvent.objects.count()
    _refuses(ValidationError, "李卫东 已在选派中,不能重复推荐。", lambda: _nominate(world, village=world["village_a2"]))
    assert Dispatch.objects.filter(cadre=world["cadre_a"]).count() == 1
    assert AuditEvent.objects.count() == events


def test_r_s1_cadre_whose_nomination_was_rejected_may_be_nominated_again(world):
    first = _nominate(world)
    services.dispatch_reject(dispatch=first, by=world["people"]["head_a"], reason="另有安排")
    second = _nominate(world, village=world["village_a2"])
    assert Dispatch.objects.get(pk=second.pk).state == DispatchState.NOMINATED


def test_r_s6_a_village_gets_one_cadre_a_year_by_default(world):
    _nominate(world)
    events = AuditEvent.objects.count()
    _refuses(
        ValidationError,
        "东官庄村 本年度已有选派干部,不能再派第二名。",
        lambda: _nominate(world, cadre=world["plain_a"]),
    )
    assert not Dispatch.objects.filter(cadre=world["plain_a"]).exists()
    assert AuditEvent.objects.count() == events


def test_r_s6_two_cadres_per_village_when_the_policy_allows_it(world):
    _nominate(world)
    with _policy(ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND=True):
        second = _nominate(world, cadre=world["plain_a"])
    assert Dispatch.objects.get(pk=second.pk).village == world["village_a"]
    assert Dispatch.objects.filter(village=world["village_a"], state=DispatchState.NOMINATED).count() == 2


def test_r_s6_policy_off_is_the_default_and_refuses(world):
    with _policy(ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND=False):
        _nominate(world)
        _refuses(ValidationError, "不能再派第二名", lambda: _nominate(world, cadre=world["plain_a"]))


def test_r_s6_a_village_whose_nomination_was_withdrawn_may_get_another(world):
    first = _nominate(world)
    services.dispatch_withdraw(dispatch=first, by=world["people"]["deputy_a"], reason="本人家中有变故")
    second = _nominate(world, cadre=world["plain_a"])
    assert Dispatch.objects.get(pk=second.pk).state == DispatchState.NOMINATED


def test_r_s6_village_not_paired_with_the_unit_is_refused(world):
    _refuses(
        ValidationError, "西街村 不是本单位 2026 年度的结对村。", lambda: _nominate(world, village=world["village_b"])
    )
    _refuses(
        ValidationError,
        "东官庄村 不是本单位 2027 年度的结对村。",
        lambda: services.dispatch_nominate(
            cadre=world["cadre_a"], village=world["village_a"], by=world["people"]["deputy_a"], year=2027
        ),
    )
    assert not Dispatch.objects.exists()
    assert not _events("dispatch.nominate")


@pytest.mark.parametrize("exclusion", Exclusion.values)
def test_r_s4_excluded_nomination_keeps_its_reason(world, exclusion):
    dispatch = _nominate(world, cadre=world["plain_a"], exclusion=exclusion, exclusion_note=" 群众反映其作风漂浮 ")
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.exclusion, stored.exclusion_note) == (exclusion, "群众反映其作风漂浮")
    [event] = _events("dispatch.nominate")
    assert event.reason == "群众反映其作风漂浮" and event.data["exclusion"] == exclusion


def test_r_s4_exclusion_needs_a_note_and_a_known_reason(world):
    _refuses(ValidationError, "请写明具体情况", lambda: _nominate(world, exclusion=Exclusion.UNWILLING))
    _refuses(ValidationError, "不宜选派情形无效", lambda: _nominate(world, exclusion="lazy", exclusion_note="x"))
    assert not Dispatch.objects.exists()


@pytest.mark.parametrize("exclusion", Exclusion.values)
def test_r_s4_excluded_nomination_cannot_be_approved_and_the_message_says_why(world, exclusion):
    dispatch = _nominate(world, exclusion=exclusion, exclusion_note="单位如实记录")
    events = AuditEvent.objects.count()
    text = _refuses(ValidationError, "不能批准", lambda: _approve(world, dispatch))
    assert str(Exclusion(exclusion).label) in text
    assert text == f"该干部已记录为不宜选派({Exclusion(exclusion).label}),不能批准。"
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    assert AuditEvent.objects.count() == events
    services.dispatch_reject(dispatch=dispatch, by=world["people"]["head_a"], reason="宁可不派")
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.REJECTED


# --- Decision (R-S1, R-S3) --------------------------------------------------------------------


def test_r_s1_approval_records_the_decision_and_audits_it(world):
    dispatch = _nominate(world)
    services.dispatch_approve(dispatch=dispatch, by=world["people"]["head_a"], comment=" 同意选派 ")
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.decided_by, stored.decision_comment) == (
        DispatchState.APPROVED,
        world["people"]["head_a"],
        "同意选派",
    )
    assert stored.decided_at is not None
    [event] = _events("dispatch.approve")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        world["people"]["head_a"],
        DispatchState.NOMINATED,
        DispatchState.APPROVED,
        "同意选派",
    )
    assert event.data["reserve_warning_shown"] == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_r_s1_rejection_needs_a_reason(world, reason):
    dispatch = _nominate(world)
    events = AuditEvent.objects.count()
    _refuses(
        ValidationError,
        "请填写不批准的理由。",
        lambda: services.dispatch_reject(dispatch=dispatch, by=world["people"]["head_a"], reason=reason),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    assert AuditEvent.objects.count() == events


def test_r_s1_rejection_keeps_the_reason_and_audits_it(world):
    dispatch = _nominate(world)
    services.dispatch_reject(dispatch=dispatch, by=world["people"]["head_a"], reason="近期承担重点项目")
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.decided_by, stored.decision_comment) == (
        DispatchState.REJECTED,
        world["people"]["head_a"],
        "近期承担重点项目",
    )
    [event] = _events("dispatch.reject")
    assert (event.from_state, event.to_state, event.reason) == ("nominated", "rejected", "近期承担重点项目")


@pytest.mark.parametrize("first", ["approve", "reject"])
def test_r_s1_a_decided_nomination_cannot_be_decided_again(world, first):
    dispatch = _nominate(world)
    if first == "approve":
        _approve(world, dispatch)
    else:
        services.dispatch_reject(dispatch=dispatch, by=world["people"]["head_a"], reason="另有安排")
    state = Dispatch.objects.get(pk=dispatch.pk).state
    events = AuditEvent.objects.count()
    _refuses(ValidationError, "已经处理过", lambda: _approve(world, dispatch))
    _refuses(
        ValidationError,
        "已经处理过",
        lambda: services.dispatch_reject(dispatch=dispatch, by=world["people"]["head_a"], reason="改主意"),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).state == state
    assert AuditEvent.objects.count() == events


@pytest.fixture
def reserve_world(world):
    """unit_a with a waiting reserve cadre, a key-cultivation cadre and a plain cadre, each for its own village."""
    w = dict(world)
    w["village_a3"] = VillageFactory(township=w["town_a"], name="南官庄村")
    w["village_a4"] = VillageFactory(township=w["town_a"], name="北官庄村")
    for village in (w["village_a3"], w["village_a4"]):
        Pairing.objects.create(unit=w["unit_a"], village=village, year=YEAR)
    w["key_a"] = CadreFactory(
        unit=w["unit_a"], user=UserFactory(username="key_a", name="钱重点"), is_key_cultivation=True
    )
    return w


def test_r_s3_approving_a_plain_cadre_while_a_reserve_waits_records_the_warning(reserve_world):
    w = reserve_world
    reserve = _nominate(w, cadre=w["cadre_a"], village=w["village_a"])
    key = _nominate(w, cadre=w["key_a"], village=w["village_a3"])
    plain = _nominate(w, cadre=w["plain_a"], village=w["village_a2"])
    assert [d.pk for d in selectors.waiting_reserve_candidates(plain)] == sorted([reserve.pk, key.pk])
    _approve(w, plain)
    [event] = _events("dispatch.approve")
    assert sorted(event.data["reserve_warning_shown"]) == sorted(["李卫东", "钱重点"])


def test_r_s3_no_warning_when_approving_a_reserve_or_key_cadre(reserve_world):
    w = reserve_world
    reserve = _nominate(w, cadre=w["cadre_a"], village=w["village_a"])
    key = _nominate(w, cadre=w["key_a"], village=w["village_a3"])
    _nominate(w, cadre=w["plain_a"], village=w["village_a2"])
    assert selectors.waiting_reserve_candidates(reserve) == []
    _approve(w, reserve)
    _approve(w, key)
    assert [e.data["reserve_warning_shown"] for e in _events("dispatch.approve")] == [[], []]


def test_r_s3_warning_leaves_out_excluded_decided_other_unit_and_other_year_reserve_cadres(reserve_world):
    w = reserve_world
    # An excluded reserve cadre is not an eligible alternative (R-S4).
    _nominate(w, cadre=w["cadre_a"], village=w["village_a"], exclusion=Exclusion.UNWILLING, exclusion_note="不情愿")
    # A key-cultivation cadre already approved is no longer waiting.
    _approve(w, _nominate(w, cadre=w["key_a"], village=w["village_a3"]))
    # Another unit's reserve cadre and a reserve cadre of another round do not count.
    w["cadre_b"].is_reserve = True
    w["cadre_b"].save()
    _nominate(w, cadre=w["cadre_b"], village=w["village_b"], by=w["people"]["head_b"])
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a4"], year=YEAR + 1)
    other = CadreFactory(unit=w["unit_a"], user=UserFactory(username="next_year", name="明年后备"), is_reserve=True)
    services.dispatch_nominate(cadre=other, village=w["village_a4"], by=w["people"]["deputy_a"], year=YEAR + 1)
    plain = _nominate(w, cadre=w["plain_a"], village=w["village_a2"])
    assert selectors.waiting_reserve_candidates(plain) == []
    _approve(w, plain)
    assert _events("dispatch.approve")[-1].data["reserve_warning_shown"] == []


def test_r_s3_candidates_list_reserve_then_key_cultivation_first_and_leave_out_busy_cadres(reserve_world):
    w = reserve_world
    extra = [
        CadreFactory(unit=w["unit_a"], user=UserFactory(username=f"extra{n}", name=name))
        for n, name in enumerate(["孙普通", "白普通"])
    ]
    extra_key = CadreFactory(
        unit=w["unit_a"], user=UserFactory(username="key2", name="安重点"), is_key_cultivation=True
    )
    both = CadreFactory(
        unit=w["unit_a"], user=UserFactory(username="both", name="马双优"), is_reserve=True, is_key_cultivation=True
    )
    CadreFactory(unit=w["unit_b"], user=UserFactory(username="other_unit", name="外单位"), is_reserve=True)
    plain = sorted([w["plain_a"], *extra], key=lambda c: c.name)
    keys = sorted([w["key_a"], extra_key], key=lambda c: c.name)
    expected = [both, w["cadre_a"], *keys, *plain]
    assert list(selectors.candidates_for_unit(w["unit_a"])) == expected

    dispatch = _nominate(w, cadre=w["cadre_a"])
    assert w["cadre_a"] not in selectors.candidates_for_unit(w["unit_a"])
    services.dispatch_reject(dispatch=dispatch, by=w["people"]["head_a"], reason="另有安排")
    assert list(selectors.candidates_for_unit(w["unit_a"])) == expected
    _dispatch_at(w, "stationed", cadre=w["key_a"], village=w["village_a3"])
    assert w["key_a"] not in selectors.candidates_for_unit(w["unit_a"])


# --- Withdrawal (R-S1) ------------------------------------------------------------------------


def test_r_s1_withdrawal_before_the_decision_cancels_the_flow_and_is_audited(world):
    dispatch = _nominate(world)
    assert len(open_tasks_for(world["people"]["head_a"], [DispatchFlow])) == 1
    services.dispatch_withdraw(dispatch=dispatch, by=world["people"]["deputy_a"], reason=" 本人家中有变故 ")
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.end_reason) == (DispatchState.WITHDRAWN, "本人家中有变故")
    process = process_of(DispatchFlow, stored)
    assert process.status == PROCESS.CANCELED
    assert set(process.task_set.filter(flow_task_type="HUMAN").values_list("status", flat=True)) == {STATUS.CANCELED}
    assert open_tasks_for(world["people"]["head_a"], [DispatchFlow]) == []
    [event] = _events("dispatch.withdraw")
    assert (event.actor, event.from_state, event.to_state, event.reason) == (
        world["people"]["deputy_a"],
        "nominated",
        "withdrawn",
        "本人家中有变故",
    )


@pytest.mark.parametrize("stage", ["approved", "training", "stationed"])
def test_r_s1_withdrawal_after_the_decision_is_refused(world, stage):
    dispatch = _dispatch_at(world, stage)
    events = AuditEvent.objects.count()
    _refuses(
        ValidationError,
        "已经处理过",
        lambda: services.dispatch_withdraw(dispatch=dispatch, by=world["people"]["deputy_a"], reason="改主意"),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).state == stage
    assert AuditEvent.objects.count() == events
    assert process_of(DispatchFlow, dispatch).status != PROCESS.CANCELED


def test_r_s1_withdrawal_needs_a_reason(world):
    dispatch = _nominate(world)
    _refuses(
        ValidationError,
        "请填写撤回的理由。",
        lambda: services.dispatch_withdraw(dispatch=dispatch, by=world["people"]["deputy_a"], reason=" "),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    assert process_of(DispatchFlow, dispatch).status == PROCESS.NEW


# --- Training (R-S8) --------------------------------------------------------------------------


def test_r_s8_training_batch_enrolment_and_completion_are_recorded_and_audited(world):
    dispatch = _dispatch_at(world, "approved")
    batch = _batch(world)
    assert _events("training.create")[0].actor == world["people"]["org"]
    _enrol(world, dispatch)
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.training_batch, stored.training_completed_on) == (DispatchState.TRAINING, batch, None)
    [event] = _events("dispatch.enrol")
    assert (event.from_state, event.to_state, event.data["batch"]) == ("approved", "training", "第一期")
    _complete(world, dispatch)
    assert Dispatch.objects.get(pk=dispatch.pk).training_completed_on == datetime.date(2026, 2, 28)
    [event] = _events("dispatch.training_completed")
    assert event.data["completed_on"] == "2026-02-28" and event.actor == world["people"]["org"]


def test_r_s8_training_batch_must_end_after_it_starts(world):
    _refuses(
        ValidationError,
        "结业日期不能早于开班日期。",
        lambda: services.training_batch_create(
            county=world["county"],
            year=YEAR,
            name="倒序班",
            starts_on=datetime.date(2026, 3, 1),
            ends_on=datetime.date(2026, 2, 1),
            content="",
            by=world["people"]["org"],
        ),
    )
    assert not TrainingBatch.objects.exists()


def test_r_s8_only_approved_cadres_are_enrolled_and_only_enrolled_ones_complete(world):
    dispatch = _nominate(world)
    _refuses(ValidationError, "已经处理过", lambda: _enrol(world, dispatch))
    _refuses(ValidationError, "李卫东 不在岗前培训中。", lambda: _complete(world, dispatch))
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.training_batch, stored.training_completed_on) == ("nominated", None, None)


def test_r_s8_completion_cannot_predate_the_batch(world):
    dispatch = _dispatch_at(world, "training")
    _refuses(
        ValidationError,
        "结业日期不能早于开班日期。",
        lambda: services.dispatch_complete_training(
            dispatches=[dispatch], completed_on=datetime.date(2026, 2, 1), by=world["people"]["org"]
        ),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).training_completed_on is None


def test_r_s8_completion_moves_a_waiting_flow_on_to_the_arrangements(client, world):
    dispatch = _nominate(world)
    client.force_login(world["people"]["head_a"])
    [task] = open_tasks_for(world["people"]["head_a"], [DispatchFlow])
    assert client.post(task.execute_url, {"decision": "approve", "comment": "同意"}).status_code == 302
    assert open_task(DispatchFlow, "training", dispatch) is not None
    _enrol(world, dispatch)
    assert open_task(DispatchFlow, "arrange", dispatch) is None
    _complete(world, dispatch)
    assert open_task(DispatchFlow, "training", dispatch) is None
    assert open_task(DispatchFlow, "arrange", dispatch) is not None


# --- Arrangements and stationing (R-S7, R-S9) -------------------------------------------------


def test_r_s9_arrangements_are_recorded_and_audited(world):
    dispatch = _dispatch_at(world, "arranged")
    for name, value in ARRANGEMENTS.items():
        assert getattr(dispatch, name) == value, name
    [event] = _events("dispatch.arrangements")
    assert event.actor == world["people"]["deputy_a"]
    assert event.data == {
        "insurer": "中国人寿汤阴支公司",
        "policy": "PA2026-001",
        "insured": "2026-03-01–2027-03-31",
        "party_relation": "2026-03-04",
        "allowance": "600",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"insurance_ends_on": datetime.date(2026, 2, 1)}, "保险止期不能早于起期。"),
        ({"living_allowance_yuan": Decimal("0")}, "生活补助应大于 0 元。"),
        ({"living_allowance_yuan": None}, "生活补助应大于 0 元。"),
    ],
)
def test_r_s9_arrangements_must_make_sense(world, changes, message):
    dispatch = _dispatch_at(world, "trained")
    _refuses(ValidationError, message, lambda: _arrange(world, dispatch, **changes))
    assert Dispatch.objects.get(pk=dispatch.pk).insurer == ""
    assert not _events("dispatch.arrangements")


@pytest.mark.parametrize("stage", ["nominated", "stationed"])
def test_r_s9_arrangements_only_between_approval_and_stationing(world, stage):
    dispatch = _dispatch_at(world, stage)
    events = AuditEvent.objects.count()
    _refuses(
        ValidationError,
        "只有已批准、尚未到村的干部才能登记这些保障事项。",
        lambda: _arrange(world, dispatch, insurer="另一家保险公司"),
    )
    assert Dispatch.objects.get(pk=dispatch.pk).insurer == ("" if stage == "nominated" else "中国人寿汤阴支公司")
    assert AuditEvent.objects.count() == events


def test_r_s9_stationing_is_refused_naming_every_missing_item(world):
    dispatch = _dispatch_at(world, "trained")
    text = _refuses(ValidationError, "尚不能到村:还缺 ", lambda: _station(world, dispatch))
    assert text == "尚不能到村:还缺 " + "、".join(LABELS.values()) + "。"
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.TRAINING
    assert not _events("dispatch.station")


@pytest.mark.parametrize("missing", list(ARRANGEMENTS))
def test_r_s9_stationing_is_refused_while_one_item_is_missing(world, missing):
    dispatch = _dispatch_at(world, "arranged")
    blank = "" if missing in ("insurer", "insurance_policy_no") else None
    Dispatch.objects.filter(pk=dispatch.pk).update(**{missing: blank})
    text = _refuses(ValidationError, LABELS[missing], lambda: _station(world, dispatch))
    assert text == f"尚不能到村:还缺 {LABELS[missing]}。"
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.TRAINING


def test_r_s8_stationing_is_refused_before_training_is_completed(world):
    dispatch = _dispatch_at(world, "training")
    _arrange(world, dispatch)
    text = _refuses(ValidationError, "岗前培训结业", lambda: _station(world, dispatch))
    assert text == "尚不能到村:还缺 岗前培训结业。"
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.TRAINING


@pytest.mark.parametrize("on", [datetime.date(2026, 2, 28), datetime.date(2027, 4, 1)])
def test_r_s9_station_date_outside_the_insurance_period_is_refused(world, on):
    dispatch = _dispatch_at(world, "arranged")
    _refuses(ValidationError, "到村日期不在意外伤害保险期内。", lambda: _station(world, dispatch, on=on))
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.stationed_on) == (DispatchState.TRAINING, None)


@pytest.mark.parametrize("on", [datetime.date(2026, 3, 1), datetime.date(2027, 3, 31)])
def test_r_s9_station_date_on_either_end_of_the_insurance_period_is_accepted(world, on):
    dispatch = _dispatch_at(world, "arranged")
    assert _station(world, dispatch, on=on).state == DispatchState.STATIONED


def test_r_s7_stationing_starts_a_one_year_term_and_is_audited(world):
    dispatch = _dispatch_at(world, "stationed")
    assert (dispatch.state, dispatch.stationed_on, dispatch.term_ends_on) == (
        DispatchState.STATIONED,
        STATIONED_ON,
        datetime.date(2027, 3, 4),
    )
    [event] = _events("dispatch.station")
    assert (event.actor, event.from_state, event.to_state) == (world["people"]["town_a"], "training", "stationed")
    assert event.data["term_ends_on"] == "2027-03-04" and event.data["stationed_on"] == "2026-03-05"


def test_r_s7_term_follows_the_term_months_setting(world):
    dispatch = _dispatch_at(world, "arranged")
    with _policy(TERM_MONTHS=24):
        stationed = _station(world, dispatch)
    assert stationed.term_ends_on == datetime.date(2028, 3, 4)


@pytest.mark.parametrize(
    ("months", "stationed_on", "ends_on"),
    [
        (12, datetime.date(2026, 3, 5), datetime.date(2027, 3, 4)),
        (24, datetime.date(2026, 3, 5), datetime.date(2028, 3, 4)),
        (12, datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        (12, datetime.date(2026, 1, 31), datetime.date(2027, 1, 30)),
        (12, datetime.date(2026, 12, 31), datetime.date(2027, 12, 30)),
        (24, datetime.date(2026, 12, 31), datetime.date(2028, 12, 30)),
        # A later month without that day is clipped to its last day; the term ends the day before.
        (1, datetime.date(2026, 1, 31), datetime.date(2026, 2, 27)),
        (1, datetime.date(2028, 1, 31), datetime.date(2028, 2, 28)),
        (6, datetime.date(2026, 8, 31), datetime.date(2027, 2, 27)),
        (12, datetime.date(2028, 2, 29), datetime.date(2029, 2, 27)),
        (48, datetime.date(2028, 2, 29), datetime.date(2032, 2, 28)),
        (1, datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)),
    ],
)
def test_r_s7_term_end_counts_the_stationing_day_as_day_one(months, stationed_on, ends_on):
    with _policy(TERM_MONTHS=months):
        assert services.term_end(stationed_on) == ends_on


# --- Recall (R-M5a) ---------------------------------------------------------------------------


def test_r_m5a_township_proposes_a_recall_which_starts_the_recall_flow(world):
    recall = _proposed_recall(world)
    stored = Recall.objects.get(pk=recall.pk)
    assert (stored.state, stored.proposed_by, stored.own_fault) == (
        RecallState.PROPOSED,
        world["people"]["town_a"],
        True,
    )
    assert open_task(RecallFlow, "decide", stored) is not None
    assert [t.process.artifact for t in open_tasks_for(world["people"]["org"], [RecallFlow])] == [stored]
    [event] = _events("recall.propose")
    assert (event.actor, event.to_state, event.reason) == (
        world["people"]["town_a"],
        "proposed",
        "无故脱岗:6月无故脱岗5个工作日",
    )


def test_r_m5a_recall_is_proposed_only_for_a_stationed_cadre_with_reason_and_details(world):
    dispatch = _dispatch_at(world, "trained")
    propose = services.recall_propose
    town = world["people"]["town_a"]
    _refuses(
        ValidationError,
        "只能对驻村中的干部提出召回。",
        lambda: propose(dispatch=dispatch, by=town, reason="other", details="情况"),
    )
    stationed = _station(world, _arrange(world, dispatch))
    _refuses(ValidationError, "请选择召回原因。", lambda: propose(dispatch=stationed, by=town, reason="", details="x"))
    _refuses(
        ValidationError, "请写明具体情况。", lambda: propose(dispatch=stationed, by=town, reason="other", details=" ")
    )
    _proposed_recall(world, stationed)
    _refuses(ValidationError, "该干部已有待处理的召回。", lambda: _proposed_recall(world, stationed))
    assert Recall.objects.count() == 1


def test_r_m5a_org_dept_declines_with_a_reason_and_the_cadre_stays(world):
    recall = _proposed_recall(world)
    org = world["people"]["org"]
    _refuses(
        ValidationError,
        "不同意召回时请写明理由。",
        lambda: services.recall_decide(recall=recall, by=org, approve=False, comment=""),
    )
    assert Recall.objects.get(pk=recall.pk).state == RecallState.PROPOSED
    services.recall_decide(recall=recall, by=org, approve=False, comment="再观察一个月")
    stored = Recall.objects.get(pk=recall.pk)
    assert (stored.state, stored.decided_by, stored.decision_comment) == (RecallState.DECLINED, org, "再观察一个月")
    assert Dispatch.objects.get(pk=recall.dispatch_id).state == DispatchState.STATIONED
    [event] = _events("recall.decline")
    assert (event.from_state, event.to_state, event.reason) == ("proposed", "declined", "再观察一个月")
    _refuses(ValidationError, "已经处理过", lambda: services.recall_decide(recall=recall, by=org, approve=True))


def test_r_m5a_unit_carries_out_the_recall_and_a_reserve_cadre_at_fault_loses_reserve_status(world):
    recall = _approved_recall(world)
    [event] = _events("recall.approve")
    assert (event.actor, event.from_state, event.to_state) == (world["people"]["org"], "proposed", "approved")
    services.recall_carry_out(recall=recall, by=world["people"]["deputy_a"], on=datetime.date(2026, 7, 1))
    stored = Recall.objects.get(pk=recall.pk)
    assert (stored.state, stored.recalled_on) == (RecallState.DONE, datetime.date(2026, 7, 1))
    dispatch = Dispatch.objects.get(pk=recall.dispatch_id)
    assert (dispatch.state, dispatch.ended_on, dispatch.end_reason) == (
        DispatchState.RECALLED,
        datetime.date(2026, 7, 1),
        "无故脱岗:6月无故脱岗5个工作日",
    )
    assert not Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve
    assert [(e.from_state, e.to_state) for e in _events("recall.done")] == [("approved", "done")]
    assert [(e.from_state, e.to_state) for e in _events("dispatch.recall")] == [("stationed", "recalled")]
    [lost] = _events("cadre.reserve_lost")
    assert (lost.object_id, lost.from_state, lost.reason) == (
        str(world["cadre_a"].pk),
        "reserve",
        "因本人原因被召回,取消后备干部资格",
    )
    # The village is free again for a replacement from the same unit.
    replacement = _nominate(world, cadre=world["plain_a"], village=dispatch.village)
    assert Dispatch.objects.get(pk=replacement.pk).state == DispatchState.NOMINATED


def test_r_m5a_recall_not_through_own_fault_keeps_reserve_status(world):
    recall = _approved_recall(world, own_fault=False)
    services.recall_carry_out(recall=recall, by=world["people"]["head_a"], on=datetime.date(2026, 7, 1))
    assert Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve
    assert not _events("cadre.reserve_lost")


def test_r_m5a_recall_is_carried_out_only_after_the_decision_and_not_before_stationing(world):
    recall = _proposed_recall(world)
    deputy = world["people"]["deputy_a"]
    _refuses(
        ValidationError,
        "已经处理过",
        lambda: services.recall_carry_out(recall=recall, by=deputy, on=datetime.date(2026, 7, 1)),
    )
    services.recall_decide(recall=recall, by=world["people"]["org"], approve=True)
    _refuses(
        ValidationError,
        "召回日期不能早于到村日期。",
        lambda: services.recall_carry_out(recall=recall, by=deputy, on=datetime.date(2026, 3, 4)),
    )
    assert Recall.objects.get(pk=recall.pk).state == RecallState.APPROVED
    assert Dispatch.objects.get(pk=recall.dispatch_id).state == DispatchState.STATIONED
    assert Cadre.objects.get(pk=world["cadre_a"].pk).is_reserve


# --- Quota (R-S5) -----------------------------------------------------------------------------


def test_r_s5_quota_is_set_and_changed_with_an_audit_row_each_time(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=2, deadline=datetime.date(2026, 12, 31), by=org)
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=3, deadline=datetime.date(2026, 12, 15), by=org)
    quota = Quota.objects.get(unit=world["unit_a"], year=YEAR)
    assert (quota.cadres, quota.deadline) == (3, datetime.date(2026, 12, 15))
    assert [(e.from_state, e.to_state) for e in _events("quota.set")] == [
        ("", "2 / 2026-12-31"),
        ("2 / 2026-12-31", "3 / 2026-12-15"),
    ]
    _refuses(
        ValidationError,
        "选派名额至少为 1 名。",
        lambda: services.quota_set(
            unit=world["unit_a"], year=YEAR, cadres=0, deadline=datetime.date(2026, 12, 31), by=org
        ),
    )


def test_r_s2_a_cadre_applies_only_for_themselves(world):
    _refuses(
        PermissionDenied,
        "只能为本人报名。",
        lambda: services.application_submit(
            cadre=world["plain_a"], year=YEAR, statement="自愿", by=world["people"]["head_a"]
        ),
    )
    application = services.application_submit(
        cadre=world["plain_a"], year=YEAR, statement=" 自愿到村工作 ", by=world["plain_a"].user
    )
    [event] = _events("application.submit")
    assert (event.actor, event.to_state, application.statement) == (world["plain_a"].user, "submitted", "自愿到村工作")


# --- Tiers: each service inside and outside its tier (R-O4, R-X1) ------------------------------


def _snapshot(obj):
    obj = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _case_nominate(w):
    return (
        lambda user: services.dispatch_nominate(cadre=w["cadre_a"], village=w["village_a"], by=user, year=YEAR),
        lambda: Dispatch.objects.count(),
    )


def _case_on_dispatch(stage, call):
    def case(w):
        dispatch = _dispatch_at(w, stage)
        return (lambda user: call(w, dispatch, user)), (lambda: (_snapshot(dispatch), Recall.objects.count()))

    return case


def _case_on_recall(approved, call):
    def case(w):
        recall = (_approved_recall if approved else _proposed_recall)(w)
        return (lambda user: call(w, recall, user)), (lambda: (_snapshot(recall), _snapshot(recall.dispatch)))

    return case


def _case_training_create(w):
    return (
        lambda user: services.training_batch_create(
            county=w["county"],
            year=YEAR,
            name="第二期",
            starts_on=datetime.date(2026, 5, 1),
            ends_on=datetime.date(2026, 5, 5),
            content="",
            by=user,
        ),
        lambda: TrainingBatch.objects.count(),
    )


def _case_quota(w):
    return (
        lambda user: services.quota_set(
            unit=w["unit_a"], year=YEAR, cadres=2, deadline=datetime.date(2026, 12, 31), by=user
        ),
        lambda: Quota.objects.count(),
    )


def _case_pairing_add(w):
    village = VillageFactory(township=w["town_a"], name="新结对村")
    return (
        lambda user: services.pairing_add(unit=w["unit_a"], village=village, year=YEAR, by=user),
        lambda: Pairing.objects.count(),
    )


def _case_pairing_remove(w):
    pairing = Pairing.objects.get(unit=w["unit_a"], village=w["village_a2"], year=YEAR)
    return (lambda user: services.pairing_remove(pairing=pairing, by=user), lambda: Pairing.objects.count())


def _case_application_decline(w):
    application = services.application_submit(
        cadre=w["plain_a"], year=YEAR, statement="自愿到村工作", by=w["plain_a"].user
    )
    return (
        lambda user: services.application_decline(application=application, by=user, reason="名额已满"),
        lambda: _snapshot(application),
    )


def _case_team_leader(w):
    dispatch = _dispatch_at(w, "stationed")
    return (
        lambda user: services.team_leader_name(township=w["town_a"], dispatch=dispatch, by=user),
        lambda: TeamLeader.objects.count(),
    )


def _case_work_group(w):
    return (
        lambda user: services.work_group_save(
            township=w["town_a"], year=YEAR, name="第一工作小组", villages=[w["village_a"], w["village_a2"]], by=user
        ),
        lambda: WorkGroup.objects.count(),
    )


def _case_mentor(w):
    dispatch = _dispatch_at(w, "stationed")
    return (
        lambda user: services.mentor_assign(dispatch=dispatch, mentor=w["mentor_a"], by=user),
        lambda: _snapshot(dispatch),
    )


UNIT_OUTSIDERS = ["head_b", "town_a", "org", "auditor", "cadre_a", "outsider"]
COUNTY_OUTSIDERS = ["auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"]
TOWNSHIP_OUTSIDERS = ["town_b", "head_a", "deputy_a", "org", "auditor", "cadre_a", "outsider"]

#: action -> (how to set it up, who may, who may not)
TIER_CASES = {
    "dispatch.nominate": (_case_nominate, ["deputy_a", "head_a"], UNIT_OUTSIDERS),
    "dispatch.approve": (
        _case_on_dispatch("nominated", lambda w, d, u: services.dispatch_approve(dispatch=d, by=u)),
        ["head_a"],
        ["deputy_a", *UNIT_OUTSIDERS],
    ),
    "dispatch.reject": (
        _case_on_dispatch("nominated", lambda w, d, u: services.dispatch_reject(dispatch=d, by=u, reason="不同意")),
        ["head_a"],
        ["deputy_a", *UNIT_OUTSIDERS],
    ),
    "dispatch.withdraw": (
        _case_on_dispatch("nominated", lambda w, d, u: services.dispatch_withdraw(dispatch=d, by=u, reason="撤回")),
        ["deputy_a", "head_a"],
        UNIT_OUTSIDERS,
    ),
    "training.create": (_case_training_create, ["org"], COUNTY_OUTSIDERS),
    "training.enrol": (
        _case_on_dispatch("approved", lambda w, d, u: services.dispatch_enrol(dispatches=[d], batch=_batch(w), by=u)),
        ["org"],
        COUNTY_OUTSIDERS,
    ),
    "training.complete": (
        _case_on_dispatch(
            "training",
            lambda w, d, u: services.dispatch_complete_training(
                dispatches=[d], completed_on=datetime.date(2026, 2, 28), by=u
            ),
        ),
        ["org"],
        COUNTY_OUTSIDERS,
    ),
    "dispatch.arrangements": (
        _case_on_dispatch(
            "trained", lambda w, d, u: services.dispatch_record_arrangements(dispatch=d, by=u, **ARRANGEMENTS)
        ),
        ["deputy_a", "head_a"],
        UNIT_OUTSIDERS,
    ),
    "dispatch.station": (
        _case_on_dispatch("arranged", lambda w, d, u: services.dispatch_station(dispatch=d, by=u, on=STATIONED_ON)),
        ["town_a"],
        TOWNSHIP_OUTSIDERS,
    ),
    "recall.propose": (
        _case_on_dispatch(
            "stationed",
            lambda w, d, u: services.recall_propose(dispatch=d, by=u, reason=RecallReason.OTHER, details="情况"),
        ),
        ["town_a"],
        TOWNSHIP_OUTSIDERS,
    ),
    "recall.decide": (
        _case_on_recall(False, lambda w, r, u: services.recall_decide(recall=r, by=u, approve=True)),
        ["org"],
        COUNTY_OUTSIDERS,
    ),
    "recall.carry_out": (
        _case_on_recall(True, lambda w, r, u: services.recall_carry_out(recall=r, by=u, on=datetime.date(2026, 7, 1))),
        ["deputy_a", "head_a"],
        UNIT_OUTSIDERS,
    ),
    "quota.set": (_case_quota, ["org"], COUNTY_OUTSIDERS),
    "pairing.add": (_case_pairing_add, ["org"], COUNTY_OUTSIDERS),
    "pairing.remove": (_case_pairing_remove, ["org"], COUNTY_OUTSIDERS),
    "application.decline": (_case_application_decline, ["deputy_a", "head_a"], UNIT_OUTSIDERS),
    "team.leader": (_case_team_leader, ["town_a"], TOWNSHIP_OUTSIDERS),
    "team.group": (_case_work_group, ["town_a"], TOWNSHIP_OUTSIDERS),
    "team.mentor": (_case_mentor, ["town_a"], TOWNSHIP_OUTSIDERS),
}
INSIDE = [(action, role) for action, (_case, inside, _outside) in TIER_CASES.items() for role in inside]
OUTSIDE = [(action, role) for action, (_case, _inside, outside) in TIER_CASES.items() for role in outside]


@pytest.mark.parametrize(("action", "role"), INSIDE, ids=[f"{a}-{r}" for a, r in INSIDE])
def test_r_o4_service_acts_for_a_user_inside_its_tier(world, action, role):
    case, _inside, _outside = TIER_CASES[action]
    call, snapshot = case(world)
    before = snapshot()
    call(world["people"][role])
    assert snapshot() != before
    assert not AuditEvent.objects.filter(action__endswith=".refused").exists()


@pytest.mark.parametrize(("action", "role"), OUTSIDE, ids=[f"{a}-{r}" for a, r in OUTSIDE])
def test_r_o4_service_refuses_a_user_outside_its_tier_and_audits_the_attempt(world, action, role):
    case, _inside, _outside = TIER_CASES[action]
    call, snapshot = case(world)
    before = snapshot()
    user = world["people"][role]
    _refuses(PermissionDenied, "您无权对此事项进行该操作。", lambda: call(user))
    assert snapshot() == before
    [event] = _events(f"{action}.refused")
    assert (event.actor, event.reason) == (user, "越权操作被拒绝")
