"""Who may do what, answered once for pages, API, exports, admin and services (R-O4).

Permissions are django-guardian object grants held on **tier objects** (county, unit, township),
one set per post, never per record. A record reaches its tiers through `tier_paths`, a class
attribute mapping a tier name ("county", "unit", "township", "owner") to the lookup from the record
to that tier's primary key. The same paths answer an object check (`may`, `may_view`) and filter a
list (`visible_to`), so a page, an export and the API cannot disagree.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, Q, QuerySet
from guardian.models import UserObjectPermission

if TYPE_CHECKING:
    from workflows.models import User

# Codenames, one string each, used in Meta.permissions, transitions and flows.
VIEW_COUNTY = "view_county_records"
COORDINATE_COUNTY = "coordinate_county"
REVIEW_AUDIT = "review_audit_trail"
VIEW_UNIT = "view_unit_records"
NOMINATE_CADRES = "nominate_cadres"
APPROVE_NOMINATIONS = "approve_nominations"
VIEW_TOWNSHIP = "view_township_records"
MANAGE_STATIONED = "manage_stationed_cadres"
DECIDE_LEAVE = "decide_leave"
APPRAISE_AS_UNIT = "appraise_unit_cadres"
APPRAISE_AS_TOWNSHIP = "appraise_township_cadres"

#: The tier model each codename is declared on.
PERM_TIER = {
    VIEW_COUNTY: "county",
    COORDINATE_COUNTY: "county",
    REVIEW_AUDIT: "county",
    VIEW_UNIT: "unit",
    NOMINATE_CADRES: "unit",
    APPROVE_NOMINATIONS: "unit",
    VIEW_TOWNSHIP: "township",
    MANAGE_STATIONED: "township",
    DECIDE_LEAVE: "township",
    APPRAISE_AS_UNIT: "unit",
    APPRAISE_AS_TOWNSHIP: "township",
}

#: The view permission of each tier: holding it lets one read every record of that tier.
VIEW_PERM_OF_TIER = {"county": VIEW_COUNTY, "unit": VIEW_UNIT, "township": VIEW_TOWNSHIP}

#: What each post grants on its tier object. The auditor reads everything and acts on nothing.
ROLE_PERMISSIONS = {
    "org_dept": [VIEW_COUNTY, COORDINATE_COUNTY, REVIEW_AUDIT],
    "auditor": [VIEW_COUNTY, REVIEW_AUDIT],
    "unit_head": [VIEW_UNIT, NOMINATE_CADRES, APPROVE_NOMINATIONS, APPRAISE_AS_UNIT],
    "unit_deputy": [VIEW_UNIT, NOMINATE_CADRES, APPRAISE_AS_UNIT],
    "township_committee": [VIEW_TOWNSHIP, MANAGE_STATIONED, DECIDE_LEAVE, APPRAISE_AS_TOWNSHIP],
}

_TIER_MODELS = {"county": "County", "unit": "Unit", "township": "Township"}


def tier_model(tier: str) -> type[Model]:
    return apps.get_model("workflows", _TIER_MODELS[tier])


def _tier_pk(obj: Model, path: str) -> Any:
    """Follow a lookup path such as 'township__county_id' from an object to a primary key."""
    value: Any = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part)
    return value


def tier_pks(obj: Model) -> dict[str, Any]:
    """Return the primary keys of the tiers (and the owner) an object belongs to."""
    paths = getattr(type(obj), "tier_paths", None)
    if paths is None:
        raise TypeError(f"{type(obj).__name__} declares no tier_paths")
    return {tier: _tier_pk(obj, path) for tier, path in paths.items()}


def _granted(user: User, perm: str, tier: str, pk: Any) -> bool:
    if pk is None:
        return False
    tier_obj = tier_model(tier)(pk=pk)
    return user.has_perm(f"workflows.{perm}", tier_obj)


def may(user: User | None, perm: str, obj: Model) -> bool:
    """May this user exercise `perm` (a tier codename) on this object, through its tier?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    tier = PERM_TIER[perm]
    pk = tier_pks(obj).get(tier)
    return _granted(user, perm, tier, pk)


