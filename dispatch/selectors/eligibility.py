"""Who may be nominated, and the dispatches a user may see (R-S1, R-S3, R-O4)."""

from __future__ import annotations

from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
)

from dispatch.models import (
    ACTIVE_STATES,
    Dispatch,
    DispatchState,
)
from workflows.models import Cadre, Unit, User
from workflows.permissions import APPROVE_NOMINATIONS, acting_on, visible_to


def dispatches_for(user: User) -> QuerySet[Dispatch]:
    return visible_to(user, Dispatch.objects.select_related("cadre", "unit", "village__township", "training_batch"))


def nominations_awaiting(user: User) -> QuerySet[Dispatch]:
    """Nominations waiting for this unit head's decision, in their units only; reserve cadres first (R-S1, R-S3)."""
    return acting_on(
        user,
        APPROVE_NOMINATIONS,
        Dispatch.objects.filter(state=DispatchState.NOMINATED).select_related("cadre", "unit", "village__township"),
    ).order_by("unit__name", "-cadre__is_reserve", "-cadre__is_key_cultivation", "nominated_at", "pk")


def candidates_for_unit(unit: Unit) -> QuerySet[Cadre]:
    """The unit's cadres free to nominate, reserve and key-cultivation cadres first (R-S3)."""
    busy = Dispatch.objects.filter(cadre=OuterRef("pk"), state__in=ACTIVE_STATES)
    return (
        Cadre.objects.filter(unit=unit)
        .annotate(busy=Exists(busy))
        .filter(busy=False)
        .order_by("-is_reserve", "-is_key_cultivation", "name")
    )


def waiting_reserve_candidates(dispatch: Dispatch) -> list[Dispatch]:
    """Reserve or key cadres of the same unit nominated and waiting while a non-reserve one is approved (R-S3)."""
    if dispatch.cadre.is_reserve or dispatch.cadre.is_key_cultivation:
        return []
    return list(
        Dispatch.objects.filter(
            unit_id=dispatch.unit_id, year=dispatch.year, state=DispatchState.NOMINATED, exclusion=""
        )
        .filter(Q(cadre__is_reserve=True) | Q(cadre__is_key_cultivation=True))
        .exclude(pk=dispatch.pk)
        .select_related("cadre")
    )
