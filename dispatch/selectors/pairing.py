"""Pairings, places and quotas: what a unit has sent against its quota, and its sanctions (R-S5, R-S6)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from dispatch.models import (
    ACTIVE_STATES,
    SENT_STATES,
    Dispatch,
    DispatchState,
    Pairing,
    Quota,
    QuotaSanction,
)
from workflows.dates import add_months
from workflows.models import County, Unit, Village, VillageIncome
from workflows.policy import policy
from workflows.selectors import target_village_filter, villages_with_income


def paired_villages(unit: Unit, year: int) -> QuerySet[Village]:
    return (
        Village.objects.filter(pairings__unit=unit, pairings__year=year)
        .select_related("township")
        .order_by("township__code", "code")
    )


def cadres_per_village_per_round() -> int:
    """How many active dispatches one village may have in one year's round (R-S6: one, or two by setting)."""
    return 2 if policy("ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND") else 1


def paired_villages_with_places(unit: Unit, year: int) -> QuerySet[Village]:
    """The unit's paired villages for the year, each with `active_dispatches` and `has_place` (R-S6).

    The nomination form offers the villages with a place and the nomination service refuses the others:
    both read this one answer.
    """
    active = (
        Dispatch.objects.filter(village=OuterRef("pk"), year=year, state__in=ACTIVE_STATES)
        .order_by()
        .values("village")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        paired_villages(unit, year)
        .annotate(active_dispatches=Coalesce(Subquery(active), 0))
        .annotate(
            has_place=Case(
                When(active_dispatches__lt=cadres_per_village_per_round(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )


def active_dispatches_in(villages: list[Village], year: int) -> dict[int, list[Dispatch]]:
    """The year's active dispatches of each village, to say who already holds its place (R-S6)."""
    found: dict[int, list[Dispatch]] = {v.pk: [] for v in villages}
    rows = (
        Dispatch.objects.filter(village__in=villages, year=year, state__in=ACTIVE_STATES)
        .select_related("cadre", "unit")
        .order_by("pk")
    )
    for dispatch in rows:
        found[dispatch.village_id].append(dispatch)
    return found


def sent_counts(*, year_unit_pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """How many cadres each (year, unit) has sent, in one query (R-S5)."""
    if not year_unit_pairs:
        return {}
    years = {y for y, _ in year_unit_pairs}
    units = {u for _, u in year_unit_pairs}
    rows = (
        Dispatch.objects.filter(year__in=years, unit_id__in=units, state__in=SENT_STATES)
        .values("year", "unit_id")
        .annotate(n=Count("pk"))
    )
    return {(row["year"], row["unit_id"]): row["n"] for row in rows}


def sanction_period(quota: Quota) -> tuple[datetime.date, datetime.date]:
    """The days a unit that missed this quota is barred from the awards: from the day after the deadline (R-S5)."""
    starts = quota.deadline + datetime.timedelta(days=1)
    return starts, add_months(starts, 12 * policy("QUOTA_SANCTION_YEARS")) - datetime.timedelta(days=1)


def quotas_due(*, on: datetime.date, county: County | None = None) -> QuerySet[Quota]:
    """Quotas whose deadline passed before `on` and that were not yet checked (R-S5)."""
    due = Quota.objects.filter(deadline__lt=on, enforced_at__isnull=True)
    if county is not None:
        due = due.filter(unit__county=county)
    return due.select_related("unit__county").order_by("unit__code", "year")


@dataclass(frozen=True)
class QuotaCheck:
    """What the deadline check would find for one quota: sent against quota, and the sanction if short (R-S5)."""

    quota: Quota
    sent: int
    starts_on: datetime.date
    ends_on: datetime.date

    @property
    def short(self) -> bool:
        return self.sent < self.quota.cadres


def quota_checks(quotas: list[Quota]) -> list[QuotaCheck]:
    """Each quota with its sent count and sanction period, counted in one query (R-S5)."""
    sent = sent_counts(year_unit_pairs=[(q.year, q.unit_id) for q in quotas])
    return [QuotaCheck(q, sent.get((q.year, q.unit_id), 0), *sanction_period(q)) for q in quotas]


def quota_progress(county: County, year: int) -> QuerySet[Quota]:
    """Each unit's quota for the year with how many it has nominated and sent (R-S5)."""
    return (
        Quota.objects.filter(unit__county=county, year=year)
        .select_related("unit")
        .annotate(
            sent=Count(
                "unit__dispatches", filter=Q(unit__dispatches__year=year, unit__dispatches__state__in=SENT_STATES)
            ),
            pending=Count(
                "unit__dispatches",
                filter=Q(unit__dispatches__year=year, unit__dispatches__state=DispatchState.NOMINATED),
            ),
        )
        .order_by("unit__code")
    )


def unit_is_award_eligible(unit: Unit, *, on: datetime.date) -> tuple[bool, QuotaSanction | None]:
    """May the unit be considered for the party-building and civilised-unit awards on this date (R-S5)?"""
    sanction = (
        QuotaSanction.objects.filter(unit=unit, starts_on__lte=on, ends_on__gte=on, revoked_at__isnull=True)
        .select_related("quota")
        .order_by("-ends_on")
        .first()
    )
    return sanction is None, sanction


def villages_target_first(county: County) -> QuerySet[Village]:
    """The county's villages with their latest income, target villages first (R-S6)."""
    return (
        villages_with_income(Village.objects.filter(township__county=county))
        # Case, not the bare condition: a village with no income record must compare False, not NULL.
        .annotate(
            is_target=Case(
                When(target_village_filter(), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .order_by("-is_target", "township__code", "code")
    )


def pairings_in(county: County, year: int) -> QuerySet[Pairing]:
    """The county's pairings for a year, each with its village's latest own income (`village_own_income`)."""
    latest = VillageIncome.objects.filter(village=OuterRef("village_id")).order_by("-year")
    own = ExpressionWrapper(
        F("total_income") - F("subsidies"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    return (
        Pairing.objects.filter(unit__county=county, year=year)
        .select_related("unit", "village__township")
        .annotate(village_own_income=Subquery(latest.annotate(own=own).values("own")[:1]))
        .order_by("unit__code", "village__township__code", "village__code")
    )


def sanctions_in_force(*, on: datetime.date) -> QuerySet[QuotaSanction]:
    """Sanctions running on a date and not revoked: those units may not be considered for the two awards (R-S5)."""
    return (
        QuotaSanction.objects.filter(starts_on__lte=on, ends_on__gte=on, revoked_at__isnull=True)
        .select_related("unit__county", "quota")
        .order_by("unit__code", "-ends_on")
    )
