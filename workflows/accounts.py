"""Accounts: one-time activation and reset codes, activating, deactivating (R-O4, R-X1).

Every cadre and every post holder has an account. The org dept of the account's county issues a one-time code
(shown once, or printed on a sheet of slips); with it the person sets their own password at /accounts/activate/.
No password is ever shown or stored readable, and a code is kept only as an HMAC digest.

A reset code leaves the account's current password valid until the code is used: issuing it cannot lock anybody
out, and a person who forgot the password needs nothing but the code. To shut an account at once, deactivate it.

A code is 12 characters from a 31-letter alphabet without look-alikes (0/O, 1/I/L): about 59 bits. Whatever makes
a code unusable (unknown, used, voided, expired, another person's), the refusal is the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, CharField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.audit import audit_record, audit_refusal
from workflows.models import ActivationCode, Cadre, County, Post, Role, Township, Unit, User
from workflows.permissions import COORDINATE_COUNTY, may
from workflows.selectors import coordinated_counties

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 12
GROUP = 4

Tier = County | Unit | Township


class Status:
    """An account's state on the list: no usable password yet, in use, or shut."""

    UNACTIVATED = "unactivated"
    ACTIVE = "active"
    INACTIVE = "inactive"

    choices = (
        (UNACTIVATED, gettext_lazy("未激活")),
        (ACTIVE, gettext_lazy("已激活")),
        (INACTIVE, gettext_lazy("已停用")),
    )
    labels = dict(choices)


class ActivationRefused(Exception):
    """The code cannot be used; one message whatever the reason, so that trying codes tells nothing."""

    def __init__(self) -> None:
        super().__init__(
            _("账号或激活码不正确,或激活码已使用、已作废、已过期。请核对后重试,或联系县委组织部重新签发。")
        )


@dataclass(frozen=True)
class IssuedCode:
    """A code as issued: the only moment its plain text exists."""

    user: User
    code: str
    purpose: str
    expires_at: datetime


def code_days() -> int:
    return settings.ACTIVATION_CODE_DAYS


def _key() -> bytes:
    secret = settings.ACTIVATION_CODE_KEY or settings.SECRET_KEY
    return hmac.new(secret.encode(), b"activation-code-digest", hashlib.sha256).digest()


def normalise(text: str) -> str:
    """What the person typed, as a code: case, spaces and dashes do not matter."""
    return re.sub(r"[^0-9A-Z]", "", (text or "").upper())[: LENGTH * 2]


def digest(code: str) -> str:
    """The only form in which a code is stored."""
    return hmac.new(_key(), normalise(code).encode(), hashlib.sha256).hexdigest()


def formatted(code: str) -> str:
    code = normalise(code)
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------


def _in_counties(counties: list[int]) -> Q:
    """The accounts of these counties: cadres of their units and holders of posts there, ended posts included (a
    person whose last post ended stays on the list, to be deactivated or appointed again)."""
    return (
        Q(cadre__unit__county__in=counties)
        | Q(posts__county__in=counties)
        | Q(posts__unit__county__in=counties)
        | Q(posts__township__county__in=counties)
    )


def _status_expression() -> Case:
    return Case(
        When(is_active=False, then=Value(Status.INACTIVE)),
        When(Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password=""), then=Value(Status.UNACTIVATED)),
        default=Value(Status.ACTIVE),
        output_field=CharField(),
    )


def _open_codes() -> QuerySet[ActivationCode]:
    return ActivationCode.objects.filter(used_at__isnull=True, voided_at__isnull=True, expires_at__gt=timezone.now())


def accounts_for(
    user: User,
    *,
    counties: list[int] | None = None,
    search: str = "",
    unit: Unit | None = None,
    township: Township | None = None,
    status: str = "",
) -> QuerySet[User]:
    """The accounts of the counties the user administers: every cadre and every post holder, with `status`,
    their active posts (`active_posts`) and their open code's expiry and purpose (`code_expires`, `code_purpose`)."""
    counties = coordinated_counties(user) if counties is None else counties
    if not counties:
        return User.objects.none()
    ids = User.objects.filter(_in_counties(counties))
    if unit is not None:
        ids = ids.filter(Q(cadre__unit=unit) | Q(posts__ended_at__isnull=True, posts__unit=unit))
    if township is not None:
        ids = ids.filter(posts__ended_at__isnull=True, posts__township=township)
    search = (search or "").strip()
    if search:
        ids = ids.filter(
            Q(name__icontains=search)
            | Q(username__icontains=search)
            | Q(cadre__name__icontains=search)
            | Q(id_number__iexact=search)
            | Q(cadre__id_number__iexact=search)
        )
    open_code = _open_codes().filter(user=OuterRef("pk")).order_by("-issued_at")
    accounts = (
        User.objects.filter(pk__in=ids.values("pk"))
        .select_related("cadre__unit")
        .prefetch_related(
            Prefetch(
                "posts",
                queryset=Post.objects.active().select_related("county", "unit", "township"),
                to_attr="active_posts",
            )
        )
        .annotate(
            status=_status_expression(),
            code_expires=Subquery(open_code.values("expires_at")[:1]),
            code_purpose=Subquery(open_code.values("purpose")[:1]),
            # The open code, expired or not, that a new one would void: the issue form names it (`replaces`).
            open_code_pk=Subquery(
                ActivationCode.objects.filter(user=OuterRef("pk"), used_at__isnull=True, voided_at__isnull=True).values(
                    "pk"
                )[:1]
            ),
        )
        .order_by("cadre__unit__code", "username")
    )
    if status:
        accounts = accounts.filter(status=status)
    return accounts


