"""Fixtures of the appraisal tests: cadres stationed last year and a round opened for them."""

import datetime

import pytest

from appraisal import services
from appraisal.models import Appraisal
from dispatch.models import Pairing
from tests.dispatch.test_team import stationed
from tests.factories import AppraisalRoundFactory

STATIONED_ON = datetime.date(2025, 3, 5)


@pytest.fixture
def stationed_world(world):
    """world, plus cadre_a stationed in village_a (菜园镇, unit_a) and cadre_b in village_b (宜沟镇, unit_b)."""
    w = dict(world)
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a"], year=STATIONED_ON.year)
    Pairing.objects.create(unit=w["unit_b"], village=w["village_b"], year=STATIONED_ON.year)
    w["dispatch_a"] = stationed(w["cadre_a"], w["village_a"], on=STATIONED_ON)
    w["dispatch_b"] = stationed(w["cadre_b"], w["village_b"], on=STATIONED_ON)
    return w


@pytest.fixture
def round_world(stationed_world):
    """stationed_world, plus an open round holding both cadres: appraisal_a and appraisal_b."""
    w = dict(stationed_world)
    w["round"] = AppraisalRoundFactory(county=w["county"], title="2026年度驻村干部考评")
    w["appraisal_a"] = Appraisal.objects.get(round=w["round"], dispatch=w["dispatch_a"])
    w["appraisal_b"] = Appraisal.objects.get(round=w["round"], dispatch=w["dispatch_b"])
    return w


def score_both(w, appraisal, *, township=90, unit=90):
    """Enter both scores of an appraisal as its own township committee and unit head."""
    people = w["people"]
    town = people["town_a"] if appraisal.dispatch.village.township_id == w["town_a"].pk else people["town_b"]
    head = people["head_a"] if appraisal.dispatch.unit_id == w["unit_a"].pk else people["head_b"]
    services.township_score_enter(appraisal=appraisal, score=township, comment="工作扎实", by=town)
    services.unit_score_enter(appraisal=appraisal, score=unit, comment="表现良好", by=head)
    return Appraisal.objects.get(pk=appraisal.pk)


#: The reason the tests' org dept gives for a village without villagers' votes (R-A1).
NO_VOTES_REASON = "村里未组织评议"


def close_vote(round_, by, *, reason=NO_VOTES_REASON):
    """Close the round's vote as `by`, stating `reason` for every village that gave no votes (R-A1)."""
    from appraisal.selectors import appraisals_without_votes

    reasons = {a.pk: reason for a in appraisals_without_votes(round_)}
    return services.round_close(round_=round_, by=by, no_votes_reasons=reasons)
