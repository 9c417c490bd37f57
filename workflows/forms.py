"""Forms of the administration pages; they check the shape of the input only, the services hold the rules."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from workflows import selectors
from workflows.models import ROLE_TIER, Cadre, County, Rank, Role, Township, Unit, User, Village, VillageIncome
from workflows.text import mask_id_number


class CountyForm(forms.Form):
    """A new county, for an administrator starting on an empty system (R-O1)."""

    code = forms.CharField(label=_("县代码"), max_length=County._meta.get_field("code").max_length)
    name = forms.CharField(label=_("县名称"), max_length=County._meta.get_field("name").max_length)


class PersonChoiceField(forms.ModelChoiceField):
    """One of the people the search found, told apart by their masked ID number and their unit."""

    def label_from_instance(self, obj: User) -> str:
        parts = [obj.get_full_name()]
        number = obj.id_number or getattr(getattr(obj, "cadre", None), "id_number", "")
        if number:
            parts.append(mask_id_number(number))
        cadre = getattr(obj, "cadre", None)
        if cadre is not None:
            parts.append(cadre.unit.name)
        return " · ".join(parts)


class AppointForm(forms.Form):
    """Appoint someone found by the search, or a new person typed in here, to a post of the county (R-O4)."""

    role = forms.ChoiceField(label=_("职务"), choices=Role.choices)
    unit = forms.ModelChoiceField(
        label=_("县直单位"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("单位主要领导、分管领导填写"),
        error_messages={"invalid_choice": _("所选单位不是本县的县直单位。")},
    )
    township = forms.ModelChoiceField(
        label=_("乡镇(街道)"),
        queryset=Township.objects.none(),
        required=False,
        help_text=_("乡镇党委填写"),
        error_messages={"invalid_choice": _("所选乡镇不是本县的乡镇(街道)。")},
    )
    title = forms.CharField(
        label=_("职务名称"), max_length=50, required=False, help_text=_("选填,如“党委书记”“副部长”")
    )
    person = PersonChoiceField(
        label=_("任职人员(查找结果)"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": _("所选人员不存在或已停用,请重新查找。")},
    )
    new_name = forms.CharField(label=_("或新建人员:姓名"), max_length=50, required=False)
    new_id_number = forms.CharField(label=_("身份证号"), max_length=30, required=False)
    new_phone = forms.CharField(label=_("手机号(选填)"), max_length=20, required=False)

    def __init__(self, *args, county: County, candidates: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.county = county
        self.fields["unit"].queryset = Unit.objects.filter(county=county).order_by("code")
        self.fields["township"].queryset = Township.objects.filter(county=county).order_by("code")
        wanted = [u.pk for u in candidates]
        posted = self.data.get(self.add_prefix("person")) if self.is_bound else None
        if posted and str(posted).isdigit():
            wanted.append(int(posted))
        if wanted:
            # A person posted back must be one the search offered, or one of the county's own: never any account's pk.
            offered = [u.pk for u in candidates]
            self.fields["person"].queryset = (
                User.objects.filter(is_active=True, is_superuser=False, pk__in=wanted)
                .filter(Q(pk__in=offered) | Q(pk__in=selectors.appointable_people(county).values("pk")))
                .select_related("cadre__unit")
                .order_by("name", "pk")
            )
        else:
            # Nobody searched for: no empty list of choices, only the new person's fields.
            del self.fields["person"]

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role:
            tier_name = ROLE_TIER[Role(role)]
            if tier_name == "unit" and not data.get("unit") and "unit" not in self.errors:
                self.add_error("unit", _("请选择任职的县直单位。"))
            if tier_name == "township" and not data.get("township") and "township" not in self.errors:
                self.add_error("township", _("请选择任职的乡镇(街道)。"))
            if tier_name != "unit" and data.get("unit"):
                self.add_error("unit", _("%(role)s不在县直单位任职,请不要选择县直单位。") % {"role": Role(role).label})
            if tier_name != "township" and data.get("township"):
                self.add_error(
                    "township", _("%(role)s不在乡镇任职,请不要选择乡镇(街道)。") % {"role": Role(role).label}
                )
        data.setdefault("person", None)
        typed_new = any(data.get(f) for f in ("new_name", "new_id_number", "new_phone"))
        if data["person"] and typed_new:
            raise forms.ValidationError(_("请在查找结果中选择一人,或新建人员,不要两样都填。"))
        if not data["person"] and not typed_new and "person" not in self.errors:
            raise forms.ValidationError(_("请查找并选择任职人员,或填写新建人员的姓名和身份证号。"))
        return data

    def tier(self) -> County | Unit | Township:
        tier_name = ROLE_TIER[Role(self.cleaned_data["role"])]
        return self.county if tier_name == "county" else self.cleaned_data[tier_name]


class EndPostForm(forms.Form):
    """End a post, saying why (R-O4, R-X1)."""

    reason = forms.CharField(label=_("免职理由"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class UnitEditForm(forms.Form):
    code = forms.CharField(label=_("单位代码"), max_length=Unit._meta.get_field("code").max_length)
    name = forms.CharField(label=_("单位名称"), max_length=Unit._meta.get_field("name").max_length)


class TownshipEditForm(forms.Form):
    name = forms.CharField(label=_("乡镇名称"), max_length=Township._meta.get_field("name").max_length)
    kind = forms.ChoiceField(label=_("类型"), choices=Township.Kind.choices)


class VillageEditForm(forms.Form):
    name = forms.CharField(label=_("村名称"), max_length=Village._meta.get_field("name").max_length)
    is_weak_leadership = forms.BooleanField(label=_("班子软弱涣散"), required=False)
    is_election_difficult = forms.BooleanField(label=_("换届选举重难点"), required=False)
    is_old_revolutionary = forms.BooleanField(label=_("原革命老区"), required=False)
    is_ethnic_minority = forms.BooleanField(label=_("少数民族村"), required=False)


def _money_field(label) -> forms.DecimalField:
    field = VillageIncome._meta.get_field("total_income")
    return forms.DecimalField(label=label, max_digits=field.max_digits, decimal_places=field.decimal_places)


class VillageIncomeForm(forms.Form):
    """A year's collective income, as the county import takes it: the total and the subsidies within it (R-O3)."""

    year = forms.IntegerField(label=_("年度"))
    total_income = _money_field(_("村集体收入(元)"))
    subsidies = _money_field(_("其中上级补助(元)"))


class CadreEditForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("所属单位"),
        queryset=Unit.objects.none(),
        error_messages={"invalid_choice": _("只能调入本县的单位。")},
    )
    rank = forms.ChoiceField(label=_("职级"), choices=Rank.choices)
    post_title = forms.CharField(
        label=_("职务"), max_length=Cadre._meta.get_field("post_title").max_length, required=False
    )
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)
    is_party_member = forms.BooleanField(label=_("中共党员"), required=False)
    is_reserve = forms.BooleanField(label=_("后备干部"), required=False)
    is_key_cultivation = forms.BooleanField(label=_("重点培养"), required=False)

    def __init__(self, *args, county: County, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(county=county).order_by("code")


def show_service_error(form: forms.Form, error: forms.ValidationError, fields: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form: a message about a field next to that field, any other above the form.

    `fields` maps the service's argument names to the form's field names where they differ.
    """
    fields = fields or {}
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, errors in error.error_dict.items():
        target = fields.get(name, name)
        for message in forms.ValidationError(errors).messages:
            form.add_error(target if target in form.fields else None, message)


class HandOverForm(forms.Form):
    """Hand a task to one of the colleagues who may act on it, with a note for them."""

    to = forms.ModelChoiceField(label=_("转交给"), queryset=User.objects.none(), empty_label=_("请选择同事"))
    note = forms.CharField(label=_("留言"), required=False, max_length=200, widget=forms.TextInput)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = colleagues
