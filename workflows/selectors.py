"""Reads of the tiers that several pages need, with their joins and aggregates done in SQL."""

from __future__ import annotations

from django.conf import settings
from django.db.models import (
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

from workflows.models import AuditEvent, Cadre, County, Post, Role, Township, Unit, User, Village, VillageIncome
from workflows.permissions import COORDINATE_COUNTY, REVIEW_AUDIT, granted_tier_pks, visible_to


def villages_with_income(queryset: QuerySet[Village] | None = None) -> QuerySet[Village]:
    """Villages annotated with their latest year's own income (`latest_own_income`, `latest_income_year`)."""
    queryset = Village.objects.all() if queryset is None else queryset
    latest = VillageIncome.objects.filter(village=OuterRef("pk")).order_by("-year")
    own = ExpressionWrapper(
        F("total_income") - F("subsidies"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    return queryset.select_related("township").annotate(
        latest_own_income=Subquery(latest.annotate(own=own).values("own")[:1]),
        latest_income_year=Subquery(latest.values("year")[:1]),
    )


def target_village_filter() -> Q:
    """Villages that must all have a stationed cadre: weak, economically weak, election-difficult (R-S6)."""
    return (
        Q(is_weak_leadership=True)
        | Q(is_election_difficult=True)
        | Q(latest_own_income__lt=settings.POLICY["ECONOMICALLY_WEAK_INCOME_YUAN"])
    )


def village_category_counts(queryset: QuerySet[Village]) -> dict[str, int]:
    """Count villages per category in one query (R-O3)."""
    threshold = settings.POLICY["ECONOMICALLY_WEAK_INCOME_YUAN"]
    return villages_with_income(queryset).aggregate(
        total=Count("pk"),
        weak_leadership=Count("pk", filter=Q(is_weak_leadership=True)),
        economically_weak=Count("pk", filter=Q(latest_own_income__lt=threshold)),
        empty_shell=Count("pk", filter=Q(latest_own_income__lte=0)),
        election_difficult=Count("pk", filter=Q(is_election_difficult=True)),
        old_revolutionary=Count("pk", filter=Q(is_old_revolutionary=True)),
        ethnic_minority=Count("pk", filter=Q(is_ethnic_minority=True)),
        target=Count("pk", filter=target_village_filter()),
    )


def active_posts_of(user: User) -> list[Post]:
    return list(Post.objects.active().filter(user=user).select_related("county", "unit__county", "township__county"))


def cadres_for(user: User) -> QuerySet[Cadre]:
    """Cadres this user may see, reserve and key-cultivation cadres first (R-S3)."""
    return visible_to(user, Cadre.objects.select_related("unit", "user"))


def units_for(user: User) -> QuerySet[Unit]:
    return (
        visible_to(user, Unit.objects.select_related("county"))
        .annotate(
            cadre_count=Count("cadres", distinct=True),
            reserve_count=Count("cadres", filter=Q(cadres__is_reserve=True), distinct=True),
        )
        .order_by("code")
    )


def townships_for(user: User) -> QuerySet[Township]:
    return (
        visible_to(user, Township.objects.select_related("county"))
        .annotate(village_count=Count("villages"))
        .order_by("code")
    )


def villages_for(user: User) -> QuerySet[Village]:
    return villages_with_income(visible_to(user, Village.objects.all()))


def recent_audit_events(events: QuerySet[AuditEvent] | None = None, limit: int = 10) -> list[AuditEvent]:
    events = AuditEvent.objects.all() if events is None else events
    return list(events.select_related("actor", "content_type").order_by("-seq")[:limit])


def review_counties(user: User) -> list[int]:
    """The counties whose audit trail this user may review: the org dept's and the auditor's (R-X1)."""
    return granted_tier_pks(user, {"county": REVIEW_AUDIT})["county"]


def coordinated_counties(user: User) -> list[int]:
    """The counties this user administers: the org dept's (R-O4); every county for a superuser."""
    if user.is_superuser:
        return list(County.objects.values_list("pk", flat=True))
    return granted_tier_pks(user, {"county": COORDINATE_COUNTY})["county"]


def audit_events_for(user: User, counties: list[int] | None = None) -> QuerySet[AuditEvent]:
    """Events a reviewer may read: those of their counties' tiers and those tied to no tier, such as policy changes."""
    counties = review_counties(user) if counties is None else counties
    if not counties:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(Q(county_id__in=counties) | Q(county__isnull=True)).select_related(
        "actor", "content_type", "unit", "township"
    )


def posts_in(county: County, *, active: bool = True) -> QuerySet[Post]:
    """The posts held in a county, on the county itself, its units and its townships; active or ended (R-O4)."""
    posts = Post.objects.filter(Q(county=county) | Q(unit__county=county) | Q(township__county=county))
    posts = posts.filter(ended_at__isnull=active)
    role_order = Case(*(When(role=role, then=Value(n)) for n, role in enumerate(Role.values)), default=Value(99))
    return posts.select_related("user", "county", "unit", "township").order_by(
        role_order, "unit__code", "township__code", "started_at"
    )


def appointable_people(county: County) -> QuerySet[User]:
    """People the county's org dept may appoint: its own (cadres and post holders) and people of no county yet (R-O4).

    Someone of another county is found only by the exact ID number, never listed by name: their name and posts are
    that county's to show.
    """
    in_county = Post.objects.active().filter(Q(county=county) | Q(unit__county=county) | Q(township__county=county))
    return User.objects.filter(is_active=True, is_superuser=False).filter(
        Q(cadre__unit__county=county)
        | Q(pk__in=in_county.values("user_id"))
        | (Q(cadre__isnull=True) & ~Q(pk__in=Post.objects.active().values("user_id")))
    )


def people_matching(query: str, county: County, limit: int = 20) -> list[User]:
    """People to appoint: the county's own and people of no county by name or ID number; others by exact ID number."""
    query = query.strip()
    if not query:
        return []
    number = query.upper()
    # Another county's cadre stays that county's to show; a post holder's own ID number finds them anywhere.
    by_number = Q(id_number=number) | Q(
        pk__in=Cadre.objects.filter(unit__county=county, id_number=number).values("user_id")
    )
    by_name = Q(name__icontains=query) | Q(pk__in=Cadre.objects.filter(name__icontains=query).values("user_id"))
    users = User.objects.filter(is_active=True, is_superuser=False).filter(
        by_number | (by_name & Q(pk__in=appointable_people(county).values("pk")))
    )
    return list(users.select_related("cadre__unit").order_by("name", "pk")[:limit])


def post_end_reasons(posts: list[Post]) -> dict[int, str]:
    """The reason each ended post was ended with, as its audit event states it (R-X1)."""
    events = AuditEvent.objects.filter(action="post.end", data__post__in=[p.pk for p in posts])
    return {event["data"]["post"]: event["reason"] for event in events.values("data", "reason")}
