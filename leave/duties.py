"""Recurring duties of stationed management for the home page: days to fill, months to confirm, visits due.

Computed from the records each time (nothing stored), each within the user's own tier (R-O4): the cadre's own
unfilled days (R-M2a), the township's past months not yet confirmed (R-M2a), the unit's leaders' visits overdue
or due soon (R-M5). Registered with `workflows.duties` in `LeaveConfig.ready()`.
"""

from __future__ import annotations

import datetime
from collections import Counter

from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dispatch.models import Dispatch
from leave.models import AttendanceDay, AttendanceMonth, MonthState
from leave.selectors import attendance as selectors
from leave.selectors import leave as leave_selectors
from leave.selectors import oversight
from workflows.duties import Duty
from workflows.models import Township, Unit, User
from workflows.permissions import MANAGE_STATIONED, NOMINATE_CADRES, acting_on

ONE_DAY = datetime.timedelta(days=1)


def _month_label(month: datetime.date) -> str:
    return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first days of the months from first's month to last's month, both included."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = selectors.shift_month(month, 1)
    return months


def unfilled_days(user: User, today: datetime.date) -> list[Duty]:
    """The stationed cadre's own past days with no status, per month not yet confirmed (R-M2a).

    Every day of the term before today counts, rest days too: the month is submitted only once each is filled.
    A confirmed month is locked for the cadre, so its days are the township's, not the cadre's, duty.
    """
    dispatch = leave_selectors.stationed_dispatch_of(user)
    if dispatch is None:
        return []
    start, end = selectors.term_of(dispatch)
    last = min(end, today - ONE_DAY)
    if last < start:
        return []
    recorded = set(
        AttendanceDay.objects.filter(dispatch=dispatch, date__range=(start, last)).values_list("date", flat=True)
    )
    confirmed = set(
        AttendanceMonth.objects.filter(dispatch=dispatch, state=MonthState.CONFIRMED).values_list("month", flat=True)
    )
    missing: Counter[datetime.date] = Counter()
    day = start
    while day <= last:
        month = day.replace(day=1)
        if day not in recorded and month not in confirmed:
            missing[month] += 1
        day += ONE_DAY
    calendar = reverse("leave:calendar")
    return [
        Duty(
            kind="unfilled_days",
            title=_("填报考勤"),
            subject=_month_label(month),
            detail=ngettext("今天以前有 %(n)s 天未填报", "今天以前有 %(n)s 天未填报", n) % {"n": n},
            url=f"{calendar}?month={month:%Y-%m}",
        )
        for month, n in sorted(missing.items())
    ]


def months_to_confirm(user: User, today: datetime.date) -> list[Duty]:
    """Each past month in which a cadre of the user's township has a month not yet confirmed (R-M2a)."""
    townships = {t.pk: t for t in acting_on(user, MANAGE_STATIONED, Township.objects.order_by("code"))}
    this_month = today.replace(day=1)
    if not townships:
        return []
    dispatches = list(
        Dispatch.objects.filter(
            state__in=selectors.ONCE_STATIONED, village__township_id__in=list(townships), stationed_on__lt=this_month
        )
        .annotate(last_day=Coalesce("ended_on", "term_ends_on"))
        .values_list("pk", "village__township_id", "stationed_on", "last_day")
    )
    confirmed = set(
        AttendanceMonth.objects.filter(
            dispatch_id__in=[d[0] for d in dispatches], state=MonthState.CONFIRMED
        ).values_list("dispatch_id", "month")
    )
    waiting: Counter[tuple[int, datetime.date]] = Counter()
    for pk, township_id, stationed_on, last_day in dispatches:
        for month in _months(stationed_on, min(last_day or this_month, this_month - ONE_DAY)):
            if (pk, month) not in confirmed:
                waiting[(township_id, month)] += 1
    grid = reverse("leave:grid")
    return [
        Duty(
            kind="month_to_confirm",
            title=_("确认月度考勤"),
            subject=f"{townships[township_id].name} · {_month_label(month)}",
            detail=ngettext("%(n)s 名干部的考勤待确认", "%(n)s 名干部的考勤待确认", n) % {"n": n},
            url=f"{grid}?township={township_id}&month={month:%Y-%m}",
        )
        for (township_id, month), n in sorted(
            waiting.items(), key=lambda item: (townships[item[0][0]].code, item[0][1])
        )
    ]


def _visit_detail(window: oversight.VisitWindow) -> str:
    values = {"role": window.role_label, "end": window.ends_on.isoformat(), "n": abs(window.days_left)}
    if window.status == oversight.WindowStatus.MISSING:
        return (
            ngettext(
                "%(role)s应于 %(end)s 前调研,已逾期 %(n)s 天",
                "%(role)s应于 %(end)s 前调研,已逾期 %(n)s 天",
                values["n"],
            )
            % values
        )
    return (
        ngettext(
            "%(role)s尚未调研,须于 %(end)s 前完成(还剩 %(n)s 天)",
            "%(role)s尚未调研,须于 %(end)s 前完成(还剩 %(n)s 天)",
            values["n"],
        )
        % values
    )


def visits_due(user: User, today: datetime.date) -> list[Duty]:
    """The unit's leaders' visits to its stationed cadres that are overdue or due soon (R-M5)."""
    visits = reverse("leave:visits")
    duties = []
    for unit in acting_on(user, NOMINATE_CADRES, Unit.objects.order_by("code")):
        for row in oversight.visits_flagged(unit=unit, on=today):
            village = row.dispatch.village
            for window in row.flagged:
                duties.append(
                    Duty(
                        kind="visit_due",
                        title=_("单位领导到村调研"),
                        subject=f"{row.dispatch.cadre.name}({village.township.name} · {village.name})",
                        detail=_visit_detail(window),
                        url=f"{visits}?unit={unit.pk}",
                    )
                )
    return duties


PROVIDERS = [unfilled_days, months_to_confirm, visits_due]
