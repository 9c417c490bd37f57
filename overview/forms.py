"""The forms of the overview pages: which township and month a report is for."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from workflows.models import Township


class ReportForm(forms.Form):
    """Which township and which month; the choices are the townships the user may read."""

    township = forms.ModelChoiceField(
        label=gettext_lazy("乡镇(街道)"), queryset=Township.objects.none(), empty_label=None
    )
    month = forms.CharField(label=gettext_lazy("月份"), widget=forms.DateInput(attrs={"type": "month"}))

    def __init__(self, *args, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = townships
