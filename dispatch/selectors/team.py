"""A township's stationed team, its leaders and work groups, and self-applications (R-M4, R-S2, R-S3)."""

from __future__ import annotations

from django.db.models import (
    Prefetch,
    QuerySet,
)

from dispatch.models import (
    Application,
    ApplicationState,
    Dispatch,
    DispatchState,
    TeamLeader,
    WorkGroup,
)
from workflows.models import Cadre, Post, Role, Township, Unit, User, Village


def stationed_in_township(township: Township) -> QuerySet[Dispatch]:
    """The cadres stationed now in the township's villages, with unit and mentor (R-M4)."""
    return (
        Dispatch.objects.filter(state=DispatchState.STATIONED, village__township=township)
        .select_related("cadre", "unit", "village", "mentor")
        .order_by("village__code", "cadre__name")
    )


def township_leaders(township: Township) -> QuerySet[User]:
    """The township's leaders: users holding an active township-committee post on it (R-M4)."""
    posts = Post.objects.active().filter(role=Role.TOWNSHIP_COMMITTEE, township=township)
    return User.objects.filter(pk__in=posts.values("user_id")).order_by("name", "username")


def team_leader_of(township: Township) -> TeamLeader | None:
    return (
        TeamLeader.objects.filter(township=township)
        .select_related("dispatch__cadre", "dispatch__unit", "dispatch__village")
        .first()
    )


def work_groups_of(township: Township, year: int) -> QuerySet[WorkGroup]:
    return WorkGroup.objects.filter(township=township, year=year).prefetch_related(
        Prefetch("villages", queryset=Village.objects.order_by("code"))
    )


def applications_of(cadre: Cadre) -> QuerySet[Application]:
    """A cadre's own applications, newest first, with the village and dispatch they led to (R-S2)."""
    return (
        Application.objects.filter(cadre=cadre)
        .select_related("preferred_village__township", "dispatch__village__township")
        .order_by("-submitted_at")
    )


def open_applications_for_unit(unit: Unit) -> QuerySet[Application]:
    """Applications the unit has still to decide, reserve and key-cultivation cadres first (R-S2, R-S3)."""
    return (
        Application.objects.filter(cadre__unit=unit, state=ApplicationState.SUBMITTED)
        .select_related("cadre", "preferred_village__township")
        .order_by("-cadre__is_reserve", "-cadre__is_key_cultivation", "submitted_at")
    )
