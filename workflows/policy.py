"""Read the policy numbers (settings.POLICY), say what each one means and where it comes from, audit changes (R-X1)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from workflows.audit import audit_record
from workflows.models import AuditEvent


def policy(name: str) -> Any:
    """Return one policy number; every rule reads its numbers through here."""
    return settings.POLICY[name]


def audit_policy_changes(using: str = "default", **kwargs) -> None:
    """Record the policy in force whenever it differs from the last one recorded (post_migrate)."""
    last = AuditEvent.objects.using(using).filter(action="policy.change").order_by("-seq").first()
    before = last.data.get("policy", {}) if last else {}
    now = dict(settings.POLICY)
    if before == now:
        return
    changed = {k: {"from": before.get(k), "to": v} for k, v in now.items() if before.get(k) != v}
    audit_record(action="policy.change", actor=None, data={"policy": now, "changed": changed}, reason="settings.POLICY")


@dataclass(frozen=True)
class PolicyNote:
    """What one policy number means: the rule it serves, in words, and the passage of the seed text it comes from."""

    rule: str
    description: Any
    source: Any


_LOCAL = _("讲话未规定具体数值,为本地设置")


def _speech(passage: Any) -> Any:
    """A passage of the seed text, the county's speech on the programme, named with the speech's title."""
    return format_lazy("{}{}", _("《在全县选派干部驻村蹲点工作会议上的讲话》"), passage)


#: One note per number of settings.POLICY_DEFAULTS; the policy page (管理 → 政策参数) shows them.
POLICY_NOTES: dict[str, PolicyNote] = {
    "ECONOMICALLY_WEAK_INCOME_YUAN": PolicyNote(
        "R-O3",
        _("村集体自有收入(扣除上级各项补助后)低于此数(元/年)的村为经济薄弱村;自有收入为零或以下的为空壳村。"),
        _speech(_("一、“全县村财收入低于3万元(扣除上级各项补助)的行政村……其中零收入的‘空壳村’”")),
    ),
    "QUOTA_SANCTION_YEARS": PolicyNote(
        "R-S5",
        _("未完成选派任务的单位,自截止日期次日起若干年内不得参评县级及以上党建工作先进单位和文明单位。"),
        _speech(_("二、1.严格选派标准:“取消该单位3年内参加县一级及以上党建工作先进单位和文明单位的评选资格”")),
    ),
    "ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND": PolicyNote(
        "R-S6",
        _("同一推荐批次能否向同一个村选派两名干部(是/否)。"),
        _("讲话未规定,为本地选择(默认否)"),
    ),
    "TERM_MONTHS": PolicyNote(
        "R-S7",
        _("驻村任期的月数,自驻村之日起计算。"),
        _speech(_("二、2.明确任务要求:“选派时间为一年”")),
    ),
    "MIN_DAYS_IN_VILLAGE_PER_YEAR": PolicyNote(
        "R-M1",
        _("驻村干部每个任期年度至少在村的天数。"),
        _speech(_("二、4.落实从严管理:“全年驻村时间不少于250天”")),
    ),
    "MIN_DAYS_IN_VILLAGE_PER_MONTH": PolicyNote(
        "R-M1",
        _("除节假日外,驻村干部每月至少在村的天数。"),
        _speech(_("二、4.落实从严管理:“除节假日外,每月一般不少于22天”")),
    ),
    "LEAVE_TOWNSHIP_MAX_DAYS": PolicyNote(
        "R-M2",
        _("请假天数不超过此数的由乡镇党委审批;超过的由乡镇审核、县委组织部审批。"),
        _speech(_("二、4.落实从严管理(乡镇负责“严格考勤和请销假制度”);天数讲话未规定,为本地设置")),
    ),
    "WORK_GROUP_MIN_VILLAGES": PolicyNote(
        "R-M4",
        _("一个驻村蹲点工作小组至少包含的邻近村数。"),
        _speech(_("二、4.落实从严管理:“每2-3个邻近村编成一个驻村蹲点工作小组”")),
    ),
    "WORK_GROUP_MAX_VILLAGES": PolicyNote(
        "R-M4",
        _("一个驻村蹲点工作小组至多包含的邻近村数。"),
        _speech(_("二、4.落实从严管理:“每2-3个邻近村编成一个驻村蹲点工作小组”")),
    ),
    "UNIT_HEAD_MIN_VISITS_PER_TERM": PolicyNote(
        "R-M5",
        _("派出单位主要领导每个任期至少到驻点村调研指导的次数。"),
        _speech(_("三、2.强化工作保障:主要领导“至少到驻点村调研指导1次”")),
    ),
    "DEPUTY_VISIT_INTERVAL_MONTHS": PolicyNote(
        "R-M5",
        _("派出单位分管领导每隔多少个月至少到驻点村调研指导一次。"),
        _speech(_("三、2.强化工作保障:分管领导“每半年至少到驻点村调研指导1次”")),
    ),
    "VISIT_WARNING_DAYS": PolicyNote(
        "R-M5",
        _("调研指导的期限在此天数内到期而尚未调研的,提前提示为“即将到期”。"),
        _LOCAL,
    ),
    "APPRAISAL_WEIGHT_TOWNSHIP": PolicyNote(
        "R-A2",
        _("综合得分中乡镇评分所占的权重(百分比);三项权重之和须为100。"),
        _speech(_("二、3.落实政策待遇(派出单位会同组织部、乡镇考评,党员群众评议);权重讲话未规定,为本地设置")),
    ),
    "APPRAISAL_WEIGHT_UNIT": PolicyNote(
        "R-A2",
        _("综合得分中派出单位评分所占的权重(百分比)。"),
        _speech(_("二、3.落实政策待遇(派出单位会同组织部、乡镇考评,党员群众评议);权重讲话未规定,为本地设置")),
    ),
    "APPRAISAL_WEIGHT_VILLAGERS": PolicyNote(
        "R-A2",
        _("综合得分中驻点村党员群众评议所占的权重(百分比)。"),
        _speech(_("二、3.落实政策待遇(派出单位会同组织部、乡镇考评,党员群众评议);权重讲话未规定,为本地设置")),
    ),
    "GRADE_MIN_EXCELLENT": PolicyNote("R-A2", _("评为“优秀”所需的最低综合得分。"), _LOCAL),
    "GRADE_MIN_COMPETENT": PolicyNote("R-A2", _("评为“称职”所需的最低综合得分。"), _LOCAL),
    "GRADE_MIN_BASICALLY_COMPETENT": PolicyNote("R-A2", _("评为“基本称职”所需的最低综合得分;更低为“不称职”。"), _LOCAL),
    "VOTE_SCORE_EXCELLENT": PolicyNote("R-A2", _("群众评议中一张“优秀”票折合的分数(百分制)。"), _LOCAL),
    "VOTE_SCORE_COMPETENT": PolicyNote("R-A2", _("群众评议中一张“称职”票折合的分数(百分制)。"), _LOCAL),
    "VOTE_SCORE_BASICALLY_COMPETENT": PolicyNote("R-A2", _("群众评议中一张“基本称职”票折合的分数(百分制)。"), _LOCAL),
    "VOTE_SCORE_INCOMPETENT": PolicyNote("R-A2", _("群众评议中一张“不称职”票折合的分数(百分制)。"), _LOCAL),
    "ABSENCES_CAP_NOT_EXCELLENT": PolicyNote(
        "R-A2a", _("无故缺勤达到此次数的,不得评为优秀。"), _("讲话未规定,默认值取自省级通行做法")
    ),
    "ABSENCES_CAP_BASICALLY_COMPETENT": PolicyNote(
        "R-A2a", _("无故缺勤达到此次数的,最高评为基本称职。"), _("讲话未规定,默认值取自省级通行做法")
    ),
    "ABSENCES_CAP_INCOMPETENT": PolicyNote(
        "R-A2a", _("无故缺勤达到此次数的,评为不称职。"), _("讲话未规定,默认值取自省级通行做法")
    ),
    "EXCELLENT_SHARE_CAP_PERCENT": PolicyNote(
        "R-A2a",
        _("每轮考评中各类干部评为优秀的比例上限(百分比);0 表示不设上限。"),
        _("讲话未规定;各地做法为10%至25%,默认不设上限"),
    ),
    "NO_PROMOTION_YEARS_AFTER_INCOMPETENT": PolicyNote(
        "R-A3",
        _("考核不称职的,自考评之日起此年数内不予提拔使用。"),
        _speech(_("二、3.落实政策待遇:“考核不称职的,3年内不予提拔使用”")),
    ),
    "STATIONING_EXPERIENCE_YEARS_EXPECTED": PolicyNote(
        "R-A4",
        _("省、市机关遴选公务员时期望具有的驻村蹲点工作经历年数。"),
        _speech(_("二、3.落实政策待遇:“省、市机关遴选的公务员,原则上应有1年以上驻村蹲点工作经历”")),
    ),
    "BALLOT_CODES_MAX_PER_ISSUE": PolicyNote("R-A5", _("每次为一个村签发评议码的最多张数。"), _LOCAL),
    "VILLAGE_VOTERS_MAX": PolicyNote(
        "R-A5",
        _("一个村的最多评议人数:每名干部的网上和纸质评议票合计、每次纸质评议的票数都不得超过此数。"),
        _LOCAL,
    ),
}


@dataclass(frozen=True)
class PolicyRow:
    """One policy number as the policy page shows it."""

    name: str
    note: PolicyNote
    value: Any
    default: Any
    #: Whether POLICY_<NAME> is set in the environment.
    overridden: bool

    @property
    def env_name(self) -> str:
        return f"POLICY_{self.name}"


def policy_table() -> list[PolicyRow]:
    """Every policy number in force, with its note, its default and whether the environment overrides it."""
    return [
        PolicyRow(
            name=name,
            note=POLICY_NOTES[name],
            value=settings.POLICY[name],
            default=default,
            overridden=f"POLICY_{name}" in os.environ,
        )
        for name, default in settings.POLICY_DEFAULTS.items()
    ]
