"""Nominations approved many at once: each through `dispatch_approve`, as its task page does (R-S1, R-S3, R-S4)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from dispatch import selectors
from dispatch.models import Dispatch, DispatchState
from dispatch.services._common import _locked
from dispatch.services.nomination import dispatch_approve
from workflows.bulk import BulkResult, already_handled, run_each
from workflows.guards import require_perm
from workflows.models import User
from workflows.permissions import APPROVE_NOMINATIONS
from workflows.text import join_list


def dispatch_approve_many(*, pks: Iterable[int], by: User, comment: str = "") -> BulkResult:
    """The unit head approves each selected nomination still waiting, each in its own transaction (R-S1).

    Reserve and key-cultivation cadres go first (R-S3). A non-reserve cadre is not approved in bulk while a reserve
    cadre of the same unit waits unapproved: the task page shows that fact before the head decides, a list cannot,
    so that nomination is listed with the reason and left for its own page (R-S3). An excluded cadre is refused by
    the service (R-S4); a nomination outside the head's unit is refused (403, audited); one decided meanwhile is
    skipped and said so.
    """

    def load(wanted: list[int]) -> dict[int, Dispatch]:
        return Dispatch.objects.select_related("cadre", "unit__county", "village__township").in_bulk(wanted)

    def act(dispatch: Dispatch) -> str:
        require_perm(by, APPROVE_NOMINATIONS, dispatch, action="dispatch.approve")
        dispatch = _locked(dispatch)
        if dispatch.state != DispatchState.NOMINATED:
            raise already_handled(dispatch.get_state_display())
        waiting = selectors.waiting_reserve_candidates(dispatch)
        if waiting:
            raise ValidationError(
                _("本单位的后备干部(重点培养对象)%(names)s 已被推荐、尚未审批;请在该推荐的审批页面查看后再决定。")
                % {"names": join_list(d.cadre.name for d in waiting)}
            )
        dispatch_approve(dispatch=dispatch, by=by, comment=comment)
        return _("已同意选派")

    ordered = _reserve_first(list(dict.fromkeys(pks)))
    return run_each(ordered, load=load, act=act, label=_label)


def _reserve_first(pks: list[int]) -> list[int]:
    """The selection with reserve and key-cultivation cadres first, so that approving them lifts their R-S3 hold."""
    first = set(
        Dispatch.objects.filter(pk__in=pks)
        .filter(Q(cadre__is_reserve=True) | Q(cadre__is_key_cultivation=True))
        .values_list("pk", flat=True)
    )
    return [pk for pk in pks if pk in first] + [pk for pk in pks if pk not in first]


def _label(dispatch: Dispatch) -> str:
    return _("%(name)s(%(unit)s,驻 %(village)s)") % {
        "name": dispatch.cadre.name,
        "unit": dispatch.unit.name,
        "village": dispatch.village.name,
    }
