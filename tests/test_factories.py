"""The factories build valid, consistent records through the services: states, tiers, flows and audit rows."""

import datetime

import pytest

from appraisal.flows import AppraisalFlow
from appraisal.models import AppraisalState, RoundState
from dispatch.flows import DispatchFlow
from dispatch.models import ACTIVE_STATES, Dispatch, DispatchState, Pairing
from leave.flows import LeaveFlow
from leave.models import LeaveState
from tests.factories import (
    AppraisalFactory,
    AppraisalRoundFactory,
    CadreFactory,
    DispatchFactory,
    LeaveRequestFactory,
    holder,
)
from workflows.flows import open_task, process_of
from workflows.models import AuditEvent, Post, Role

pytestmark = pytest.mark.django_db


def _dispatch_actions(dispatch: Dispatch) -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="dispatch.", object_id=str(dispatch.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_dispatch_factory_nominates_within_the_cadres_own_county_through_the_service():
    dispatch = DispatchFactory()
    assert dispatch.state == DispatchState.NOMINATED
    assert dispatch.unit == dispatch.cadre.unit
    assert dispatch.village.township.county == dispatch.unit.county
    assert dispatch.year == 2026
    assert dispatch.nominated_by == holder(Role.UNIT_HEAD, dispatch.unit)
    assert Pairing.objects.filter(unit=dispatch.unit, village=dispatch.village, year=2026).exists()
    assert _dispatch_actions(dispatch) == ["dispatch.nominate"]
    assert open_task(DispatchFlow, "approve", dispatch) is not None


@pytest.mark.parametrize(
    ("trait", "state", "actions"),
    [
        ("approved", DispatchState.APPROVED, ["dispatch.nominate", "dispatch.approve"]),
        ("training", DispatchState.TRAINING, ["dispatch.nominate", "dispatch.approve", "dispatch.enrol"]),
    ],
)
def test_dispatch_factory_traits_stop_at_their_stage(trait, state, actions):
    dispatch = DispatchFactory(**{trait: True})
    assert dispatch.state == state
    assert _dispatch_actions(dispatch) == actions
    assert dispatch.state in ACTIVE_STATES


def test_stationed_dispatch_is_trained_arranged_and_stationed_on_its_day():
    on = datetime.date(2025, 3, 5)
    dispatch = DispatchFactory(stationed=True, on=on)
    assert (dispatch.state, dispatch.year, dispatch.stationed_on) == (DispatchState.STATIONED, 2025, on)
    assert dispatch.training_completed_on == dispatch.training_batch.ends_on < on
    assert dispatch.has_stationing_checklist()
    assert dispatch.term_ends_on > on
    assert _dispatch_actions(dispatch)[-1] == "dispatch.station"
    assert open_task(DispatchFlow, "station", dispatch) is None


def test_factories_reuse_the_post_holders_of_a_tier():
    cadre = CadreFactory()
    first = DispatchFactory(stationed=True, cadre=cadre)
    town = first.village.township
    second = DispatchFactory(stationed=True, cadre=CadreFactory(unit=cadre.unit), village__township=town)
    assert second.nominated_by == first.nominated_by
    [station] = AuditEvent.objects.filter(action="dispatch.station", object_id=str(second.pk))
    assert station.actor == holder(Role.TOWNSHIP_COMMITTEE, town)
    assert Post.objects.active().filter(role=Role.TOWNSHIP_COMMITTEE, township=town).count() == 1
    assert second.state == DispatchState.STATIONED


def test_leave_request_factory_asks_as_the_cadre_and_can_be_approved_by_the_township():
    leave = LeaveRequestFactory()
    assert leave.state == LeaveState.REQUESTED
    assert leave.dispatch.state == DispatchState.STATIONED
    assert leave.days == 2
    assert open_task(LeaveFlow, "decide_township", leave) is not None
    [event] = AuditEvent.objects.filter(action="leave.request", object_id=str(leave.pk))
    assert event.actor == leave.dispatch.cadre.user

    approved = LeaveRequestFactory(approved=True)
    assert approved.state == LeaveState.APPROVED
    assert approved.decided_by == holder(Role.TOWNSHIP_COMMITTEE, approved.dispatch.village.township)


def test_appraisal_factory_opens_a_round_over_the_term_of_a_cadre_stationed_a_year_before():
    appraisal = AppraisalFactory()
    assert appraisal.state == AppraisalState.OPEN
    assert appraisal.dispatch.state == DispatchState.STATIONED
    assert appraisal.round.county == appraisal.dispatch.unit.county
    assert appraisal.round.term_ends_from <= appraisal.dispatch.term_ends_on <= appraisal.round.term_ends_to
    assert AuditEvent.objects.filter(action="appraisal.open", object_id=str(appraisal.pk)).count() == 1
    assert process_of(AppraisalFlow, appraisal) is not None


def test_appraisal_round_factory_takes_in_every_dispatch_whose_term_ends_in_its_window():
    first = DispatchFactory(stationed=True, on=datetime.date(2025, 3, 5))
    second = DispatchFactory(
        stationed=True,
        on=datetime.date(2025, 4, 1),
        cadre=CadreFactory(unit=first.unit),
        village__township__county=first.unit.county,
    )
    round_ = AppraisalRoundFactory(county=first.unit.county)
    assert round_.state == RoundState.OPEN
    assert set(round_.appraisals.values_list("dispatch", flat=True)) == {first.pk, second.pk}
    assert AuditEvent.objects.filter(action="appraisal_round.open", object_id=str(round_.pk)).count() == 1
