"""What the appraisal services share: the locked re-read, the audit record, the round's shared lock."""

from __future__ import annotations

from django.db import connection

from appraisal.models import Appraisal, AppraisalRound
from workflows.flows import locked


def _locked(appraisal: Appraisal) -> Appraisal:
    """Re-read the appraisal under a row lock, after its flow's process row: the order the task pages use."""
    return locked(appraisal, "round__county", "dispatch__cadre", "dispatch__unit", "dispatch__village__township")


def _lock_round_shared(round_pk: int) -> str:
    """Read the round's state, holding it against being closed until this transaction ends (R-A5).

    Votes and paper tallies take a shared lock, so any number of them go on side by side while closing
    the round, which takes the exclusive one, waits for them and is then seen by every later one.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT state FROM {AppraisalRound._meta.db_table} WHERE id = %s FOR SHARE", [round_pk])
            row = cursor.fetchone()
        return row[0] if row else ""
    return AppraisalRound.objects.filter(pk=round_pk).values_list("state", flat=True).first() or ""
