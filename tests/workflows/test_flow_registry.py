"""The artifact -> flow registry: each process app registers its flows; services reach them through it."""

import pytest

from appraisal.flows import AppraisalFlow
from appraisal.models import Appraisal
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import Dispatch, Recall
from leave.flows import LeaveFlow
from leave.models import LeaveRequest
from workflows.flows import flow_of, flows_of
from workflows.models import Township


def test_every_process_app_registers_its_artifacts_flow():
    assert flow_of(Dispatch) is DispatchFlow
    assert flow_of(Recall) is RecallFlow
    assert flow_of(LeaveRequest) is LeaveFlow
    assert flow_of(Appraisal) is AppraisalFlow
    assert flows_of(Dispatch, LeaveRequest) == [DispatchFlow, LeaveFlow]


def test_an_instance_finds_its_flow_like_its_model():
    assert flow_of(LeaveRequest()) is LeaveFlow


def test_a_model_without_a_flow_is_a_clear_lookup_error():
    with pytest.raises(LookupError, match="Township"):
        flow_of(Township)
