"""Forms of the leave, attendance and oversight pages; they validate input shape only, the services hold the rules."""

import datetime
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from dispatch.models import Dispatch
from leave.models import CircularKind, DayStatus, InspectionKind, LeaveRequest, VisitorRole
from leave.selectors import oversight as oversight_selectors
from leave.selectors.leave import RecordedDay
from leave.services import attendance
from workflows.models import County, Post, Unit
from workflows.params import BoundedDateField
from workflows.widgets import DateInput


class LeaveRequestForm(forms.Form):
    starts_on = BoundedDateField(label=_("开始日期"), widget=DateInput())
    ends_on = BoundedDateField(label=_("结束日期"), widget=DateInput())
    reason = forms.CharField(label=_("请假事由"), widget=forms.Textarea(attrs={"rows": 3}))


class LeaveDecisionForm(forms.Form):
    """The deciding tier's decision; the township's choices for longer leave say it goes on to the org dept."""

    decision = forms.ChoiceField(label=_("审批意见"), widget=forms.RadioSelect)
    # A rejection needs the reason; the service says so, the field does not repeat the rule.
    comment = forms.CharField(label=_("意见说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(
        self, *args, leave: LeaveRequest, org_dept: bool = False, recorded: Sequence[RecordedDay] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        # One box per day already recorded: approval overwrites only the days ticked (R-M2a). One yes/no field
        # each, as the site's form renderer draws a multiple-choice list of boxes empty.
        self.recorded_fields = {}
        for r in recorded:
            name = f"overwrite_{r.date.isoformat()}"
            self.fields[name] = forms.BooleanField(
                required=False,
                label=_("以请假覆盖 %(date)s(原登记“%(status)s”,%(source)s)")
                % {"date": r.date.isoformat(), "status": r.status_label, "source": r.source_label},
            )
            self.recorded_fields[name] = r.date
        if recorded:
            self.fields[name].help_text = _("以上日子已有考勤登记。同意请假须逐日勾选;未全部勾选时不能批准。")
        if org_dept:
            choices = [("approve", _("同意请假")), ("reject", _("不同意"))]
        elif leave.needs_org_dept():
            choices = [("approve", _("审核同意,报县委组织部审批")), ("reject", _("不同意"))]
        else:
            choices = [("approve", _("同意请假")), ("reject", _("不同意"))]
        self.fields["decision"].choices = choices

    def overwrite_days(self) -> list[datetime.date]:
        """The recorded days the decider ticked to overwrite with the leave."""
        return [day for name, day in self.recorded_fields.items() if self.cleaned_data.get(name)]


class ReportBackForm(forms.Form):
    returned_on = BoundedDateField(
        label=_("实际返岗日期"),
        widget=DateInput(),
        help_text=_("回到驻点村的日期;结束日期之后、返岗之前的工作日记为逾期未归。"),
    )


class CloseForm(forms.Form):
    """Nothing to enter: the township confirms what the cadre reported."""


class VisitForm(forms.Form):
    dispatch = forms.ModelChoiceField(
        label=gettext_lazy("驻村干部"), queryset=Dispatch.objects.none(), empty_label=gettext_lazy("请选择")
    )
    visitor = forms.ModelChoiceField(
        label=gettext_lazy("调研领导"), queryset=Post.objects.none(), empty_label=gettext_lazy("请选择")
    )
    visited_on = BoundedDateField(label=gettext_lazy("调研日期"), widget=DateInput())
    notes = forms.CharField(label=gettext_lazy("听取汇报、调研指导情况"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, unit: Unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dispatch"].queryset = oversight_selectors.stationed_dispatches(unit=unit)
        self.fields["dispatch"].label_from_instance = lambda d: (
            f"{d.cadre.name}({d.village.township.name} · {d.village.name})"
        )
        # Ordered so that someone holding both posts is labelled as the head, as the service counts them.
        roles = {
            user_id: VisitorRole(oversight_selectors.VISITOR_ROLE_OF_POST[role]).label
            for user_id, role in Post.objects.active()
            .filter(unit=unit, role__in=list(oversight_selectors.VISITOR_ROLE_OF_POST))
            .order_by("role")
            .values_list("user_id", "role")
        }
        self.fields["visitor"].queryset = oversight_selectors.unit_leaders(unit)
        self.fields["visitor"].label_from_instance = lambda u: f"{u.name or u.username}({roles[u.pk]})"


FINDING_CHOICES = [("", gettext_lazy("未检查")), ("present", gettext_lazy("在岗")), ("absent", gettext_lazy("不在岗"))]


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("方式"), choices=InspectionKind.choices)
    inspected_on = BoundedDateField(label=gettext_lazy("检查日期"), widget=DateInput())
    notes = forms.CharField(label=gettext_lazy("情况记录"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, dispatches: list[Dispatch], **kwargs):
        super().__init__(*args, **kwargs)
        self.dispatches = dispatches
        for d in dispatches:
            self.fields[f"finding_{d.pk}"] = forms.ChoiceField(
                label=d.cadre.name, choices=FINDING_CHOICES, required=False, widget=forms.RadioSelect
            )
            self.fields[f"note_{d.pk}"] = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def rows(self):
        for d in self.dispatches:
            yield {"dispatch": d, "finding": self[f"finding_{d.pk}"], "note": self[f"note_{d.pk}"]}

    def findings(self) -> list[tuple[Dispatch, bool, str]]:
        data = self.cleaned_data
        return [
            (d, data[f"finding_{d.pk}"] == "present", data[f"note_{d.pk}"])
            for d in self.dispatches
            if data.get(f"finding_{d.pk}")
        ]


class CircularForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    kind = forms.ChoiceField(
        label=gettext_lazy("类别"), choices=[("", gettext_lazy("请选择"))] + list(CircularKind.choices)
    )
    issued_on = BoundedDateField(label=gettext_lazy("印发日期"), widget=DateInput())
    units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("通报单位"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请至少选择一个被通报的单位。")},
    )
    body = forms.CharField(label=gettext_lazy("正文"), widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, county: County, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = Unit.objects.filter(county=county).order_by("code")
        self.fields["units"].label_from_instance = lambda u: u.name


class DayForm(forms.Form):
    """One day's status, with an optional note and optional evidence (never required, R-M2a)."""

    day = BoundedDateField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        choices=[(s.value, s.label) for s in attendance.settable_statuses(True) + [DayStatus.HOLIDAY]],
    )
    note = forms.CharField(label=gettext_lazy("说明(可选)"), required=False, max_length=attendance.MAX_NOTE)
    evidence = forms.CharField(
        label=gettext_lazy("佐证(可选)"),
        required=False,
        max_length=attendance.MAX_NOTE,
        help_text=gettext_lazy("位置或照片说明,自愿提供,不作要求"),
    )


class CellForm(forms.Form):
    dispatch = forms.IntegerField(widget=forms.HiddenInput)
    day = BoundedDateField(label=gettext_lazy("日期"), widget=DateInput())
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        choices=[(s.value, s.label) for s in attendance.settable_statuses(True) + [DayStatus.HOLIDAY]],
    )
    note = forms.CharField(label=gettext_lazy("说明(可选)"), required=False, max_length=attendance.MAX_NOTE)


class FillUnreportedForm(forms.Form):
    """The township's statement for the working days its cadres left unreported: which cadres, which status."""

    dispatch = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": gettext_lazy("请选择要登记的干部。"),
            "invalid_choice": gettext_lazy("所选干部该月不在本乡镇驻村。"),
        },
    )
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in attendance.UNREPORTED_FILLS],
        error_messages={"invalid_choice": gettext_lazy("未填报的工作日只能统一登记为“在村”或“缺勤”。")},
    )

    def __init__(self, *args, dispatches: list[Dispatch], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dispatch"].choices = [(d.pk, d.cadre.name) for d in dispatches]


class DayCorrectForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("更正为"))
    reason = forms.CharField(
        label=gettext_lazy("更正理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("必填,记入审计记录。"),
    )

    def __init__(self, *args, is_workday: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.value, s.label) for s in attendance.settable_statuses(is_workday)]


class CorrectionForm(forms.Form):
    day = BoundedDateField(label=gettext_lazy("日期"), widget=DateInput())
    is_workday = forms.TypedChoiceField(
        label=gettext_lazy("该日为"),
        coerce=lambda v: v == "1",
        choices=[("1", gettext_lazy("工作日(上班)")), ("0", gettext_lazy("休息日"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("说明"), max_length=100, help_text=gettext_lazy("例如:2027年春节放假、国庆节调休上班。")
    )
