"""App config for the dispatch process (R-S1 … R-S9)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("选派")

    def ready(self):
        from dispatch import jobs
        from dispatch.flows import DispatchFlow, RecallFlow
        from dispatch.models import Dispatch, Recall
        from workflows.audit import register_actions, register_data_labels
        from workflows.flows import register_flow
        from workflows.jobs import register_job

        register_flow(Dispatch, DispatchFlow, start_arg="dispatch")
        register_flow(Recall, RecallFlow, start_arg="recall")
        register_job("enforce_quotas", jobs.quota_check, hour=1, minute=0, title=_("选派任务到期核查"))

        register_actions(
            {
                "pairing.add": _("单位结对村"),
                "pairing.remove": _("取消结对"),
                "quota.set": _("下达选派任务"),
                "quota.enforce": _("选派任务到期核查"),
                "quota.met": _("完成选派任务"),
                "quota.sanction": _("未完成选派任务,取消评先资格"),
                "application.submit": _("干部自愿报名"),
                "application.nominate": _("报名转为推荐"),
                "application.decline": _("报名未获推荐"),
                "dispatch.nominate": _("推荐驻村干部"),
                "dispatch.approve": _("单位主要领导同意选派"),
                "dispatch.reject": _("单位主要领导不同意选派"),
                "dispatch.withdraw": _("撤回推荐"),
                "training.create": _("开设岗前培训班"),
                "training.enrol": _("安排参加岗前培训"),
                "training.complete": _("登记培训结业"),
                "dispatch.enrol": _("参加岗前培训"),
                "dispatch.training_completed": _("岗前培训结业"),
                "dispatch.arrangements": _("落实保险、党组织关系和生活补助"),
                "dispatch.station": _("到村驻点"),
                "dispatch.recall": _("召回"),
                "recall.propose": _("乡镇提出召回"),
                "recall.decide": _("组织部决定召回"),
                "recall.approve": _("组织部同意召回"),
                "recall.decline": _("组织部不同意召回"),
                "recall.carry_out": _("单位执行召回"),
                "recall.done": _("召回完成"),
                "cadre.reserve_lost": _("取消后备干部资格"),
                "team.leader": _("确定领队"),
                "team.group": _("编组驻村蹲点工作小组"),
                "team.mentor": _("确定传帮带联系领导"),
                "task.refused": _("越权办理被拒绝"),
            }
        )

        register_data_labels(
            {
                "allowance": _("生活补助(元/月)"),
                "batch": _("批次"),
                "completed_on": _("结业日期"),
                "ends_on": _("结束日期"),
                "exclusion": _("不宜选派情形"),
                "insured": _("保险期间"),
                "insurer": _("保险公司"),
                "party_relation": _("党组织关系转入日期"),
                "quota": _("名额"),
                "recall": _("召回"),
                "reserve_warning_shown": _("已提示待批后备干部"),
                "sent": _("实派"),
                "starts_on": _("开始日期"),
                "stationed_on": _("到村日期"),
                "term_ends_on": _("期满日期"),
            }
        )