def account_status(user: User) -> str:
    if not user.is_active:
        return Status.INACTIVE
    return Status.ACTIVE if user.has_usable_password() else Status.UNACTIVATED


def account_counties(user: User) -> set[int]:
    """The counties an account belongs to: its cadre's unit's and its active posts'; with neither, its past posts'."""
    counties: set[int] = set(Cadre.objects.filter(user=user).values_list("unit__county_id", flat=True))
    for held in (Post.objects.active().filter(user=user), Post.objects.filter(user=user)):
        for county, unit_county, township_county in held.values_list(
            "county_id", "unit__county_id", "township__county_id"
        ):
            counties.add(county or unit_county or township_county)
        counties.discard(None)
        if counties:
            break
    return counties


def account_home_tier(user: User) -> Tier | None:
    """The tier the account's audit events are filed under: its cadre's unit, else its first active post's tier."""
    cadre = Cadre.objects.filter(user=user).select_related("unit").first()
    if cadre is not None:
        return cadre.unit
    post = Post.objects.active().filter(user=user).select_related("county", "unit", "township").first()
    return post.tier if post is not None else None


def may_administer(by: User | None, user: User) -> bool:
    """Whether `by` administers the account: the org dept of every county it belongs to (R-O4).

    Superusers, staff and auditors are administered by superusers only, so that the org dept cannot take one over.
    """
    if by is None or not by.is_authenticated or not by.is_active:
        return False
    if by.is_superuser:
        return True
    if user.is_superuser or user.is_staff:
        return False
    # The auditor checks the org dept: the org dept neither resets nor deactivates the auditor's account.
    if Post.objects.active().filter(user=user, role=Role.AUDITOR).exists():
        return False
    # Every county the account belongs to must be one `by` administers: appointing someone of county A to a post in
    # county B never hands B the keys to the account A gave them.
    counties = account_counties(user)
    return bool(counties) and all(may(by, COORDINATE_COUNTY, County(pk=pk)) for pk in counties)


def administered_among(by: User, users: list[User]) -> set[int]:
    """Of these accounts, the pks of those `by` administers: `may_administer` for a page of them in three queries."""
    if by.is_superuser:
        return {u.pk for u in users}
    pks = [u.pk for u in users if not (u.is_superuser or u.is_staff)]
    auditors = set(Post.objects.active().filter(user__in=pks, role=Role.AUDITOR).values_list("user_id", flat=True))
    counties: dict[int, set[int]] = {pk: set() for pk in pks}
    for user_id, county in Cadre.objects.filter(user__in=pks).values_list("user_id", "unit__county_id"):
        counties[user_id].add(county)
    past: dict[int, set[int]] = {pk: set() for pk in pks}
    for user_id, ended_at, county, unit_county, township_county in Post.objects.filter(user__in=pks).values_list(
        "user_id", "ended_at", "county_id", "unit__county_id", "township__county_id"
    ):
        (past if ended_at else counties)[user_id].add(county or unit_county or township_county)
    for pk in pks:
        # As account_counties: a person with neither a cadre record nor a post now belongs where they served.
        counties[pk] = counties[pk] or past[pk]
    mine = set(coordinated_counties(by))
    return {pk for pk in pks if pk not in auditors and counties[pk] and counties[pk] <= mine}


def _check_may_administer(by: User, user: User) -> None:
    if not may_administer(by, user):
        audit_refusal(
            action="account.refused",
            actor=by,
            obj=account_home_tier(user),
            reason=_("无权管理该账号"),
            data={"user": user.username},
        )
        raise PermissionDenied(_("只有账号所在县的县委组织部可以管理该账号。"))


