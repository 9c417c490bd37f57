"""Which villages have a stationed cadre, aggregated in SQL (R-S6)."""

from __future__ import annotations

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from dispatch.models import (
    Dispatch,
    DispatchState,
    Pairing,
)
from workflows.models import County, Village
from workflows.selectors import target_village_filter, villages_with_income


def coverage(county: County, year: int) -> QuerySet[Village]:
    """Villages of the county annotated with whether a cadre is stationed there this year (R-S6)."""
    stationed = Dispatch.objects.filter(village=OuterRef("pk"), year=year, state=DispatchState.STATIONED)
    on_the_way = Dispatch.objects.filter(
        village=OuterRef("pk"),
        year=year,
        state__in=[DispatchState.NOMINATED, DispatchState.APPROVED, DispatchState.TRAINING],
    )
    paired = Pairing.objects.filter(village=OuterRef("pk"), year=year)
    return (
        villages_with_income(Village.objects.filter(township__county=county))
        .annotate(covered=Exists(stationed), on_the_way=Exists(on_the_way), paired=Exists(paired))
        .order_by("township__code", "code")
    )


def uncovered_target_villages(county: County, year: int) -> QuerySet[Village]:
    """Villages that must be covered (weak, economically weak, election-difficult) and are not (R-S6)."""
    # `covered` is coverage()'s annotation, which its QuerySet[Village] return type cannot name.
    return coverage(county, year).filter(target_village_filter(), covered=False)  # type: ignore[misc]


def uncovered_wherever_possible(county: County, year: int) -> QuerySet[Village]:
    """Old-revolutionary and ethnic-minority villages without a stationed cadre (应派尽派, R-S6)."""
    # `covered` is coverage()'s annotation, which its QuerySet[Village] return type cannot name.
    return coverage(county, year).filter(Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True), covered=False)  # type: ignore[misc]


def coverage_by_township(county: County, year: int) -> list[dict]:
    """Per township: target villages, how many covered, and the uncovered count (R-S6), in one query."""
    rows = (
        coverage(county, year)
        .values("township__code", "township__name")
        .annotate(
            targets=Count("pk", filter=target_village_filter()),
            targets_covered=Count("pk", filter=target_village_filter() & Q(covered=True)),
            possible=Count("pk", filter=Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True)),
            possible_covered=Count(
                "pk", filter=(Q(is_old_revolutionary=True) | Q(is_ethnic_minority=True)) & Q(covered=True)
            ),
            stationed=Count("pk", filter=Q(covered=True)),
        )
        .order_by("township__code")
    )
    return [dict(row) for row in rows]
