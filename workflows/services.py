"""Operations on the tiers: appointing people to posts and ending posts (R-O2, R-O4, R-X1)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from workflows.audit import audit_record, audit_refusal
from workflows.models import ROLE_TIER, County, Post, Role, Township, Unit, User
from workflows.permissions import COORDINATE_COUNTY, ROLE_PERMISSIONS, may

Tier = County | Unit | Township


def _county_of(tier: Tier) -> County:
    return tier if isinstance(tier, County) else tier.county


def _check_may_manage_posts(by: User | None, tier: Tier) -> None:
    """Only the org dept of the county (or a system command, by=None) appoints and removes."""
    if by is None or by.is_superuser:
        return
    if not may(by, COORDINATE_COUNTY, _county_of(tier)):
        audit_refusal(action="post.refused", actor=by, obj=tier, reason=_("无权任免该层级的职务"))
        raise PermissionDenied(_("只有本县组织部可以任免职务。"))


def _forget_cached_perms(user: User) -> None:
    for attr in ("_guardian_perms_cache", "_perm_cache", "_user_perm_cache", "_viewflow_per_object_perm_cache"):
        user.__dict__.pop(attr, None)


def post_appoint(*, user: User, role: str, tier: Tier, by: User | None, title: str = "") -> Post:
    """Appoint a person to a post; the tier's permissions are granted at once (R-O4, R-X1)."""
    role = Role(role)
    tier_name = ROLE_TIER[role]
    expected = {"county": County, "unit": Unit, "township": Township}[tier_name]
    if not isinstance(tier, expected):
        raise ValidationError(
            _("%(role)s 只能在%(tier)s任职。") % {"role": role.label, "tier": expected._meta.verbose_name}
        )
    _check_may_manage_posts(by, tier)
    try:
        with transaction.atomic():
            post = Post.objects.create(user=user, role=role, title=title, **{tier_name: tier})
            codenames = ROLE_PERMISSIONS[role]
            for codename in codenames:
                assign_perm(f"workflows.{codename}", user, tier)
            audit_record(
                action="post.appoint",
                actor=by,
                obj=tier,
                to_state=role,
                data={
                    "user": user.username,
                    "name": user.get_full_name(),
                    "post": post.pk,
                    "title": title,
                    "granted": codenames,
                },
            )
    except IntegrityError as exc:
        if role in (Role.UNIT_HEAD, Role.UNIT_DEPUTY):
            raise ValidationError(
                _("%(tier)s已有在任的%(role)s,请先免去其职务。") % {"tier": tier, "role": role.label}
            ) from exc
        raise ValidationError(
            _("%(user)s 已在%(tier)s担任%(role)s。") % {"user": user, "tier": tier, "role": role.label}
        ) from exc
    _forget_cached_perms(user)
    return post


def post_end(*, post: Post, by: User | None, reason: str = "") -> Post:
    """End a post; permissions no other active post of the person gives are revoked at once (R-O4)."""
    if not post.is_active:
        raise ValidationError(_("该职务已经免去。"))
    tier = post.tier
    _check_may_manage_posts(by, tier)
    with transaction.atomic():
        post.ended_at = timezone.now()
        post.save(update_fields=["ended_at"])
        tier_name = ROLE_TIER[Role(post.role)]
        still_held = {
            codename
            for other in Post.objects.active().filter(user=post.user, **{tier_name: tier})
            for codename in ROLE_PERMISSIONS[other.role]
        }
        revoked = [c for c in ROLE_PERMISSIONS[post.role] if c not in still_held]
        for codename in revoked:
            remove_perm(f"workflows.{codename}", post.user, tier)
        audit_record(
            action="post.end",
            actor=by,
            obj=tier,
            from_state=post.role,
            reason=reason,
            data={"user": post.user.username, "name": post.user.get_full_name(), "post": post.pk, "revoked": revoked},
        )
    _forget_cached_perms(post.user)
    return post


def post_grants_sync(using: str = "default", **kwargs) -> int:
    """Grant every active post what its role grants now, after a release adds a permission (post_migrate)."""
    tiers = {"county": County, "unit": Unit, "township": Township}
    content_types = ContentType.objects.db_manager(using).get_for_models(*tiers.values())
    permissions = {
        p.codename: p for p in Permission.objects.using(using).filter(content_type__in=content_types.values())
    }
    held = set(
        UserObjectPermission.objects.using(using).values_list(
            "user_id", "permission__codename", "content_type_id", "object_pk"
        )
    )
    missing = []
    for post in Post.objects.using(using).active():
        tier_name = ROLE_TIER[Role(post.role)]
        content_type = content_types[tiers[tier_name]]
        tier_pk = str(getattr(post, f"{tier_name}_id"))
        for codename in ROLE_PERMISSIONS[post.role]:
            if codename in permissions and (post.user_id, codename, content_type.pk, tier_pk) not in held:
                held.add((post.user_id, codename, content_type.pk, tier_pk))
                missing.append(
                    UserObjectPermission(
                        user_id=post.user_id,
                        permission=permissions[codename],
                        content_type=content_type,
                        object_pk=tier_pk,
                    )
                )
    if missing:
        with transaction.atomic(using=using):
            UserObjectPermission.objects.using(using).bulk_create(missing)
            audit_record(
                action="post.grants_sync",
                actor=None,
                reason=_("按当前角色权限补授在任职务的权限"),
                data={"granted": sorted({(g.user_id, g.permission.codename, g.object_pk) for g in missing})},
            )
    return len(missing)
