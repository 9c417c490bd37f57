"""Leave approved many at once: the township's decisions, and the org dept's of leave the townships reviewed (R-M2)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leave.models import LeaveRequest, LeaveState
from leave.selectors import leave as leave_selectors
from leave.services import leave_approve_many
from workflows.bulk import BulkResult
from workflows.bulkviews import BulkPage, BulkRow
from workflows.flows import flows_of, open_tasks_for
from workflows.permissions import PERM_TIER, granted_tier_pks
from workflows.policy import policy

#: The decision each stage of the page is, by its `?stage=` value.
STAGES = {"township": LeaveState.REQUESTED, "org": LeaveState.REVIEWED}


def stages_of(user) -> list[str]:
    """The page's stages this user decides at: the township's, the org dept's, or both."""
    return [name for name, state in STAGES.items() if _decides_at(user, state)]


def _decides_at(user, state: str) -> bool:
    perm = leave_selectors.decider_perm(state)
    return bool(granted_tier_pks(user, {PERM_TIER[perm]: perm})[PERM_TIER[perm]])


def bulk_entry(user) -> dict | None:
    """The home page's link to this page, with how many leave requests wait, when at least two do."""
    stages = stages_of(user)
    for stage in stages:
        n = leave_selectors.leaves_awaiting(user, STAGES[stage]).count()
        if n >= 2:
            return {"label": _("批量审批请假"), "url": f"{reverse('leave:leave_bulk')}?stage={stage}", "count": n}
    return None


class LeaveBulkView(BulkPage):
    """Several leave requests approved at once, each through the decision service as on its own page (R-M2)."""

    area = "leave"
    columns = [
        gettext_lazy("干部"),
        gettext_lazy("驻点村"),
        gettext_lazy("请假日期"),
        gettext_lazy("工作日"),
        gettext_lazy("事由"),
    ]
    submit_label = gettext_lazy("批准所选请假")
    comment_label = gettext_lazy("审批意见(每项相同,可不填)")
    empty_text = gettext_lazy("暂无等待您审批的请假。")

    def load(self, request, *args, **kwargs) -> None:
        stages = stages_of(request.user)
        if not stages:
            raise PermissionDenied(_("您无权审批请假。"))
        wanted = request.GET.get("stage", "")
        self.stage = wanted if wanted in stages else stages[0]
        self.state = STAGES[self.stage]
        self.max_days = policy("LEAVE_TOWNSHIP_MAX_DAYS")
        if self.stage == "org":
            self.title = _("批量审批请假(组织部)")
            self.intro = _(
                "以下请假超过 %(n)s 个工作日,已经乡镇审核。勾选后一并批准,每项单独记录;"
                "不批准须写明理由,请在单项页面办理。"
            ) % {"n": self.max_days}
        else:
            self.title = _("批量审批请假")
            self.intro = _(
                "%(n)s 个工作日以内的请假勾选后即批准,请假日自动记入考勤;"
                "超过 %(n)s 个工作日的为审核同意,报县委组织部审批。"
                "不批准须写明理由,请在单项页面办理。"
            ) % {"n": self.max_days}

    def rows(self) -> list[BulkRow]:
        user = self.request.user
        tasks = {int(t.process.artifact_object_id): t.execute_url for t in open_tasks_for(user, flows_of(LeaveRequest))}
        rows = []
        for leave in leave_selectors.leaves_awaiting(user, self.state):
            approves = self.stage == "org" or not leave.needs_org_dept()
            note = "" if approves else _("超过 %(n)s 个工作日:审核同意后报组织部") % {"n": self.max_days}
            if approves and leave_selectors.days_leave_would_overwrite(leave):
                note = _("已有考勤登记:须在单项页面逐日确认覆盖,批量批准将不予办理")
            rows.append(
                BulkRow(
                    pk=leave.pk,
                    cells=[
                        leave.dispatch.cadre.name,
                        f"{leave.dispatch.village.township.name} · {leave.dispatch.village.name}",
                        f"{leave.starts_on.isoformat()} — {leave.ends_on.isoformat()}",
                        leave.days,
                        leave.reason,
                    ],
                    note=note,
                    url=tasks.get(leave.pk, ""),
                )
            )
        return rows

    def run(self, pks: list[int], comment: str) -> BulkResult:
        return leave_approve_many(pks=pks, stage=self.state, by=self.request.user, comment=comment)
