"""Reads for the dispatch pages: candidates, queues, quotas, sanctions and coverage, aggregated in SQL."""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dispatch.models import ACTIVE_STATES, Dispatch, DispatchState, Pairing, Quota, QuotaSanction
from workflows.models import Cadre, County, Unit, User, Village
from workflows.permissions import visible_to
from workflows.selectors import target_village_filter, villages_with_income

#: States that count as "sent" for the quota (R-S5): approved and not withdrawn, rejected or recalled.
SENT_STATES = [DispatchState.APPROVED, DispatchState.TRAINING, DispatchState.STATIONED, DispatchState.APPRAISED]


def dispatches_for(user: User) -> QuerySet[Dispatch]:
    return visible_to(user, Dispatch.objects.select_related(
        "cadre", "unit", "village__township", "training_batch"))


def candidates_for_unit(unit: Unit) -> QuerySet[Cadre]:
    """The unit's cadres free to nominate, reserve and key-cultivation cadres first (R-S3)."""
    busy = Dispatch.objects.filter(cadre=OuterRef("pk"), state__in=ACTIVE_STATES)
    return (Cadre.objects.filter(unit=unit).annotate(busy=Exists(busy)).filter(busy=False)
            .order_by("-is_reserve", "-is_key_cultivation", "name"))


def waiting_reserve_candidates(dispatch: Dispatch) -> list[Dispatch]:
    """Reserve or key cadres of the same unit nominated and waiting while a non-reserve one is approved (R-S3)."""
    if dispatch.cadre.is_reserve or dispatch.cadre.is_key_cultivation:
        return []
    return list(
        Dispatch.objects.filter(unit_id=dispatch.unit_id, year=dispatch.year, state=DispatchState.NOMINATED,
                                exclusion="")
        .filter(Q(cadre__is_reserve=True) | Q(cadre__is_key_cultivation=True))
        .exclude(pk=dispatch.pk).select_related("cadre")
    )


def paired_villages(unit: Unit, year: int) -> QuerySet[Village]:
    return Village.objects.filter(pairings__unit=unit, pairings__year=year).select_related("township").order_by(
        "township__code", "code")


def sent_counts(*, year_unit_pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """How many cadres each (year, unit) has sent, in one query (R-S5)."""
    if not year_unit_pairs:
        return {}
    years = {y for y, _ in year_unit_pairs}
    units = {u for _, u in year_unit_pairs}
    rows = (Dispatch.objects.filter(year__in=years, unit_id__in=units, state__in=SENT_STATES)
            .values("year", "unit_id").annotate(n=Count("pk")))
    return {(row["year"], row["unit_id"]): row["n"] for row in rows}


def quota_progress(county: County, year: int) -> QuerySet[Quota]:
    """Each unit's quota for the year with how many it has nominated and sent (R-S5)."""
    return (
        Quota.objects.filter(unit__county=county, year=year).select_related("unit")
        .annotate(
            sent=Count("unit__dispatches", filter=Q(unit__dispatches__year=year,
                                                    unit__dispatches__state__in=SENT_STATES)),
            pending=Count("unit__dispatches", filter=Q(unit__dispatches__year=year,
                                                       unit__dispatches__state=DispatchState.NOMINATED)),
        )
        .order_by("unit__code")
    )


def unit_is_award_eligible(unit: Unit, *, on: datetime.date) -> tuple[bool, QuotaSanction | None]:
    """May the unit be considered for the party-building and civilised-unit awards on this date (R-S5)?"""
    sanction = (QuotaSanction.objects.filter(unit=unit, starts_on__lte=on, ends_on__gte=on)
                .select_related("quota").order_by("-ends_on").first())
    return sanction is None, sanction


def coverage(county: County, year: int) -> QuerySet[Village]:
    """Villages of the county annotated with whether a cadre is stationed there this year (R-S6)."""
    stationed = Dispatch.objects.filter(village=OuterRef("pk"), year=year, state=DispatchState.STATIONED)
    on_the_way = Dispatch.objects.filter(village=OuterRef("pk"), year=year, state__in=[
        DispatchState.NOMINATED, DispatchState.APPROVED, DispatchState.TRAINING])
    paired = Pairing.objects.filter(village=OuterRef("pk"), year=year)
    return (
        villages_with_income(Village.objects.filter(township__county=county))
        .annotate(covered=Exists(stationed), on_the_way=Exists(on_the_way), paired=Exists(paired))
        .order_by("township__code", "code")
    )


def uncovered_target_villages(county: County, year: int) -> QuerySet[Village]:
    """Villages that must be covered (weak, economically weak, election-difficult) and are not (R-S6)."""
    return coverage(county, year).filter(target_village_filter(), covered=False)


def uncovered_wherever_possible(county: County, year: int) -> QuerySet[Village]:
    """Old-revolutionary and ethnic-minority villages without a stationed cadre (应派尽派, R-S6)."""
    return coverage(county, year).filter(Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True), covered=False)


def coverage_by_township(county: County, year: int) -> list[dict]:
    """Per township: target villages, how many covered, and the uncovered count (R-S6), in one query."""
    rows = (
        coverage(county, year)
        .values("township__code", "township__name")
        .annotate(
            targets=Count("pk", filter=target_village_filter()),
            targets_covered=Count("pk", filter=target_village_filter() & Q(covered=True)),
            possible=Count("pk", filter=Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True)),
            possible_covered=Count("pk", filter=(Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True))
                                   & Q(covered=True)),
            stationed=Count("pk", filter=Q(covered=True)),
        )
        .order_by("township__code")
    )
    return list(rows)
