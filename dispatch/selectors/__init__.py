"""Reads for the dispatch pages: candidates, queues, quotas, sanctions and coverage, aggregated in SQL."""

from dispatch.models import SENT_STATES
from dispatch.selectors.coverage import (
    coverage,
    coverage_by_township,
    uncovered_target_villages,
    uncovered_wherever_possible,
)
from dispatch.selectors.eligibility import (
    candidates_for_unit,
    dispatches_for,
    nominations_awaiting,
    waiting_reserve_candidates,
)
from dispatch.selectors.pairing import (
    QuotaCheck,
    active_dispatches_in,
    cadres_per_village_per_round,
    paired_villages,
    paired_villages_with_places,
    pairings_in,
    quota_checks,
    quota_progress,
    quotas_due,
    sanction_period,
    sanctions_in_force,
    sent_counts,
    unit_is_award_eligible,
    villages_target_first,
)
from dispatch.selectors.team import (
    applications_of,
    open_applications_for_unit,
    stationed_in_township,
    team_leader_of,
    township_leaders,
    work_groups_of,
)
from dispatch.selectors.training import approved_awaiting_training, batch_members, training_batches_in

__all__ = [
    "SENT_STATES",
    "dispatches_for",
    "nominations_awaiting",
    "candidates_for_unit",
    "waiting_reserve_candidates",
    "paired_villages",
    "cadres_per_village_per_round",
    "paired_villages_with_places",
    "active_dispatches_in",
    "sent_counts",
    "sanction_period",
    "quotas_due",
    "QuotaCheck",
    "quota_checks",
    "quota_progress",
    "unit_is_award_eligible",
    "villages_target_first",
    "pairings_in",
    "sanctions_in_force",
    "coverage",
    "uncovered_target_villages",
    "uncovered_wherever_possible",
    "coverage_by_township",
    "stationed_in_township",
    "township_leaders",
    "team_leader_of",
    "work_groups_of",
    "applications_of",
    "open_applications_for_unit",
    "training_batches_in",
    "approved_awaiting_training",
    "batch_members",
]
