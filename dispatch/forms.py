"""Forms of the dispatch pages; they validate input shape only, the services hold the rules."""

from django import forms
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from dispatch import selectors
from dispatch.models import (
    Application,
    Dispatch,
    Exclusion,
    RecallReason,
    TrainingBatch,
    WorkGroup,
)
from workflows.models import Cadre, County, Township, Unit, Village, VillageCategory, income_categories
from workflows.params import BoundedDateField
from workflows.policy import policy
from workflows.text import join_list, with_tags
from workflows.widgets import DateInput

#: Categories that oblige full coverage (R-S6); the others are covered wherever possible.
TARGET_CATEGORIES = {
    VillageCategory.WEAK_LEADERSHIP,
    VillageCategory.ECONOMICALLY_WEAK,
    VillageCategory.ELECTION_DIFFICULT,
    VillageCategory.EMPTY_SHELL,
}


def village_tags(village: Village, own_income) -> list[dict]:
    """Category tags of a village from its flags and an income read with it, without another query."""
    return [
        {"label": c.label, "target": c in TARGET_CATEGORIES}
        for c in village.recorded_categories() + income_categories(own_income)
    ]


def _village_label(village: Village) -> str:
    tags = join_list(c["label"] for c in village_tags(village, village.latest_own_income))
    return with_tags(f"{village.township.name} · {village.name}", tags)


