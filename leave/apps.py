"""App config for management while stationed: attendance, leave, visits, inspections (R-M1 … R-M6)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaveConfig(AppConfig):
    name = "leave"
    verbose_name = _("驻村管理")

    def ready(self):
        from leave import duties
        from leave.flows import LeaveFlow
        from leave.models import LeaveRequest
        from leave.services import attendance, oversight
        from leave.services import leave as leaves
        from workflows.audit import register_actions
        from workflows.duties import register_duties
        from workflows.flows import register_flow

        register_flow(LeaveRequest, LeaveFlow, start_arg="leave")

        register_actions({"attendance.write": _("考勤登记")})
        for module in (attendance, leaves, oversight):
            register_actions(module.ACTION_LABELS)
        for provider in duties.PROVIDERS:
            register_duties(provider)