def may_view(user: User | None, obj: Model) -> bool:
    """May this user read this object: their own, or within a tier they may view?"""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    pks = tier_pks(obj)
    if pks.get("owner") is not None and pks["owner"] == user.pk:
        return True
    return any(_granted(user, VIEW_PERM_OF_TIER[tier], tier, pk) for tier, pk in pks.items() if tier != "owner")


#: While set (`one_grants_query`): every tier grant of one user, read once, answering `granted_tier_pks` for them.
_grants_snapshot: ContextVar[tuple[int, list[tuple[int, str, str]]] | None] = ContextVar("tier_grants", default=None)


def _grant_rows(user: User, content_type_ids, codenames=None) -> list[tuple[int, str, str]]:
    rows = UserObjectPermission.objects.filter(user=user, content_type_id__in=content_type_ids)
    if codenames is not None:
        rows = rows.filter(permission__codename__in=codenames)
    return list(rows.values_list("content_type_id", "object_pk", "permission__codename"))


@contextmanager
def one_grants_query(user: User):
    """Answer every `granted_tier_pks(user, …)` inside the block from one query of the user's tier grants.

    For a page that asks many checks at once (the site menu asks each area's own check): the checks stay the
    pages' own, and cost one query instead of one each. Grants changed inside the block are not seen.
    """
    if not (user and user.is_authenticated and user.is_active):
        yield
        return
    content_types = ContentType.objects.get_for_models(*(tier_model(t) for t in _TIER_MODELS))
    token = _grants_snapshot.set((user.pk, _grant_rows(user, [ct.pk for ct in content_types.values()])))
    try:
        yield
    finally:
        _grants_snapshot.reset(token)


def granted_tier_pks(user: User, perm_by_tier: dict[str, str]) -> dict[str, list[Any]]:
    """Return, per tier, the primary keys on which the user holds that tier's permission (one query)."""
    result: dict[str, list[Any]] = {tier: [] for tier in perm_by_tier}
    if not (user and user.is_authenticated and user.is_active):
        return result
    content_types = ContentType.objects.get_for_models(*(tier_model(t) for t in perm_by_tier))
    tier_of_ct = {content_types[tier_model(t)].pk: t for t in perm_by_tier}
    snapshot = _grants_snapshot.get()
    if snapshot is not None and snapshot[0] == user.pk:
        rows = [row for row in snapshot[1] if row[0] in tier_of_ct]
    else:
        rows = _grant_rows(user, tier_of_ct, set(perm_by_tier.values()))
    for ct_id, object_pk, codename in rows:
        tier = tier_of_ct[ct_id]
        if perm_by_tier[tier] == codename:
            result[tier].append(int(object_pk))
    return result


def visible_to(user: User | None, queryset: QuerySet) -> QuerySet:
    """Filter a queryset to the rows this user may read (the list form of `may_view`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    paths = queryset.model.tier_paths
    tiers = {tier: VIEW_PERM_OF_TIER[tier] for tier in paths if tier != "owner"}
    granted = granted_tier_pks(user, tiers)
    condition = Q(pk__in=[])
    for tier, pks in granted.items():
        if pks:
            condition |= Q(**{f"{paths[tier]}__in": pks})
    if "owner" in paths:
        condition |= Q(**{paths["owner"]: user.pk})
    return queryset.filter(condition)


def acting_on(user: User | None, perm: str, queryset: QuerySet) -> QuerySet:
    """Filter a queryset to the rows on which this user may exercise `perm` (the list form of `may`)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    tier = PERM_TIER[perm]
    path = queryset.model.tier_paths.get(tier)
    if path is None:
        return queryset.none()
    pks = granted_tier_pks(user, {tier: perm})[tier]
    return queryset.filter(**{f"{path}__in": pks})


def sees_personal_identifiers(user: User | None, cadre: Model) -> bool:
    """May this user read a cadre's full ID and phone numbers: only the org dept of the cadre's county (R-O4).

    Everyone else, the auditor and the cadre's own unit and township included, reads them masked: the
    process needs to tell cadres apart, not to contact or identify them, and the org dept keeps the files.
    """
    return may(user, COORDINATE_COUNTY, cadre)
