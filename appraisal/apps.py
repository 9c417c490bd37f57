"""App config for the year-end appraisal (R-A1 … R-A5)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("考评")

    def ready(self):
        from appraisal.flows import AppraisalFlow
        from appraisal.models import Appraisal
        from appraisal.services import ACTION_LABELS
        from workflows.audit import register_actions
        from workflows.flows import register_flow

        register_flow(Appraisal, AppraisalFlow, start_arg="appraisal")

        register_actions(
            {
                **ACTION_LABELS,
                "dispatch.appraise": _("考评审定,驻村期结束"),
                "appraisal_round.open.refused": _("越权发起考评被拒绝"),
                "certificate.issue": _("出具驻村工作经历证明"),
            }
        )
