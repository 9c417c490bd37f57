"""Forms of the dispatch task pages; they validate input shape only, the services hold the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dispatch.models import RecallReason
from workflows.params import BoundedDateField
from workflows.widgets import DateInput


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
