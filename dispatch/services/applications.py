"""Cadres applying for a village themselves (R-S2)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import (
    ACTIVE_STATES,
    Application,
    Dispatch,
    Pairing,
)
from workflows.audit import audit_record
from workflows.guards import require_perm, require_state
from workflows.models import Cadre, User, Village
from workflows.permissions import (
    NOMINATE_CADRES,
)


def application_submit(
    *, cadre: Cadre, year: int, statement: str, by: User, preferred_village: Village | None = None
) -> Application:
    """A cadre applies to be stationed (R-S2)."""
    if by.pk != cadre.user_id:
        raise PermissionDenied(_("只能为本人报名。"))
    if not statement.strip():
        raise ValidationError(_("请填写报名理由。"))
    if Dispatch.objects.filter(cadre=cadre, state__in=ACTIVE_STATES).exists():
        raise ValidationError(_("您已在选派中,不需要再报名。"))
    if preferred_village and not Pairing.objects.filter(unit=cadre.unit, village=preferred_village, year=year).exists():
        raise ValidationError(_("意向村须是本单位的结对村。"))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                cadre=cadre, year=year, statement=statement.strip(), preferred_village=preferred_village
            )
            audit_record(action="application.submit", actor=by, obj=application, to_state=application.state)
    except IntegrityError as exc:
        raise ValidationError(_("您本年度已有待单位决定的报名。")) from exc
    return application


def application_decline(*, application: Application, by: User, reason: str) -> Application:
    """The unit declines a cadre's application, with a reason (R-S2)."""
    if not reason.strip():
        raise ValidationError(_("请填写未推荐的理由。"))
    require_state(application, application.decline)
    require_perm(by, NOMINATE_CADRES, application.cadre.unit, action="application.decline")
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        require_state(application, application.decline)
        before = application.state
        application.decline(by=by, on=timezone.now(), reason=reason.strip())
        application.save()
        audit_record(
            action="application.decline",
            actor=by,
            obj=application,
            from_state=before,
            to_state=application.state,
            reason=reason.strip(),
        )
    return application
