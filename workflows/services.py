"""Operations on the tiers: counties, people, posts, and the org dept's edits of the tiers (R-O1–R-O4, R-X1)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, remove_perm

from workflows.audit import audit_record, audit_refusal
from workflows.handover import tasks_return_to_queue
from workflows.ids import id_number_problem, normalise_id_number
from workflows.models import ROLE_TIER, Cadre, County, Post, Role, Township, Unit, User, Village, VillageIncome
from workflows.permissions import COORDINATE_COUNTY, ROLE_PERMISSIONS, granted_tier_pks, may
from workflows.text import mask_id_number

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
        held = Post.objects.active().filter(user=user, role=role, **{tier_name: tier}).exists()
        if role in (Role.UNIT_HEAD, Role.UNIT_DEPUTY) and not held:
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
        # The tasks the holder had taken on this tier go back to its queue, where the successor finds them.
        tasks_return_to_queue(
            user=post.user, tier=tier, codenames=revoked, by=by, reason=_("职务已免去,事项退回待认领")
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


# --- Counties and people ----------------------------------------------------------------------------


def county_create(*, code: str, name: str, by: User | None) -> County:
    """Create a county, the first step on an empty system; only an administrator does it (R-O1, R-X1)."""
    if by is not None and not by.is_superuser:
        audit_refusal(action="county.create.refused", actor=by, reason=_("只有系统管理员可以新建县"))
        raise PermissionDenied(_("只有系统管理员可以新建县。"))
    code, name = code.strip(), name.strip()
    errors: dict[str, str] = {}
    if not code:
        errors["code"] = _("请填写县代码。")
    elif County.objects.filter(code=code).exists():
        errors["code"] = _("县代码 %(code)s 已被使用。") % {"code": code}
    if not name:
        errors["name"] = _("请填写县名称。")
    elif County.objects.filter(name=name).exists():
        errors["name"] = _("已有名为 %(name)s 的县。") % {"name": name}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        county = County(code=code, name=name)
        county.full_clean()
        county.save()
        audit_record(action="county.create", actor=by, obj=county, data={"code": code, "name": name})
    return county


def normalise_phone(value: str) -> str:
    """A mobile number as typed, without spaces, dashes or a +86 prefix."""
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value or ""))
    return re.sub(r"^(\+?86)(?=1\d{10}$)", "", value)


def _phone_problem(phone: str) -> str | None:
    if phone and not re.fullmatch(r"1\d{10}", phone):
        return _("手机号应为 11 位数字,现为「%(value)s」") % {"value": phone}
    return None


def _administers_some_county(user: User) -> bool:
    return user.is_superuser or bool(granted_tier_pks(user, {"county": COORDINATE_COUNTY})["county"])


def person_create(*, name: str, id_number: str, phone: str = "", by: User | None) -> User:
    """Register a person who will hold a post, with no usable password until they activate the account (R-O4, R-X1).

    The account is named by the mobile number if it is free, else by the ID number, as the county import names
    the cadres' accounts.
    """
    if by is not None and not _administers_some_county(by):
        audit_refusal(action="person.create.refused", actor=by, reason=_("无权新建人员"))
        raise PermissionDenied(_("只有县委组织部可以新建人员。"))
    name, id_number, phone = name.strip(), normalise_id_number(id_number), normalise_phone(phone)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("请填写姓名。")
    elif len(name) > (User._meta.get_field("name").max_length or 0):
        errors["name"] = _("姓名过长。")
    problem = id_number_problem(id_number) if id_number else _("请填写身份证号。")
    if problem:
        errors["id_number"] = problem
    elif (
        User.objects.filter(id_number=id_number, is_active=False).exists()
        or Cadre.objects.filter(id_number=id_number, user__is_active=False).exists()
    ):
        errors["id_number"] = _(
            "身份证号 %(number)s 的账号已停用:请先在“账号与激活码”中恢复该账号,再查找并任命此人。"
        ) % {"number": id_number}
    elif User.objects.filter(id_number=id_number).exists() or Cadre.objects.filter(id_number=id_number).exists():
        errors["id_number"] = _("身份证号 %(number)s 已有人员登记,请在“查找人员”中查找并选择此人。") % {
            "number": id_number
        }
    if phone_problem := _phone_problem(phone):
        errors["phone"] = phone_problem
    if errors:
        raise ValidationError(errors)
    username = phone if phone and not User.objects.filter(username=phone).exists() else id_number
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"id_number": _("账号名「%(username)s」已被其他账号占用,无法为此人建立账号。") % {"username": username}}
        )
    with transaction.atomic():
        user = User(username=username, name=name, id_number=id_number)
        user.set_unusable_password()
        user.save()
        audit_record(
            action="person.create",
            actor=by,
            obj=user,
            # The trail is read beyond this county: the ID number (and an account named by it) stays masked.
            data={"user": mask_id_number(username) if username == id_number else username, "name": name},
        )
    return user


# --- The org dept's edits of the tiers (R-O1, R-O2, R-O3) --------------------------------------------


def _recorded(value: Any) -> Any:
    """A field's value as the audit trail keeps it: plain JSON."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _check_may_edit(by: User | None, obj: models.Model, action: str) -> None:
    """Only the org dept of the record's county (or a system command, by=None) edits it (R-O4)."""
    if by is None or may(by, COORDINATE_COUNTY, obj):
        return
    audit_refusal(action=f"{action}.refused", actor=by, obj=obj, reason=_("无权修改该记录"))
    raise PermissionDenied(_("只有本县组织部可以修改本县的组织架构。"))