def _check_may_administer_tier(by: User, tier: Tier) -> None:
    county = tier if isinstance(tier, County) else tier.county
    if by.is_superuser or may(by, COORDINATE_COUNTY, county):
        return
    audit_refusal(action="account.refused", actor=by, obj=tier, reason=_("无权为该层级签发激活码"))
    raise PermissionDenied(_("只有本县组织部可以签发激活码。"))


def _account_data(user: User) -> dict:
    return {"user": user.username, "name": user.get_full_name()}


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def _issue(*, user: User, by: User | None, purpose: str) -> tuple[IssuedCode, int]:
    """Void the account's open code and store a new one's digest; return it in plain text once."""
    now = timezone.now()
    voided = ActivationCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
        voided_at=now
    )
    code = _new_code()
    expires_at = now + timedelta(days=code_days())
    ActivationCode.objects.create(
        user=user, purpose=purpose, digest=digest(code), issued_by=by, issued_at=now, expires_at=expires_at
    )
    return IssuedCode(user=user, code=code, purpose=purpose, expires_at=expires_at), voided


def _check_may_issue(user: User, purpose: str) -> None:
    if purpose not in ActivationCode.Purpose.values:
        raise ValidationError(_("激活码用途不正确。"))
    if not user.is_active:
        raise ValidationError(_("该账号已停用,请先恢复账号再签发激活码。"))
    if purpose == ActivationCode.Purpose.ACTIVATE and user.has_usable_password():
        raise ValidationError(_("该账号已激活;如忘记密码,请签发重置码。"))
    if purpose == ActivationCode.Purpose.RESET and not user.has_usable_password():
        raise ValidationError(_("该账号尚未激活,请签发激活码。"))


def activation_code_issue(*, user: User, by: User, purpose: str, replaces: int | None = None) -> str:
    """Issue a one-time activation or reset code for one account, voiding its open one; return the code once.

    `replaces` is the open code the issuer saw (0: none): when another code was issued since (the same form sent
    twice, or two issuers at once), nothing is issued, so that nobody voids a code they have not seen.
    """
    _check_may_administer(by, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_may_issue(user, purpose)
        if replaces is not None:
            current = (
                ActivationCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True)
                .values_list("pk", flat=True)
                .first()
            )
            if (current or 0) != replaces:
                raise ValidationError(
                    _("该账号的激活码刚刚已签发过(页面可能被重复提交),为保密不再显示。如需新码,请回到列表重新签发。")
                )
        issued, voided = _issue(user=user, by=by, purpose=purpose)
        audit_record(
            action="account.code_issue",
            actor=by,
            obj=account_home_tier(user),
            to_state=purpose,
            data={
                **_account_data(user),
                "purpose": purpose,
                "expires": issued.expires_at.isoformat(timespec="minutes"),
                "voided": voided,
            },
        )
    return issued.code


def accounts_to_activate(tier: Tier) -> QuerySet[User]:
    """The active, not yet activated accounts of a tier: a unit's cadres and post holders, a township's post
    holders, or every one of a county's."""
    if isinstance(tier, County):
        users = User.objects.filter(_in_counties([tier.pk]))
    elif isinstance(tier, Unit):
        users = User.objects.filter(Q(cadre__unit=tier) | Q(posts__ended_at__isnull=True, posts__unit=tier))
    else:
        users = User.objects.filter(posts__ended_at__isnull=True, posts__township=tier)
    return (
        User.objects.filter(pk__in=users.values("pk"), is_active=True)
        .filter(Q(password__startswith=UNUSABLE_PASSWORD_PREFIX) | Q(password=""))
        .exclude(Q(is_superuser=True) | Q(is_staff=True))
        .select_related("cadre__unit")
        .prefetch_related(
            Prefetch(
                "posts",
                queryset=Post.objects.active().select_related("county", "unit", "township"),
                to_attr="active_posts",
            )
        )
        .order_by("cadre__unit__code", "username")
    )


