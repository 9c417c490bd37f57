"""Every legal and illegal transition of a dispatch, a recall and a self-application (R-S1, R-S2, R-S4, R-S8, R-S9)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from dispatch.models import (
    ACTIVE_STATES,
    Application,
    ApplicationState,
    Dispatch,
    DispatchState,
    Exclusion,
    Recall,
    RecallReason,
    RecallState,
    TrainingBatch,
)

ON = datetime.date(2026, 3, 5)
NOW = timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))

#: Everything R-S9 asks for before stationing.
ARRANGEMENTS = {
    "insurer": "中国人寿汤阴支公司",
    "insurance_policy_no": "PA2026-001",
    "insurance_starts_on": datetime.date(2026, 3, 1),
    "insurance_ends_on": datetime.date(2027, 3, 31),
    "party_relation_transferred_on": datetime.date(2026, 3, 4),
    "living_allowance_yuan": Decimal("600"),
}


@pytest.fixture
def batch(world, year):
    return TrainingBatch.objects.create(
        county=world["county"],
        year=year,
        name="第一期岗前培训班",
        starts_on=datetime.date(2026, 2, 24),
        ends_on=datetime.date(2026, 2, 28),
    )


@pytest.fixture
def make_dispatch(world, year):
    """A dispatch created directly in any state; the protected field may be set only on creation."""

    def make(state=DispatchState.NOMINATED, **fields):
        return Dispatch.objects.create(
            cadre=world["cadre_a"],
            unit=world["unit_a"],
            village=world["village_a"],
            year=year,
            nominated_by=world["people"]["deputy_a"],
            state=state,
            **fields,
        )

    return make


def _ready_to_station(batch):
    return {"training_batch": batch, "training_completed_on": datetime.date(2026, 2, 28), **ARRANGEMENTS}


def _calls(world, batch):
    """One call of each transition, with the arguments a service would pass."""
    head = world["people"]["head_a"]
    return {
        "approve": lambda d: d.approve(by=head, on=NOW, comment="同意"),
        "reject": lambda d: d.reject(by=head, on=NOW, reason="另有安排"),
        "withdraw": lambda d: d.withdraw(on=ON, reason="本人家中有变故"),
        "enrol": lambda d: d.enrol(batch=batch),
        "station": lambda d: d.station(on=ON, term_ends_on=datetime.date(2027, 3, 4)),
        "recall": lambda d: d.recall(on=ON, reason="无故脱岗"),
        "appraise": lambda d: d.appraise(on=ON),
    }


#: The only legal (transition, source) pairs and where each leads (R-S1).
LEGAL = {
    ("approve", DispatchState.NOMINATED): DispatchState.APPROVED,
    ("reject", DispatchState.NOMINATED): DispatchState.REJECTED,
    ("withdraw", DispatchState.NOMINATED): DispatchState.WITHDRAWN,
    ("enrol", DispatchState.APPROVED): DispatchState.TRAINING,
    ("station", DispatchState.TRAINING): DispatchState.STATIONED,
    ("recall", DispatchState.STATIONED): DispatchState.RECALLED,
    ("appraise", DispatchState.STATIONED): DispatchState.APPRAISED,
}
TRANSITIONS = ["approve", "reject", "withdraw", "enrol", "station", "recall", "appraise"]
ILLEGAL = [(name, state) for name in TRANSITIONS for state in DispatchState if (name, state) not in LEGAL]


@pytest.mark.parametrize(("name", "source"), list(LEGAL), ids=[f"{n}-{s}" for n, s in LEGAL])
def test_r_s1_each_legal_dispatch_transition_moves_to_its_target(world, batch, make_dispatch, name, source):
    dispatch = make_dispatch(source, **(_ready_to_station(batch) if name == "station" else {}))
    _calls(world, batch)[name](dispatch)
    dispatch.save()
    assert Dispatch.objects.get(pk=dispatch.pk).state == LEGAL[(name, source)]


@pytest.mark.parametrize(("name", "source"), ILLEGAL, ids=[f"{n}-{s}" for n, s in ILLEGAL])
def test_r_s1_every_other_dispatch_transition_is_not_allowed(world, batch, make_dispatch, name, source):
    # Conditions satisfied, so only the source state can be what refuses.
    dispatch = make_dispatch(source, **_ready_to_station(batch))
    with pytest.raises(TransitionNotAllowed):
        _calls(world, batch)[name](dispatch)
    assert Dispatch.objects.get(pk=dispatch.pk).state == source


def test_r_s1_no_path_leads_out_of_a_final_state():
    finals = {DispatchState.APPRAISED, DispatchState.REJECTED, DispatchState.WITHDRAWN, DispatchState.RECALLED}
    assert not [pair for pair in LEGAL if pair[1] in finals]
    assert set(ACTIVE_STATES) == set(DispatchState) - finals


def test_r_s1_approve_records_who_decided_when_and_why(world, make_dispatch):
    dispatch = make_dispatch()
    dispatch.approve(by=world["people"]["head_a"], on=NOW, comment="同意选派")
    dispatch.save()
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.decided_by, stored.decided_at, stored.decision_comment) == (
        world["people"]["head_a"],
        NOW,
        "同意选派",
    )


def test_r_s1_reject_and_withdraw_keep_their_reason(world, make_dispatch, year):
    rejected = make_dispatch()
    rejected.reject(by=world["people"]["head_a"], on=NOW, reason="近期承担重点项目")
    rejected.save()
    assert Dispatch.objects.get(pk=rejected.pk).decision_comment == "近期承担重点项目"
    withdrawn = Dispatch.objects.create(
        cadre=world["plain_a"],
        unit=world["unit_a"],
        village=world["village_a2"],
        year=year,
        nominated_by=world["people"]["deputy_a"],
    )
    withdrawn.withdraw(on=ON, reason="本人家中有变故")
    withdrawn.save()
    stored = Dispatch.objects.get(pk=withdrawn.pk)
    assert (stored.state, stored.ended_on, stored.end_reason) == (DispatchState.WITHDRAWN, ON, "本人家中有变故")


@pytest.mark.parametrize("exclusion", Exclusion.values)
def test_r_s4_an_excluded_nomination_cannot_be_approved_but_can_be_rejected(world, make_dispatch, exclusion):
    dispatch = make_dispatch(exclusion=exclusion, exclusion_note="单位记录的具体情况")
    assert not dispatch.is_not_excluded()
    with pytest.raises(TransitionNotAllowed):
        dispatch.approve(by=world["people"]["head_a"], on=NOW)
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED
    dispatch.reject(by=world["people"]["head_a"], on=NOW, reason="宁可不派")
    dispatch.save()
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.REJECTED


def test_r_s8_enrol_places_the_cadre_in_the_batch(world, batch, make_dispatch):
    dispatch = make_dispatch(DispatchState.APPROVED)
    dispatch.enrol(batch=batch)
    dispatch.save()
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.training_batch) == (DispatchState.TRAINING, batch)


def test_r_s8_stationing_needs_completed_training(batch, make_dispatch):
    fields = _ready_to_station(batch)
    fields.pop("training_completed_on")
    dispatch = make_dispatch(DispatchState.TRAINING, **fields)
    assert not dispatch.has_completed_training()
    with pytest.raises(TransitionNotAllowed):
        dispatch.station(on=ON, term_ends_on=datetime.date(2027, 3, 4))
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.TRAINING


@pytest.mark.parametrize("missing", list(ARRANGEMENTS))
def test_r_s9_stationing_needs_every_checklist_item(batch, make_dispatch, missing):
    fields = _ready_to_station(batch)
    fields.pop(missing)
    dispatch = make_dispatch(DispatchState.TRAINING, **fields)
    label = str(Dispatch._meta.get_field(missing).verbose_name)
    assert dispatch.missing_stationing_items() == [label]
    assert not dispatch.has_stationing_checklist()
    with pytest.raises(TransitionNotAllowed):
        dispatch.station(on=ON, term_ends_on=datetime.date(2027, 3, 4))
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.TRAINING


def test_r_s9_checklist_names_every_missing_item_in_order(make_dispatch):
    dispatch = make_dispatch(DispatchState.TRAINING)
    assert dispatch.missing_stationing_items() == [
        "保险公司",
        "保单号",
        "保险起期",
        "保险止期",
        "党组织关系转入驻点村日期",
        "生活补助(元/月)",
    ]


def test_r_s7_r_s9_station_with_training_and_checklist_sets_the_term(batch, make_dispatch):
    dispatch = make_dispatch(DispatchState.TRAINING, **_ready_to_station(batch))
    dispatch.station(on=ON, term_ends_on=datetime.date(2027, 3, 4))
    dispatch.save()
    stored = Dispatch.objects.get(pk=dispatch.pk)
    assert (stored.state, stored.stationed_on, stored.term_ends_on) == (
        DispatchState.STATIONED,
        ON,
        datetime.date(2027, 3, 4),
    )


def test_r_s1_recall_and_appraise_end_the_term(make_dispatch, world, year):
    recalled = make_dispatch(DispatchState.STATIONED, stationed_on=ON)
    recalled.recall(on=datetime.date(2026, 7, 1), reason="无故脱岗")
    recalled.save()
    stored = Dispatch.objects.get(pk=recalled.pk)
    assert (stored.state, stored.ended_on, stored.end_reason) == (
        DispatchState.RECALLED,
        datetime.date(2026, 7, 1),
        "无故脱岗",
    )
    appraised = Dispatch.objects.create(
        cadre=world["plain_a"],
        unit=world["unit_a"],
        village=world["village_a2"],
        year=year,
        nominated_by=world["people"]["deputy_a"],
        state=DispatchState.STATIONED,
        stationed_on=ON,
    )
    appraised.appraise(on=datetime.date(2027, 3, 4))
    appraised.save()
    stored = Dispatch.objects.get(pk=appraised.pk)
    assert (stored.state, stored.ended_on) == (DispatchState.APPRAISED, datetime.date(2027, 3, 4))


def test_r_s1_dispatch_state_cannot_be_assigned_directly(make_dispatch):
    dispatch = make_dispatch()
    with pytest.raises(AttributeError):
        dispatch.state = DispatchState.STATIONED
    stored = Dispatch.objects.get(pk=dispatch.pk)
    with pytest.raises(AttributeError):
        stored.state = DispatchState.APPROVED
    assert Dispatch.objects.get(pk=dispatch.pk).state == DispatchState.NOMINATED


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_r_s1_a_cadre_holds_at_most_one_active_dispatch(make_dispatch, world, year, state):
    make_dispatch(state)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.create(
            cadre=world["cadre_a"],
            unit=world["unit_a"],
            village=world["village_a2"],
            year=year,
            nominated_by=world["people"]["deputy_a"],
        )


def test_r_s1_a_cadre_whose_dispatch_ended_may_be_nominated_again(make_dispatch, world, year):
    make_dispatch(DispatchState.REJECTED)
    make_dispatch(DispatchState.WITHDRAWN)
    Dispatch.objects.create(
        cadre=world["cadre_a"],
        unit=world["unit_a"],
        village=world["village_a2"],
        year=year,
        nominated_by=world["people"]["deputy_a"],
    )
    assert Dispatch.objects.filter(cadre=world["cadre_a"], state__in=ACTIVE_STATES).count() == 1


# --- Recall (R-M5a) -----------------------------------------------------------------------------


@pytest.fixture
def make_recall(world, make_dispatch):
    stationed = make_dispatch(DispatchState.STATIONED, stationed_on=ON)

    def make(state=RecallState.PROPOSED):
        return Recall.objects.create(
            dispatch=stationed,
            reason=RecallReason.ABSENT_WITHOUT_REASON,
            details="6月无故脱岗5天",
            proposed_by=world["people"]["town_a"],
            state=state,
        )

    return make


RECALL_LEGAL = {
    ("approve", RecallState.PROPOSED): RecallState.APPROVED,
    ("decline", RecallState.PROPOSED): RecallState.DECLINED,
    ("carry_out", RecallState.APPROVED): RecallState.DONE,
}
RECALL_ILLEGAL = [
    (name, state)
    for name in ("approve", "decline", "carry_out")
    for state in RecallState
    if (name, state) not in RECALL_LEGAL
]


def _recall_calls(world):
    org = world["people"]["org"]
    return {
        "approve": lambda r: r.approve(by=org, on=NOW, comment="同意召回"),
        "decline": lambda r: r.decline(by=org, on=NOW, comment="再观察一个月"),
        "carry_out": lambda r: r.carry_out(on=datetime.date(2026, 7, 1)),
    }


@pytest.mark.parametrize(("name", "source"), list(RECALL_LEGAL), ids=[f"{n}-{s}" for n, s in RECALL_LEGAL])
def test_r_m5a_each_legal_recall_transition_moves_to_its_target(world, make_recall, name, source):
    recall = make_recall(source)
    _recall_calls(world)[name](recall)
    recall.save()
    assert Recall.objects.get(pk=recall.pk).state == RECALL_LEGAL[(name, source)]


@pytest.mark.parametrize(("name", "source"), RECALL_ILLEGAL, ids=[f"{n}-{s}" for n, s in RECALL_ILLEGAL])
def test_r_m5a_every_other_recall_transition_is_not_allowed(world, make_recall, name, source):
    recall = make_recall(source)
    with pytest.raises(TransitionNotAllowed):
        _recall_calls(world)[name](recall)
    assert Recall.objects.get(pk=recall.pk).state == source


def test_r_m5a_recall_records_the_decision_and_the_date(world, make_recall):
    recall = make_recall()
    recall.approve(by=world["people"]["org"], on=NOW, comment="同意召回")
    recall.carry_out(on=datetime.date(2026, 7, 1))
    recall.save()
    stored = Recall.objects.get(pk=recall.pk)
    assert (stored.decided_by, stored.decision_comment, stored.recalled_on) == (
        world["people"]["org"],
        "同意召回",
        datetime.date(2026, 7, 1),
    )


def test_r_m5a_recall_state_cannot_be_assigned_directly(make_recall):
    recall = Recall.objects.get(pk=make_recall().pk)
    with pytest.raises(AttributeError):
        recall.state = RecallState.DONE


def test_r_m5a_a_dispatch_has_at_most_one_open_recall(make_recall):
    make_recall()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_recall(RecallState.APPROVED)
    make_recall(RecallState.DECLINED)


# --- Self-application (R-S2) -------------------------------------------------------------------


@pytest.fixture
def make_application(world, year):
    def make(state=ApplicationState.SUBMITTED):
        return Application.objects.create(cadre=world["plain_a"], year=year, statement="自愿到村工作", state=state)

    return make


APPLICATION_LEGAL = {
    ("nominate", ApplicationState.SUBMITTED): ApplicationState.NOMINATED,
    ("decline", ApplicationState.SUBMITTED): ApplicationState.DECLINED,
    ("withdraw", ApplicationState.SUBMITTED): ApplicationState.WITHDRAWN,
}
APPLICATION_ILLEGAL = [
    (name, state)
    for name in ("nominate", "decline", "withdraw")
    for state in ApplicationState
    if (name, state) not in APPLICATION_LEGAL
]


def _application_calls(world, year):
    head = world["people"]["head_a"]

    def nominate(application):
        dispatch = Dispatch.objects.create(
            cadre=world["plain_a"], unit=world["unit_a"], village=world["village_a2"], year=year, nominated_by=head
        )
        application.nominate(by=head, on=NOW, dispatch=dispatch)

    return {
        "nominate": nominate,
        "decline": lambda a: a.decline(by=head, on=NOW, reason="本年度名额已满"),
        "withdraw": lambda a: a.withdraw(),
    }


@pytest.mark.parametrize(("name", "source"), list(APPLICATION_LEGAL), ids=[f"{n}-{s}" for n, s in APPLICATION_LEGAL])
def test_r_s2_each_legal_application_transition_moves_to_its_target(world, year, make_application, name, source):
    application = make_application(source)
    _application_calls(world, year)[name](application)
    application.save()
    assert Application.objects.get(pk=application.pk).state == APPLICATION_LEGAL[(name, source)]


@pytest.mark.parametrize(("name", "source"), APPLICATION_ILLEGAL, ids=[f"{n}-{s}" for n, s in APPLICATION_ILLEGAL])
def test_r_s2_every_other_application_transition_is_not_allowed(world, year, make_application, name, source):
    application = make_application(source)
    with pytest.raises(TransitionNotAllowed), transaction.atomic():
        _application_calls(world, year)[name](application)
    assert Application.objects.get(pk=application.pk).state == source


def test_r_s2_nominated_application_points_at_its_dispatch_and_declined_keeps_the_reason(world, year, make_application):
    application = make_application()
    _application_calls(world, year)["nominate"](application)
    application.save()
    stored = Application.objects.get(pk=application.pk)
    assert stored.dispatch.cadre == world["plain_a"] and stored.decided_by == world["people"]["head_a"]
    declined = Application.objects.create(cadre=world["cadre_a"], year=year, statement="自愿")
    declined.decline(by=world["people"]["head_a"], on=NOW, reason="本年度名额已满")
    declined.save()
    assert Application.objects.get(pk=declined.pk).decline_reason == "本年度名额已满"


def test_r_s2_application_state_cannot_be_assigned_directly(make_application):
    application = Application.objects.get(pk=make_application().pk)
    with pytest.raises(AttributeError):
        application.state = ApplicationState.NOMINATED


def test_r_s2_a_cadre_has_at_most_one_open_application_a_year(make_application):
    make_application()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_application()
    make_application(ApplicationState.DECLINED)
