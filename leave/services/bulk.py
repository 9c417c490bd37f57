"""Leave approved many at once: each through `leave_decide`, as its decision page does (R-M2)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from leave.models import UNDECIDED_LEAVE_STATES, LeaveRequest, LeaveState
from leave.selectors.leave import decider_perm
from leave.services.leave import _locked, leave_decide
from workflows.bulk import BulkResult, already_handled, run_each
from workflows.guards import require_perm
from workflows.models import User

_RELATED = ("dispatch__cadre", "dispatch__unit__county", "dispatch__village__township")


def leave_approve_many(*, pks: Iterable[int], stage: str, by: User, comment: str = "") -> BulkResult:
    """Approve each selected leave still waiting at `stage`, each in its own transaction (R-M2).

    `stage` is the decision the user makes: REQUESTED for the township's, REVIEWED for the org dept's. The township's
    approval of leave above N working days is its review, which sends it on to the org dept, as on the single page.
    A leave outside the user's tier is refused (403, audited); one decided meanwhile is skipped and said so; one
    whose approval a rule refuses (days already recorded otherwise, R-M2a) is listed with the rule's message.
    """
    if stage not in UNDECIDED_LEAVE_STATES:
        raise ValueError(f"not a decision stage: {stage}")
    perm = decider_perm(stage)

    def load(wanted: list[int]) -> dict[int, LeaveRequest]:
        return LeaveRequest.objects.select_related(*_RELATED).in_bulk(wanted)

    def act(leave: LeaveRequest) -> str:
        require_perm(by, perm, leave, action="leave.decide")
        leave = _locked(leave)
        if leave.state != stage:
            raise already_handled(leave.get_state_display())
        leave = leave_decide(leave=leave, by=by, approve=True, comment=comment)
        if leave.state == LeaveState.REVIEWED:
            return _("已审核同意,报县委组织部审批")
        return _("已批准,请假日已记入考勤")

    return run_each(pks, load=load, act=act, label=_label)


def _label(leave: LeaveRequest) -> str:
    return _("%(name)s %(start)s 至 %(end)s(%(n)s 个工作日)") % {
        "name": leave.dispatch.cadre.name,
        "start": leave.starts_on.isoformat(),
        "end": leave.ends_on.isoformat(),
        "n": leave.days,
    }