def activation_codes_issue(*, tier: Tier, by: User, reissue: bool = False) -> list[IssuedCode]:
    """Issue activation codes for the unactivated accounts of a tier, for a printed sheet (one audit event).

    Accounts whose code is still open are left out, so that printing a county's sheet never voids the slips a
    unit handed out that morning; with `reissue` they get a new code too, and the old one is void.
    """
    _check_may_administer_tier(by, tier)
    with transaction.atomic():
        candidates = accounts_to_activate(tier)
        if not reissue:
            open_codes = ActivationCode.objects.filter(
                used_at__isnull=True, voided_at__isnull=True, expires_at__gt=timezone.now()
            )
            candidates = candidates.exclude(pk__in=open_codes.values("user_id"))
        users = list(candidates.select_for_update(of=("self",)))
        if not users:
            if not reissue and accounts_to_activate(tier).exists():
                raise ValidationError(
                    _("所选范围内未激活的账号都已有未过期的激活码。如需作废旧码、重新签发,请勾选“重新签发”。")
                )
            raise ValidationError(_("所选范围内没有未激活的账号。"))
        issued, voided = [], 0
        for user in users:
            one, count = _issue(user=user, by=by, purpose=ActivationCode.Purpose.ACTIVATE)
            issued.append(one)
            voided += count
        audit_record(
            action="account.codes_issue",
            actor=by,
            obj=tier,
            to_state=ActivationCode.Purpose.ACTIVATE,
            data={
                "count": len(issued),
                "voided": voided,
                "scope": str(tier),
                "expires": issued[0].expires_at.isoformat(timespec="minutes"),
            },
        )
    return issued


def find_account(login: str) -> User | None:
    """The account a person names by username or by ID number (their own or their cadre record's)."""
    login = (login or "").strip()
    if not login:
        return None
    user = User.objects.filter(username=login).first()
    if user is None and re.fullmatch(r"\d{17}[\dXx]", login):
        number = login.upper()
        user = User.objects.filter(Q(id_number=number) | Q(cadre__id_number=number)).first()
    return user


#: Django 5.2 reworded this message and its Chinese catalogue has not caught up; the rest are translated.
_PASSWORD_MESSAGES = {"password_too_short": gettext_lazy("密码太短,至少需要 %(min_length)d 个字符。")}


def password_check(password: str, user: User | None = None) -> None:
    """Validate a new password with AUTH_PASSWORD_VALIDATORS, every refusal in the reader's language."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError(
            [
                ValidationError(_PASSWORD_MESSAGES[e.code], code=e.code, params=e.params)
                if e.code in _PASSWORD_MESSAGES
                else e
                for e in error.error_list
            ]
        ) from None


def account_activate(*, username: str, code: str, new_password: str) -> User:
    """Set one's own password with a one-time code; the code is used once only (R-X1).

    `username` may also be the person's ID number. Any unusable code raises ActivationRefused; a password the
    validators refuse raises ValidationError, and nothing is changed either way.
    """
    with transaction.atomic():
        record = ActivationCode.objects.select_for_update().filter(digest=digest(code)).select_related("user").first()
        person = find_account(username)
        if (
            record is None
            or person is None
            or record.user_id != person.pk
            or record.used_at is not None
            or record.voided_at is not None
            or record.expires_at <= timezone.now()
            or not record.user.is_active
        ):
            raise ActivationRefused
        user = User.objects.select_for_update().get(pk=record.user_id)
        password_check(new_password, user)
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record.used_at = timezone.now()
        record.save(update_fields=["used_at"])
        audit_record(
            action="account.activate",
            actor=user,
            obj=account_home_tier(user),
            to_state=record.purpose,
            data={**_account_data(user), "purpose": record.purpose},
        )
    return user


def account_password_changed(*, user: User) -> User:
    """Record that a person changed their own password, which lifts the forced change (R-X1)."""
    with transaction.atomic():
        forced = user.must_change_password
        if forced:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        audit_record(
            action="account.password_change",
            actor=user,
            obj=account_home_tier(user),
            data={**_account_data(user), "forced": forced},
        )
    return user


def account_deactivate(*, user: User, by: User, reason: str) -> User:
    """Shut an account (a cadre who left): it cannot sign in, and its open code is voided (R-X1)."""
    _check_may_administer(by, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写停用理由。"))
    if user.pk == by.pk:
        raise ValidationError(_("不能停用自己的账号。"))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active:
            raise ValidationError(_("该账号已经停用。"))
        was = account_status(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        voided = ActivationCode.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
            voided_at=timezone.now()
        )
        audit_record(
            action="account.deactivate",
            actor=by,
            obj=account_home_tier(user),
            from_state=was,
            to_state=Status.INACTIVE,
            reason=reason,
            data={**_account_data(user), "voided": voided},
        )
    return user


def account_reactivate(*, user: User, by: User, reason: str = "") -> User:
    """Open a deactivated account again; its password, if it had one, is valid again (R-X1)."""
    _check_may_administer(by, user)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_active:
            raise ValidationError(_("该账号未停用。"))
        user.is_active = True
        user.save(update_fields=["is_active"])
        audit_record(
            action="account.reactivate",
            actor=by,
            obj=account_home_tier(user),
            from_state=Status.INACTIVE,
            to_state=account_status(user),
            reason=(reason or "").strip(),
            data=_account_data(user),
        )
    return user
