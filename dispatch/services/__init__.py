"""Business operations of the dispatch process, one module per concern; import them from here."""

from dispatch.services._common import term_end
from dispatch.services.applications import application_decline, application_submit
from dispatch.services.bulk import dispatch_approve_many
from dispatch.services.nomination import (
    dispatch_approve,
    dispatch_nominate,
    dispatch_reject,
    dispatch_withdraw,
    village_full_message,
)
from dispatch.services.pairing import pairing_add, pairing_remove, quota_enforce, quota_sanction_revoke, quota_set
from dispatch.services.recall import recall_carry_out, recall_decide, recall_propose
from dispatch.services.stationing import dispatch_record_arrangements, dispatch_station
from dispatch.services.team import mentor_assign, team_leader_name, work_group_save
from dispatch.services.training import dispatch_complete_training, dispatch_enrol, training_batch_create

__all__ = [
    "term_end",
    "pairing_add",
    "pairing_remove",
    "quota_set",
    "quota_enforce",
    "quota_sanction_revoke",
    "application_submit",
    "application_decline",
    "dispatch_nominate",
    "village_full_message",
    "dispatch_approve",
    "dispatch_approve_many",
    "dispatch_reject",
    "dispatch_withdraw",
    "training_batch_create",
    "dispatch_enrol",
    "dispatch_complete_training",
    "dispatch_record_arrangements",
    "dispatch_station",
    "recall_propose",
    "recall_decide",
    "recall_carry_out",
    "team_leader_name",
    "work_group_save",
    "mentor_assign",
]
