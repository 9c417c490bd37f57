"""The two checks every service makes before a transition: state first, then tier (R-O4, R-X1)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from workflows.audit import audit_refusal
from workflows.models import User
from workflows.permissions import may


def require_state(obj: Model, transition: Any, message: str | None = None) -> None:
    """Refuse with a clear message when the object's state, or a condition, forbids the transition."""
    if not can_proceed(transition, check_conditions=False):
        state_field = transition._django_fsm.field.name
        display = getattr(obj, f"get_{state_field}_display")()
        raise ValidationError(_("此事项当前为「%(state)s」,已经处理过或不能进行此操作。") % {"state": display})
    if not can_proceed(transition):
        raise ValidationError(message or _("当前条件不允许此操作。"))


def require_perm(user: User | None, perm: str, obj: Model, *, action: str) -> None:
    """Refuse (403) a user acting outside their tier, and leave an audit record of the attempt."""
    if may(user, perm, obj):
        return
    audit_refusal(action=f"{action}.refused", actor=user, obj=obj, reason=_("越权操作被拒绝"), data={"perm": perm})
    raise PermissionDenied(_("您无权对此事项进行该操作。"))
