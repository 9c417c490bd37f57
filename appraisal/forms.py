"""Forms of the appraisal pages: what people type, checked for shape; the rules are the services' (R-A1 … R-A5)."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import Grade
from workflows.params import BoundedDateField
from workflows.policy import policy
from workflows.widgets import DateInput


class ScoreForm(forms.Form):
    score = forms.IntegerField(label=_("评分(0–100)"), min_value=0, max_value=100)
    comment = forms.CharField(label=_("评语"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)


class FinaliseForm(forms.Form):
    grade = forms.ChoiceField(label=_("审定等次"), choices=Grade.choices)
    reason = forms.CharField(
        label=_("理由(与拟定等次不同时必填)"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class RoundOpenForm(forms.Form):
    title = forms.CharField(label=_("考评名称"), max_length=80)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    term_ends_from = BoundedDateField(label=_("期满日期自"), widget=DateInput())
    term_ends_to = BoundedDateField(label=_("期满日期至"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["year"].initial = year
        self.fields["title"].initial = _("%(year)s年度驻村干部考评") % {"year": year}


class BallotIssueForm(forms.Form):
    count = forms.IntegerField(label=_("发放张数"), min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        most = policy("BALLOT_CODES_MAX_PER_ISSUE")
        self.fields["count"].validators.append(MaxValueValidator(most))
        self.fields["count"].widget.attrs["max"] = most


class PaperSessionForm(forms.Form):
    held_on = forms.DateField(label=_("评议日期"), widget=DateInput())
    ballots = forms.IntegerField(label=_("收回票数"), min_value=1)
    excellent = forms.IntegerField(label=_("优秀"), min_value=0, initial=0)
    competent = forms.IntegerField(label=_("称职"), min_value=0, initial=0)
    basically_competent = forms.IntegerField(label=_("基本称职"), min_value=0, initial=0)
    incompetent = forms.IntegerField(label=_("不称职"), min_value=0, initial=0)
    invalid = forms.IntegerField(label=_("无效票"), min_value=0, initial=0)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No count can exceed a village's voters (R-A5); the service checks the totals.
        most = policy("VILLAGE_VOTERS_MAX")
        for name in ("ballots", "excellent", "competent", "basically_competent", "incompetent", "invalid"):
            self.fields[name].validators.append(MaxValueValidator(most))
            self.fields[name].widget.attrs["max"] = most


class BallotCodeForm(forms.Form):
    code = forms.CharField(
        label=_("投票码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )


class PromotionQueryForm(forms.Form):
    on = BoundedDateField(label=_("拟提拔日期"), widget=DateInput())


class PromotionSearchForm(PromotionQueryForm):
    name = forms.CharField(label=_("干部姓名"), max_length=50)

    field_order = ["name", "on"]
