"""A cadre's record: stationings, the certificate's terms and the promotion answer (R-A3, R-A4)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.utils.translation import gettext as _

from appraisal.models import Appraisal, AppraisalState, Grade
from appraisal.selectors.terms import term_counts
from dispatch.models import ONCE_STATIONED, Dispatch, DispatchState
from workflows.models import Cadre
from workflows.policy import policy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- A cadre's record and the consequences of a grade (R-A3, R-A4) -----------------------------------


@dataclass(frozen=True)
class Experience:
    dispatch: Dispatch
    starts_on: datetime.date
    ends_on: datetime.date | None
    days_in_village: int
    appraisal: Appraisal | None

    @property
    def grade(self) -> str:
        return self.appraisal.grade if self.appraisal else ""

    @property
    def grade_label(self) -> StrOrPromise:
        return Grade(self.grade).label if self.grade else ""


EXPERIENCE_STATES = ONCE_STATIONED


def experience_of(cadre: Cadre) -> list[Experience]:
    """Every stationing of the cadre with its village, dates, days in the village and grade (three queries)."""
    dispatches = list(
        cadre.dispatches.filter(state__in=EXPERIENCE_STATES, stationed_on__isnull=False)
        .select_related("village__township", "unit")
        .order_by("stationed_on")
    )
    counts = term_counts([d.pk for d in dispatches])
    appraisals = {
        a.dispatch_id: a
        for a in Appraisal.objects.filter(dispatch__in=dispatches)
        .exclude(state=AppraisalState.CANCELLED)
        .select_related("round")
    }
    return [
        Experience(
            d,
            cast(datetime.date, d.stationed_on),  # the query keeps only dispatches that arrived
            d.ended_on or (d.term_ends_on if d.state != DispatchState.STATIONED else None),
            counts[d.pk].present,
            appraisals.get(d.pk),
        )
        for d in dispatches
    ]


@dataclass(frozen=True)
class StationingSpan:
    """The stationing terms added up, against the year(s) selecting organs expect (R-A4)."""

    days: int
    years_expected: int
    meets: bool


def stationing_span(experience: list[Experience], *, today: datetime.date) -> StationingSpan:
    """Add the terms' lengths (a term still running counts to today) and compare with the years expected."""
    days = sum(max(0, ((e.ends_on or today) - e.starts_on).days + 1) for e in experience)
    # A year of stationing is 365 days whether or not it spans a 29 February.
    years = policy("STATIONING_EXPERIENCE_YEARS_EXPECTED")
    return StationingSpan(days, years, days >= 365 * years)


def certified(experience: list[Experience]) -> list[Experience]:
    """What a certificate may state: terms with a finalised grade or that have ended, not one still running."""
    return [e for e in experience if e.grade or e.ends_on is not None]


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class PromotionAnswer:
    allowed: bool
    preferred: bool
    reason: str
    until: datetime.date | None = None


def may_be_promoted(cadre: Cadre, *, on: datetime.date) -> PromotionAnswer:
    """May this cadre be promoted on this date, and are they preferred? With the reason (R-A3, R-A4)."""
    years = policy("NO_PROMOTION_YEARS_AFTER_INCOMPETENT")
    finalised = list(
        Appraisal.objects.filter(dispatch__cadre=cadre, state=AppraisalState.FINALISED, finalised_on__lte=on)
        .select_related("round")
        .order_by("-finalised_on", "-pk")
    )
    for appraisal in finalised:
        if appraisal.final_grade == Grade.INCOMPETENT:
            # A finalised appraisal has its date: the query asks for one on or before `on`.
            finalised_on = cast(datetime.date, appraisal.finalised_on)
            until = add_years(finalised_on, years)
            if on < until:
                return PromotionAnswer(
                    False,
                    False,
                    _("%(date)s「%(round)s」考核为不称职,%(years)s 年内不予提拔,%(until)s起方可提拔。")
                    % {
                        "date": _chinese_date(finalised_on),
                        "round": appraisal.round.title,
                        "years": years,
                        "until": _chinese_date(until),
                    },
                    until,
                )
    latest = finalised[0] if finalised else None
    if latest is not None and latest.final_grade == Grade.EXCELLENT:
        return PromotionAnswer(
            True,
            True,
            _("%(date)s「%(round)s」考核为优秀,同等条件下优先选拔使用。")
            % {"date": _chinese_date(cast(datetime.date, latest.finalised_on)), "round": latest.round.title},
        )
    # A term served to its appraisal, and not found incompetent, is the stationing experience promotions prefer.
    served = [a for a in finalised if a.final_grade != Grade.INCOMPETENT]
    if served:
        return PromotionAnswer(
            True,
            True,
            _("有驻村蹲点工作经历(%(round)s,考核为%(grade)s),提任时同等条件下优先使用。")
            % {"round": served[0].round.title, "grade": Grade(served[0].final_grade).label},
        )
    return PromotionAnswer(True, False, _("没有影响提拔的考核结果。"))


def _chinese_date(day: datetime.date) -> str:
    return _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day}
