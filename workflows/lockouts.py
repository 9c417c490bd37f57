"""Sign-in lockouts (django-axes): which are the org dept's to see, and lifting one, audited (R-X1, R-O4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.accounts import account_counties
from workflows.audit import audit_record, audit_refusal
from workflows.models import County, Post, User
from workflows.permissions import COORDINATE_COUNTY, may


@dataclass(frozen=True)
class Lockout:
    """Failed sign-ins of one account from one address, and whether they lock it out now."""

    username: str
    name: str
    ip_address: str
    failures: int
    last_attempt: datetime
    locked: bool
    until: datetime | None


def accounts_of_counties(counties: list[int]) -> dict[str, tuple[str, int]]:
    """Usernames of the people of these counties (post holders and cadres), with their names and county."""
    posts = Post.objects.active().filter(
        Q(county__in=counties) | Q(unit__county__in=counties) | Q(township__county__in=counties)
    )
    found: dict[str, tuple[str, int]] = {}
    for username, name, county, unit_county, township_county in posts.values_list(
        "user__username", "user__name", "county", "unit__county", "township__county"
    ):
        found[username] = (name or username, county or unit_county or township_county)
    for username, name, county in User.objects.filter(cadre__unit__county__in=counties).values_list(
        "username", "name", "cadre__unit__county"
    ):
        found.setdefault(username, (name or username, county))
    return found


def lockouts_for(user: User, counties: list[int]) -> list[Lockout]:
    """Recent failed sign-ins of the counties' accounts (every account's, for a superuser), locked ones first."""
    attempts = AccessAttempt.objects.exclude(username__isnull=True)
    known = None
    if not user.is_superuser:
        known = accounts_of_counties(counties)
        attempts = attempts.filter(username__in=list(known))
    rows = (
        attempts.order_by()
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )
    names = known if known is not None else accounts_of_counties(list(County.objects.values_list("pk", flat=True)))
    cooloff = settings.AXES_COOLOFF_TIME
    result = []
    for row in rows:
        when = row["last"]
        until = when + cooloff if cooloff else None
        locked = row["failures"] >= settings.AXES_FAILURE_LIMIT and (until is None or until > timezone.now())
        result.append(
            Lockout(
                username=row["username"],
                name=names.get(row["username"], (row["username"], 0))[0],
                ip_address=row["ip_address"] or "",
                failures=row["failures"],
                last_attempt=when,
                locked=locked,
                until=until if locked else None,
            )
        )
    result.sort(key=lambda lockout: (not lockout.locked, -lockout.last_attempt.timestamp()))
    return result


def lockout_lift(*, username: str, ip_address: str, by: User) -> int:
    """Lift the lockout of one account from one address: its failures there are forgotten (R-X1)."""
    account = User.objects.filter(username=username).first()
    counties = account_counties(account) if account is not None else set()
    county = County.objects.filter(pk__in=counties).order_by("pk").first()
    # Lifting a lockout lets nobody in: any county the account belongs to may lift it.
    if not by.is_superuser and not any(may(by, COORDINATE_COUNTY, County(pk=pk)) for pk in counties):
        audit_refusal(action="account.refused", actor=by, obj=county, reason=_("无权解除该账号的登录锁定"))
        raise PermissionDenied(_("只有该账号所在县的组织部可以解除登录锁定。"))
    removed = reset(username=username, ip=ip_address or None)
    if not removed:
        raise ValidationError(_("该账号在该地址没有登录失败记录,无需解除。"))
    audit_record(
        action="account.unlock",
        actor=by,
        obj=county,
        reason=ip_address,
        data={"user": username, "name": account.get_full_name() if account else "", "address": ip_address},
    )
    return removed
