"""What the dispatch services share: the term's end, the dispatch row lock, the transition audit."""

from __future__ import annotations

import datetime

from dispatch.models import (
    Dispatch,
)
from workflows.dates import add_months
from workflows.flows import locked
from workflows.policy import policy


def term_end(stationed_on: datetime.date) -> datetime.date:
    """The last day of a term that starts on `stationed_on` (R-S7)."""
    return add_months(stationed_on, policy("TERM_MONTHS")) - datetime.timedelta(days=1)


def _locked(dispatch: Dispatch) -> Dispatch:
    """Re-read the dispatch under a row lock, so two people deciding at once cannot both succeed.

    Its flow's process row is locked first, the order the task pages take them in (no deadlock).
    """
    return locked(dispatch, "cadre", "unit__county", "village__township")
