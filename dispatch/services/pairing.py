"""Pairing units with villages and the yearly quota with its sanctions (R-S5, R-S6)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import selectors
from dispatch.models import (
    ACTIVE_STATES,
    Dispatch,
    Pairing,
    Quota,
    QuotaSanction,
)
from workflows.audit import audit_record
from workflows.guards import require_perm
from workflows.models import County, Unit, User, Village
from workflows.permissions import (
    COORDINATE_COUNTY,
)


def pairing_add(*, unit: Unit, village: Village, year: int, by: User) -> Pairing:
    """The org dept pairs a unit with a village for a year (R-S6)."""
    require_perm(by, COORDINATE_COUNTY, unit.county, action="pairing.add")
    if village.township.county_id != unit.county_id:
        raise ValidationError(_("只能与本县的村结对。"))
    with transaction.atomic():
        pairing, created = Pairing.objects.get_or_create(unit=unit, village=village, year=year)
        if created:
            audit_record(action="pairing.add", actor=by, obj=pairing, data={"year": year})
    return pairing


def pairing_remove(*, pairing: Pairing, by: User) -> None:
    """The org dept removes a pairing that no active dispatch uses (R-S6)."""
    require_perm(by, COORDINATE_COUNTY, pairing.unit.county, action="pairing.remove")
    in_use = Dispatch.objects.filter(
        unit=pairing.unit, village=pairing.village, year=pairing.year, state__in=ACTIVE_STATES
    ).exists()
    if in_use:
        raise ValidationError(_("该结对村已有本单位在派干部,不能取消结对。"))
    with transaction.atomic():
        audit_record(action="pairing.remove", actor=by, obj=pairing, data={"year": pairing.year})
        pairing.delete()


def quota_set(
    *, unit: Unit, year: int, cadres: int, deadline: datetime.date, by: User, confirm_past_deadline: bool = False
) -> Quota:
    """The org dept sets a unit's yearly quota and deadline; a deadline already past only when confirmed (R-S5)."""
    require_perm(by, COORDINATE_COUNTY, unit.county, action="quota.set")
    if cadres < 1:
        raise ValidationError(_("选派名额至少为 1 名。"))
    today = timezone.localdate()
    past = deadline < today
    with transaction.atomic():
        quota = Quota.objects.select_for_update().filter(unit=unit, year=year).first()
        if quota is not None and quota.enforced_at is not None:
            raise ValidationError(_("该年度选派任务已到期核查,不能再修改。"))
        if past and not confirm_past_deadline:
            raise ValidationError(
                _(
                    "截止日期 %(deadline)s 已经过去(今天是 %(today)s)。"
                    "保存后该任务即可到期核查,未完成的单位将被记录处理;"
                    "如确需补录,请勾选“确认截止日期已过”后再保存。"
                )
                % {"deadline": deadline.isoformat(), "today": today.isoformat()},
                code="deadline_past",
            )
        before = f"{quota.cadres} / {quota.deadline}" if quota else ""
        if quota is None:
            quota = Quota(unit=unit, year=year)
        quota.cadres, quota.deadline = cadres, deadline
        quota.save()
        audit_record(
            action="quota.set",
            actor=by,
            obj=quota,
            from_state=before,
            to_state=f"{cadres} / {deadline}",
            data={"past_deadline_confirmed": True} if past else None,
        )
    return quota


def quota_enforce(
    *, on: datetime.date, by: User | None = None, county: County | None = None, confirmed: Iterable[int] | None = None
) -> list[QuotaSanction]:
    """At each passed deadline, sanction every unit that sent fewer cadres than its quota (R-S5).

    A person confirms the list they were shown (`confirmed`: the quota ids the confirmation page listed); if
    the quotas due are no longer exactly those, nothing is recorded and they are told to look again.
    """
    if by is not None:
        # A person enforces in their own county; only the scheduler (by=None) runs across counties.
        if county is None:
            raise PermissionDenied(_("请指定要核查的县。"))
        require_perm(by, COORDINATE_COUNTY, county, action="quota.enforce")
    sanctions = []
    with transaction.atomic():
        # Count under the lock, for exactly the quotas locked: a quota falling due in between is counted too.
        due = list(selectors.quotas_due(on=on, county=county).select_for_update(of=("self",)))
        if confirmed is not None and {q.pk for q in due} != set(confirmed):
            raise ValidationError(
                _(
                    "待核查的选派任务已有变化(可能已由他人核查,或有任务刚刚设定或修改),"
                    "本次未记录任何处理。请核对新的清单后再确认。"
                ),
                code="stale",
            )
        for check in selectors.quota_checks(due):
            quota = check.quota
            quota.enforced_at = timezone.now()
            quota.save(update_fields=["enforced_at"])
            if not check.short:
                audit_record(action="quota.met", actor=by, obj=quota, data={"sent": check.sent, "quota": quota.cadres})
                continue
            sanction = QuotaSanction.objects.create(
                unit=quota.unit, quota=quota, sent=check.sent, starts_on=check.starts_on, ends_on=check.ends_on
            )
            audit_record(
                action="quota.sanction",
                actor=by,
                obj=sanction,
                to_state="sanctioned",
                reason=_("未完成选派任务:名额 %(quota)s,实派 %(sent)s") % {"quota": quota.cadres, "sent": check.sent},
                data={"starts_on": str(sanction.starts_on), "ends_on": str(sanction.ends_on)},
            )
            sanctions.append(sanction)
    return sanctions


def quota_sanction_revoke(*, sanction: QuotaSanction, by: User, reason: str) -> QuotaSanction:
    """The org dept revokes a sanction, with a reason: the unit may be considered for the awards again (R-S5)."""
    if sanction.revoked_at is not None:
        raise ValidationError(
            _("该处理已于 %(when)s 撤销。")
            % {"when": timezone.localtime(sanction.revoked_at).strftime("%Y-%m-%d %H:%M")}
        )
    require_perm(by, COORDINATE_COUNTY, sanction.unit.county, action="quota.sanction_revoke")
    if not reason.strip():
        raise ValidationError(_("请填写撤销处理的理由。"))
    with transaction.atomic():
        sanction = (
            QuotaSanction.objects.select_for_update(of=("self",)).select_related("unit", "quota").get(pk=sanction.pk)
        )
        if sanction.revoked_at is not None:
            raise ValidationError(_("该处理已由他人撤销。"))
        sanction.revoked_at, sanction.revoked_by, sanction.revoke_reason = timezone.now(), by, reason.strip()
        sanction.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(
            action="quota.sanction_revoke",
            actor=by,
            obj=sanction,
            from_state="sanctioned",
            to_state="revoked",
            reason=sanction.revoke_reason,
            data={
                "unit": sanction.unit.name,
                "year": sanction.quota.year,
                "starts_on": str(sanction.starts_on),
                "ends_on": str(sanction.ends_on),
            },
        )
    return sanction
