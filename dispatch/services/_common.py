"""What the dispatch services share: the term's end, the dispatch row lock, the transition audit."""

from __future__ import annotations

import datetime

from dispatch.models import (
    Dispatch,
)
from workflows.audit import audit_record
from workflows.dates import add_months
from workflows.flows import locked
from workflows.models import User
from workflows.policy import policy


def term_end(stationed_on: datetime.date) -> datetime.date:
    """The last day of a term that starts on `stationed_on` (R-S7)."""
    return add_months(stationed_on, policy("TERM_MONTHS")) - datetime.timedelta(days=1)


def _locked(dispatch: Dispatch) -> Dispatch:
    """Re-read the dispatch under a row lock, so two people deciding at once cannot both succeed.

    Its flow's process row is locked first, the order the task pages take them in (no deadlock).
    """
    return locked(dispatch, "cadre", "unit__county", "village__township")


def _audit_transition(
    dispatch: Dispatch, *, action: str, by: User | None, before: str, reason: str = "", data: dict | None = None
) -> None:
    audit_record(
        action=action,
        actor=by,
        obj=dispatch,
        from_state=before,
        to_state=dispatch.state,
        reason=reason,
        data={"cadre": dispatch.cadre.name, "village": dispatch.village.name, **(data or {})},
    )
