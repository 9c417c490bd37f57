"""Forms of the leave pages; they validate input shape only, the services hold the rules (R-M2)."""

import datetime
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from leave.models import LeaveRequest
from leave.selectors.leave import RecordedDay
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