class DecisionForm(forms.Form):
    """Approve or reject, with a comment that a rejection requires."""

    decision = forms.ChoiceField(
        label=_("审批意见"),
        widget=forms.RadioSelect,
        choices=[("approve", _("同意选派")), ("reject", _("不同意"))],
    )
    comment = forms.CharField(label=_("意见说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ArrangementsForm(forms.Form):
    """What the unit arranges before stationing (R-S9)."""

    insurer = forms.CharField(label=_("保险公司"), max_length=80)
    insurance_policy_no = forms.CharField(label=_("保单号"), max_length=60)
    insurance_starts_on = BoundedDateField(label=_("保险起期"), widget=DateInput())
    insurance_ends_on = BoundedDateField(label=_("保险止期"), widget=DateInput())
    party_relation_transferred_on = BoundedDateField(label=_("党组织关系转入驻点村日期"), widget=DateInput())
    living_allowance_yuan = forms.DecimalField(label=_("生活补助(元/月)"), min_value=0, max_digits=8, decimal_places=2)


class StationForm(forms.Form):
    stationed_on = BoundedDateField(label=_("到村日期"), widget=DateInput())


class RecallDecisionForm(DecisionForm):
    decision = forms.ChoiceField(
        label=_("组织部意见"),
        widget=forms.RadioSelect,
        choices=[("approve", _("同意召回")), ("reject", _("不同意召回"))],
    )


class RecallCarryOutForm(forms.Form):
    recalled_on = BoundedDateField(label=_("召回日期"), widget=DateInput())


class RecallProposeForm(forms.Form):
    reason = forms.ChoiceField(label=_("召回原因"), choices=RecallReason.choices)
    details = forms.CharField(label=_("具体情况"), widget=forms.Textarea(attrs={"rows": 4}))
    own_fault = forms.BooleanField(label=_("因本人原因"), required=False, initial=True)


class NominateForm(forms.Form):
    cadre = forms.ModelChoiceField(
        label=_("干部"), queryset=None, help_text=_("后备干部、重点培养干部排在前面,应优先选派。")
    )
    village = forms.ModelChoiceField(
        label=_("驻点村"),
        queryset=None,
        error_messages={
            "invalid_choice": _("所选的村现在不能推荐(本年度可能刚有干部被推荐到该村),请从列表中重新选择。")
        },
    )
    note = forms.CharField(label=_("推荐理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    exclusion = forms.ChoiceField(
        label=_("“宁可不派”情形"),
        required=False,
        choices=[("", _("无"))] + list(Exclusion.choices),
        help_text=_("如干部不情愿、能力不强或群众反映不好,请如实记录;记录后不能获批。"),
    )
    exclusion_note = forms.CharField(label=_("情形说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, unit: Unit, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = selectors.candidates_for_unit(unit)
        self.fields["cadre"].label_from_instance = self._cadre_label
        villages = selectors.paired_villages_with_places(unit, year)
        # The villages without a place are left out, and the help text says which and who holds them (R-S6).
        self.fields["village"].queryset = villages.filter(has_place=True)
        self.fields["village"].label_from_instance = lambda v: f"{v.township.name} · {v.name}"
        self.full_villages = list(villages.filter(has_place=False))
        self.fields["village"].help_text = self._full_villages_text(year)

    def _full_villages_text(self, year: int) -> str:
        if not self.full_villages:
            return ""
        holders = selectors.active_dispatches_in(self.full_villages, year)
        listed = join_list(
            with_tags(v.name, join_list(f"{d.cadre.name} · {d.get_state_display()}" for d in holders[v.pk]))
            for v in self.full_villages
        )
        if not self.fields["village"].queryset.exists():
            return _(
                "本单位本年度的结对村都已有选派干部,暂无可推荐的村:%(villages)s。如需增派,请联系县委组织部增加结对。"
            ) % {"villages": listed}
        return _("以下结对村本年度已有选派干部,不能再推荐,未列入选项:%(villages)s。") % {"villages": listed}

    @staticmethod
    def _cadre_label(cadre) -> str:
        marks = [str(_("后备")) if cadre.is_reserve else "", str(_("重点培养")) if cadre.is_key_cultivation else ""]
        return with_tags(
            f"{cadre.name}({cadre.post_title or cadre.get_rank_display()})", join_list(m for m in marks if m)
        )


class PairingForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none())
    village = forms.ModelChoiceField(
        label=gettext_lazy("结对村"),
        queryset=Village.objects.none(),
        help_text=gettext_lazy("须全覆盖的重点村排在前面。"),
    )

    def __init__(self, *args, county: County, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(county=county).order_by("code")
        self.fields["village"].queryset = selectors.villages_target_first(county)
        self.fields["village"].label_from_instance = _village_label


class QuotaForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none())
    cadres = forms.IntegerField(label=gettext_lazy("选派名额(名)"), max_value=32767)
    deadline = BoundedDateField(label=gettext_lazy("截止日期"), widget=DateInput())
    # Offered only once the service has said the deadline is past: the org dept confirms it knowingly (R-S5).
    confirm_past_deadline = forms.BooleanField(
        label=gettext_lazy("确认截止日期已过"), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, county: County, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(county=county).order_by("code")
        if self.is_bound and self.data.get("confirm_past_deadline") in ("on", "true", "True", "1"):
            self.ask_past_deadline()

    def ask_past_deadline(self) -> None:
        self.fields["confirm_past_deadline"].widget = forms.CheckboxInput()


class SanctionRevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("撤销理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("如核查有误、任务已按期完成但登记滞后等,请写明依据。"),
    )


class EligibilityForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none())
    on = BoundedDateField(label=gettext_lazy("日期"), widget=DateInput())

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class TrainingBatchForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=gettext_lazy("班次名称"), max_length=80)
    starts_on = BoundedDateField(label=gettext_lazy("开班日期"), widget=DateInput())
    ends_on = BoundedDateField(label=gettext_lazy("结业日期"), widget=DateInput())
    content = forms.CharField(
        label=gettext_lazy("培训内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial=gettext_lazy("驻村蹲点工作内容、方法、要求;农村政策"),
    )


class EnrolForm(forms.Form):
    dispatches = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参训干部"),
        queryset=Dispatch.objects.none(),
        error_messages={"required": gettext_lazy("请至少勾选一名干部。")},
    )

    def __init__(self, *args, batch: TrainingBatch, **kwargs):
        super().__init__(*args, **kwargs)
        # Any dispatch of the county; the service refuses those that are not approved.
        self.fields["dispatches"].queryset = Dispatch.objects.filter(unit__county=batch.county_id)


class CompletionForm(forms.Form):
    dispatches = forms.ModelMultipleChoiceField(
        label=gettext_lazy("结业干部"),
        queryset=Dispatch.objects.none(),
        error_messages={"required": gettext_lazy("请至少勾选一名干部。")},
    )
    completed_on = BoundedDateField(label=gettext_lazy("结业日期"), widget=DateInput())

    def __init__(self, *args, batch: TrainingBatch, **kwargs):
        super().__init__(*args, **kwargs)
        # Any cadre of this batch; the service refuses those no longer in training.
        self.fields["dispatches"].queryset = Dispatch.objects.filter(training_batch=batch)


class TeamLeaderForm(forms.Form):
    dispatch = forms.ModelChoiceField(
        label=_("领队"), queryset=Dispatch.objects.none(), empty_label=_("请选择驻村干部")
    )

    def __init__(self, *args, township: Township, **kwargs):
        super().__init__(*args, auto_id="id_leader_%s", **kwargs)
        self.fields["dispatch"].queryset = selectors.stationed_in_township(township)
        self.fields["dispatch"].label_from_instance = lambda d: f"{d.cadre.name}({d.village.name} · {d.unit.name})"


class MentorForm(forms.Form):
    mentor = forms.ModelChoiceField(label=_("传帮带联系领导"), queryset=None, empty_label=_("请选择"))

    def __init__(self, *args, township: Township, dispatch: Dispatch, **kwargs):
        super().__init__(*args, auto_id=f"id_mentor{dispatch.pk}_%s", **kwargs)
        self.dispatch = dispatch
        self.fields["mentor"].queryset = selectors.township_leaders(township)
        self.fields["mentor"].label_from_instance = lambda u: u.name or u.username


class WorkGroupForm(forms.Form):
    name = forms.CharField(label=_("小组名称"), max_length=50)
    villages = forms.ModelMultipleChoiceField(label=_("村"), queryset=None, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, township: Township, year: int, group: WorkGroup | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["villages"].queryset = township.villages.order_by("code")
        self.fields["villages"].help_text = gettext("选 %(low)s 至 %(high)s 个相邻的村;一个村只能在一个小组中。") % {
            "low": policy("WORK_GROUP_MIN_VILLAGES"),
            "high": policy("WORK_GROUP_MAX_VILLAGES"),
        }
        group_of = {}
        for other in selectors.work_groups_of(township, year):
            if group is None or other.pk != group.pk:
                group_of.update({v.pk: other.name for v in other.villages.all()})

        def label(village):
            if village.pk in group_of:
                return gettext("%(village)s(已在「%(group)s」)") % {
                    "village": village.name,
                    "group": group_of[village.pk],
                }
            return village.name

        self.fields["villages"].label_from_instance = label


class ApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("报名理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请写明您的专长、意愿和能保证驻村时间的情况。"),
    )
    preferred_village = forms.ModelChoiceField(
        label=_("意向村(可不选)"), queryset=None, required=False, empty_label=_("服从单位安排")
    )

    def __init__(self, *args, cadre: Cadre, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preferred_village"].queryset = selectors.paired_villages(cadre.unit, year)
        self.fields["preferred_village"].label_from_instance = lambda v: f"{v.township.name} · {v.name}"


class NominateApplicantForm(forms.Form):
    village = forms.ModelChoiceField(label=_("驻点村"), queryset=None, empty_label=_("请选择"))
    note = forms.CharField(label=_("推荐理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, auto_id=f"id_nominate{application.pk}_%s", **kwargs)
        self.fields["village"].queryset = selectors.paired_villages(application.cadre.unit, application.year)
        self.fields["village"].label_from_instance = lambda v: f"{v.township.name} · {v.name}"


class DeclineApplicationForm(forms.Form):
    # The service requires the reason and says so; the field does not repeat the rule.
    reason = forms.CharField(
        label=_("不推荐的理由"), required=False, widget=forms.Textarea(attrs={"rows": 2, "required": True})
    )

    def __init__(self, *args, application: Application, **kwargs):
        super().__init__(*args, auto_id=f"id_decline{application.pk}_%s", **kwargs)
