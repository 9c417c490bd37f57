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
        from workflows.audit import register_actions, register_data_labels
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

        register_data_labels(
            {
                "absences": _("无故缺勤天数"),
                "ballots": _("票数"),
                "basically_competent": _("基本称职票"),
                "combined_score": _("综合得分"),
                "competent": _("称职票"),
                "computed_grade": _("计算等次"),
                "days_in_village": _("在村天数"),
                "ended_on": _("结束日期"),
                "excellent": _("优秀票"),
                "final_grade": _("审定等次"),
                "grade": _("等次"),
                "held_on": _("评议日期"),
                "incompetent": _("不称职票"),
                "invalid": _("无效票"),
                "printed": _("打印张数"),
                "proposed_grade": _("拟定等次"),
                "round": _("考评"),
                "score": _("评分"),
                "session": _("评议场次"),
                "terms": _("驻村期"),
                "township_score": _("乡镇评分"),
                "unit_score": _("单位评分"),
                "villagers_score": _("村民评议得分"),
                "votes": _("票数"),
                "was": _("原等次"),
                "weights": _("权重"),
            }
        )
