"""App config for management while stationed: attendance, leave, visits, inspections (R-M1 … R-M6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaveConfig(AppConfig):
    name = "leave"
    verbose_name = _("驻村管理")

    def ready(self):
        from leave import duties, jobs
        from leave.flows import LeaveFlow
        from leave.models import LeaveRequest
        from leave.services import attendance, oversight
        from leave.services import leave as leaves
        from workflows.audit import register_actions, register_data_labels
        from workflows.duties import register_duties
        from workflows.flows import register_flow
        from workflows.jobs import register_job

        register_flow(LeaveRequest, LeaveFlow, start_arg="leave")
        register_job("leave_begin_due", jobs.leave_begin, hour=0, minute=10, title=_("开始已批准的休假"))

        register_actions({"attendance.write": _("考勤登记")})
        for module in (attendance, leaves, oversight):
            register_actions(module.ACTION_LABELS)
        for provider in duties.PROVIDERS:
            register_duties(provider)

        register_data_labels(
            {
                "absent": _("不在岗"),
                "filled": _("填报天数"),
                "filled_by_default": _("按默认填报天数"),
                "holiday": _("休息天数"),
                "in_village": _("在村"),
                "inspected_on": _("检查日期"),
                "inspection": _("检查"),
                "issued_on": _("印发日期"),
                "late_days": _("逾期未归天数"),
                "month_locked": _("月份已锁定"),
                "official_published": _("官方日历已公布"),
                "overwritten": _("以请假覆盖的考勤"),
                "present": _("在岗"),
                "replaced": _("覆盖原更正"),
                "returned_on": _("返岗日期"),
                "to_org_dept": _("报组织部审批"),
                "unused_days": _("提前返岗天数"),
                "visited_on": _("调研日期"),
                "visitor": _("调研领导"),
            }
        )
