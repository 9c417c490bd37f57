"""A cadre's attendance over a term, for the scorers and the record (R-A2a, R-A4)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from dispatch.models import Dispatch
from leave.models import PRESENT_STATUSES, AttendanceDay, DayStatus

# --- Attendance over a term, for the scorers and the record (R-A2a, R-A4) ----------------------------


@dataclass(frozen=True)
class TermCounts:
    present: int = 0
    leave: int = 0
    absent: int = 0


def term_counts(dispatch_ids: list[int]) -> dict[int, TermCounts]:
    """Days in the village, on leave and absent over each term, from the day ledger, in one query."""
    if not dispatch_ids:
        return {}
    rows = (
        AttendanceDay.objects.filter(dispatch_id__in=dispatch_ids)
        .values("dispatch_id")
        .annotate(
            present=Count("pk", filter=Q(status__in=PRESENT_STATUSES)),
            leave=Count("pk", filter=Q(status=DayStatus.LEAVE)),
            absent=Count("pk", filter=Q(status=DayStatus.ABSENT)),
        )
        .order_by()
    )
    found = {row["dispatch_id"]: TermCounts(row["present"], row["leave"], row["absent"]) for row in rows}
    return {pk: found.get(pk, TermCounts()) for pk in dispatch_ids}


@dataclass(frozen=True)
class TermSummary:
    dispatch: Dispatch
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    counts: TermCounts


def term_summary(dispatch: Dispatch) -> TermSummary:
    """What a scorer should see before scoring: the term and its attendance, never typed again (R-A1)."""
    return TermSummary(
        dispatch,
        dispatch.stationed_on,
        dispatch.ended_on or dispatch.term_ends_on,
        term_counts([dispatch.pk])[dispatch.pk],
    )