def _update(obj: models.Model, values: dict[str, Any], *, action: str, by: User | None) -> dict[str, list]:
    """Write the fields that changed and one audit event with their values before and after; nothing if none did."""
    changed = {name: [getattr(obj, name), value] for name, value in values.items() if getattr(obj, name) != value}
    if not changed:
        return {}
    before = {name: old for name, (old, _new) in changed.items()}
    for name, (_old, new) in changed.items():
        setattr(obj, name, new)
    untouched = [f.name for f in obj._meta.concrete_fields if f.name not in values and not f.is_relation]
    try:
        obj.full_clean(exclude=untouched)
    except ValidationError:
        for name, old in before.items():
            setattr(obj, name, old)
        raise
    with transaction.atomic():
        attnames = {f.name: f.attname for f in obj._meta.concrete_fields}
        obj.save(update_fields=[attnames[name] for name in changed])
        data = {name: [_recorded(old), _recorded(new)] for name, (old, new) in changed.items()}
        audit_record(action=action, actor=by, obj=obj, data={"changed": data})
    return changed


def _check_free(obj: models.Model, field: str, value: str, message: str, **scope: Any) -> None:
    """Refuse a name or code that another record (in the same scope) already has, in words for the form."""
    if type(obj)._default_manager.filter(**{field: value}, **scope).exclude(pk=obj.pk).exists():
        raise ValidationError({field: message % {"value": value}})


def unit_update(*, unit: Unit, name: str, code: str, by: User | None) -> Unit:
    """Rename a unit or change its code, audited with the values before and after (R-O1, R-X1)."""
    _check_may_edit(by, unit, "unit.update")
    name, code = name.strip(), code.strip()
    _check_free(unit, "name", name, _("本县已有名为「%(value)s」的县直单位。"), county=unit.county_id)
    _check_free(unit, "code", code, _("单位代码「%(value)s」已被其他单位使用。"))
    _update(unit, {"name": name, "code": code}, action="unit.update", by=by)
    return unit


def township_update(*, township: Township, name: str, kind: str, by: User | None) -> Township:
    """Rename a township or change its kind, audited with the values before and after (R-O1, R-X1)."""
    _check_may_edit(by, township, "township.update")
    name = name.strip()
    _check_free(township, "name", name, _("本县已有名为「%(value)s」的乡镇(街道)。"), county=township.county_id)
    _update(township, {"name": name, "kind": kind}, action="township.update", by=by)
    return township


def village_update(
    *,
    village: Village,
    name: str,
    is_weak_leadership: bool,
    is_election_difficult: bool,
    is_old_revolutionary: bool,
    is_ethnic_minority: bool,
    by: User | None,
) -> Village:
    """Rename a village or set its recorded categories, audited with the values before and after (R-O3, R-X1)."""
    _check_may_edit(by, village, "village.update")
    name = name.strip()
    _check_free(village, "name", name, _("本乡镇已有名为「%(value)s」的行政村。"), township=village.township_id)
    values = {
        "name": name,
        "is_weak_leadership": is_weak_leadership,
        "is_election_difficult": is_election_difficult,
        "is_old_revolutionary": is_old_revolutionary,
        "is_ethnic_minority": is_ethnic_minority,
    }
    _update(village, values, action="village.update", by=by)
    return village


def village_income_set(
    *, village: Village, year: int, total_income: Decimal, subsidies: Decimal, by: User | None
) -> VillageIncome:
    """Record or replace a village's collective income for one year; its economic categories follow (R-O3, R-X1)."""
    _check_may_edit(by, village, "village.income_set")
    errors: dict[str, str] = {}
    if not settings.INPUT_YEAR_MIN <= year <= settings.INPUT_YEAR_MAX:
        errors["year"] = _("年度应在 %(min)s 至 %(max)s 年之间。") % {
            "min": settings.INPUT_YEAR_MIN,
            "max": settings.INPUT_YEAR_MAX,
        }
    if subsidies < 0:
        errors["subsidies"] = _("上级补助不能为负数。")
    elif subsidies > total_income:
        errors["subsidies"] = _("其中上级补助不能大于村集体收入。")
    if errors:
        raise ValidationError(errors)
    income = VillageIncome.objects.filter(village=village, year=year).first()
    before = (income.total_income, income.subsidies) if income is not None else (None, None)
    if income is not None and before == (total_income, subsidies):
        return income
    with transaction.atomic():
        if income is None:
            income = VillageIncome(village=village, year=year)
        income.total_income, income.subsidies = total_income, subsidies
        income.full_clean(exclude=["village"])
        income.save()
        changed = {
            name: [_recorded(old), _recorded(new)]
            for name, old, new in (("total_income", before[0], total_income), ("subsidies", before[1], subsidies))
            if old != new
        }
        audit_record(action="village.income_set", actor=by, obj=village, data={"year": year, "changed": changed})
    return income


def cadre_update(
    *,
    cadre: Cadre,
    is_reserve: bool,
    is_key_cultivation: bool,
    is_party_member: bool,
    rank: str,
    post_title: str,
    unit: Unit,
    phone: str,
    by: User | None,
) -> Cadre:
    """Change a cadre's flags, rank, post, unit (in the county) or phone, audited before and after (R-O2, R-X1)."""
    _check_may_edit(by, cadre, "cadre.update")
    phone = normalise_phone(phone)
    errors: dict[str, str] = {}
    if unit.county_id != cadre.unit.county_id:
        errors["unit"] = _("只能调入本县的单位。")
    if phone_problem := _phone_problem(phone):
        errors["phone"] = phone_problem
    if errors:
        raise ValidationError(errors)
    values = {
        "is_reserve": is_reserve,
        "is_key_cultivation": is_key_cultivation,
        "is_party_member": is_party_member,
        "rank": rank,
        "post_title": post_title.strip(),
        "unit": unit,
        "phone": phone,
    }
    _update(cadre, values, action="cadre.update", by=by)
    return cadre
