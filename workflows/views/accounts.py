"""Accounts and activation codes (账号与激活码): the org dept's pages, and the public activation page (R-O4, R-X1).

A code is shown once: in the answer to the POST that issued it (or on the PDF sheet it downloads), marked
no-store, and kept nowhere else. Sending the same form again issues nothing (`replaces` in the service).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

from workflows import accounts, pdf, pdf_codes
from workflows.addresses import client_address
from workflows.models import ActivationCode, County, Post, Role, Township, Unit, User
from workflows.views.manage import ManagePage

PURPOSE_WORDS = {
    ActivationCode.Purpose.ACTIVATE: gettext_lazy("激活"),
    ActivationCode.Purpose.RESET: gettext_lazy("重置"),
}


def _activate_address(request: HttpRequest) -> str:
    base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
    return base + reverse("activate")


def _where(user: User, posts: list[Post] | None = None) -> str:
    """The unit and posts of an account, in words, for the list and the slips (`active_posts` when prefetched)."""
    if posts is None:
        posts = getattr(user, "active_posts", None)
    if posts is None:
        posts = list(user.posts.active().select_related("county", "unit", "township"))
    parts = []
    cadre = getattr(user, "cadre", None)
    if cadre is not None:
        parts.append(_("%(unit)s 干部") % {"unit": cadre.unit.name})
    for post in posts:
        parts.append(f"{post.tier.name} {post.title or Role(post.role).label}")
    return ";".join(parts)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("姓名、账号或身份证号"), required=False, max_length=50)
    unit = forms.ModelChoiceField(label=gettext_lazy("单位"), queryset=Unit.objects.none(), required=False)
    township = forms.ModelChoiceField(label=gettext_lazy("乡镇"), queryset=Township.objects.none(), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), choices=[("", gettext_lazy("全部"))] + list(accounts.Status.choices), required=False
    )

    def __init__(self, *args, counties: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        unit, township = self.fields["unit"], self.fields["township"]
        assert isinstance(unit, forms.ModelChoiceField) and isinstance(township, forms.ModelChoiceField)
        unit.queryset = Unit.objects.filter(county__in=counties).order_by("code")
        township.queryset = Township.objects.filter(county__in=counties).order_by("code")


def _scope_choices(counties: list[int]) -> list:
    county_list = list(County.objects.filter(pk__in=counties).order_by("code"))
    choices: list = [(f"county:{c.pk}", _("%(county)s 全部未激活账号") % {"county": c.name}) for c in county_list]
    units = [(f"unit:{u.pk}", u.name) for u in Unit.objects.filter(county__in=counties).order_by("code")]
    towns = [(f"township:{t.pk}", t.name) for t in Township.objects.filter(county__in=counties).order_by("code")]
    if units:
        choices.append((_("县直单位"), units))
    if towns:
        choices.append((_("乡镇(街道)"), towns))
    return choices


class SheetForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("签发范围"))
    reissue = forms.BooleanField(
        label=gettext_lazy("已有未过期激活码的账号也重新签发(旧码作废)"), required=False, initial=False
    )

    def __init__(self, *args, counties: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        scope = self.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = _scope_choices(counties)

    def clean_scope(self) -> County | Unit | Township:
        """The tier the choice names; the choices hold only the tiers of the user's counties."""
        kind, _sep, pk = self.cleaned_data["scope"].partition(":")
        if kind == "county":
            return County.objects.get(pk=pk)
        return Unit.objects.get(pk=pk) if kind == "unit" else Township.objects.get(pk=pk)


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("停用理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例如:已调离本县、已退休。停用后该账号不能登录,未使用的激活码作废。"),
    )


class AccountListView(ManagePage, TemplateView):
    """The county's accounts: search, filters, and per account the code and deactivation buttons."""

    template_name = "workflows/manage/accounts.html"
    nav_name = "manage:accounts"
    per_page = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AccountFilterForm(self.request.GET or None, counties=self.counties)
        filters = form.cleaned_data if form.is_valid() else {}
        rows = accounts.accounts_for(
            self.request.user,
            counties=self.counties,
            search=filters.get("q", ""),
            unit=filters.get("unit"),
            township=filters.get("township"),
            status=filters.get("status", ""),
        )
        page = Paginator(rows, self.per_page).get_page(self.request.GET.get("page"))
        managed = accounts.administered_among(self.request.user, list(page.object_list))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            form=form,
            sheet_form=SheetForm(counties=self.counties),
            page=page,
            rows=[self._row(user, managed) for user in page.object_list],
            query=query.urlencode(),
            status_labels=accounts.Status.labels,
            code_days=accounts.code_days(),
        )
        return context

    def _row(self, user: Any, managed: set[int]) -> dict:
        """One line of the list; `user` carries the annotations of accounts_for."""
        return {
            "user": user,
            "managed": user.pk in managed,
            "where": _where(user),
            "status": user.status,
            "status_label": accounts.Status.labels[user.status],
            "purpose": ActivationCode.Purpose.RESET
            if user.status == accounts.Status.ACTIVE
            else ActivationCode.Purpose.ACTIVATE,
            "open_code": user.code_expires is not None,
        }


@method_decorator(never_cache, name="dispatch")
class AccountCodeView(ManagePage, TemplateView):
    """Issue one account's activation or reset code and show it this once (POST only)."""

    template_name = "workflows/manage/accounts_code.html"
    nav_name = "manage:accounts"
    http_method_names = ["get", "post"]

    def get(self, request, pk: int, *args, **kwargs):
        # The code is shown only in the answer to the POST that issued it.
        return HttpResponseRedirect(reverse("manage:accounts"))

    def post(self, request, pk: int, *args, **kwargs):
        user = get_object_or_404(User.objects.select_related("cadre__unit"), pk=pk)
        raw = request.POST.get("replaces", "")
        if not raw.isdigit():
            # The list's form always says which open code it saw: without it a resent form could issue twice.
            messages.error(request, _("请从账号列表签发激活码。"))
            return HttpResponseRedirect(reverse("manage:accounts"))
        replaces = int(raw)
        purpose = request.POST.get("purpose", "")
        try:
            code = accounts.activation_code_issue(user=user, by=request.user, purpose=purpose, replaces=replaces)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return HttpResponseRedirect(reverse("manage:accounts"))
        issued = ActivationCode.objects.filter(user=user).order_by("-issued_at", "-pk").first()
        context = self.get_context_data(
            account=user,
            where=_where(user),
            code=accounts.formatted(code),
            purpose_word=PURPOSE_WORDS[purpose],
            expires_at=issued.expires_at if issued else None,
            address=_activate_address(request),
        )
        return _no_store(self.render_to_response(context))


class AccountDeactivateView(ManagePage, TemplateView):
    """Deactivate one account, with a reason (a cadre who left)."""

    template_name = "workflows/manage/accounts_deactivate.html"
    nav_name = "manage:accounts"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = get_object_or_404(User.objects.select_related("cadre__unit"), pk=kwargs["pk"])

    def get(self, request, *args, **kwargs):
        # Not even the account's name and unit are shown to someone who may not deactivate it (R-O4).
        if not accounts.may_administer(request.user, self.account):
            raise PermissionDenied(_("只有账号所在县的县委组织部可以管理该账号。"))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DeactivateForm())
        context.update(account=self.account, where=_where(self.account))
        return context

    def post(self, request, *args, **kwargs):
        form = DeactivateForm(request.POST)
        if form.is_valid():
            try:
                accounts.account_deactivate(user=self.account, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已停用账号 %(user)s。") % {"user": self.account.get_full_name()})
                return HttpResponseRedirect(reverse("manage:accounts"))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AccountReactivateView(ManagePage, View):
    """Open a deactivated account again (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk: int, *args, **kwargs):
        user = get_object_or_404(User, pk=pk)
        try:
            accounts.account_reactivate(user=user, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("已恢复账号 %(user)s。") % {"user": user.get_full_name()})
        return HttpResponseRedirect(reverse("manage:accounts"))


@method_decorator(never_cache, name="dispatch")
class AccountSheetView(ManagePage, View):
    """Issue codes for every unactivated account of a unit, township or county and download them as a PDF sheet."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        back = HttpResponseRedirect(reverse("manage:accounts"))
        form = SheetForm(request.POST, counties=self.counties)
        if not form.is_valid():
            messages.error(request, _("请选择签发范围。"))
            return back
        try:
            pdf.chinese_font()
        except pdf.PdfFontMissing as missing:
            messages.error(request, str(missing))
            return back
        tier = form.cleaned_data["scope"]
        try:
            issued = accounts.activation_codes_issue(tier=tier, by=request.user, reissue=form.cleaned_data["reissue"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return back
        expires = timezone.localtime(issued[0].expires_at).strftime("%Y-%m-%d %H:%M")
        slips = [
            pdf_codes.CodeSlip(
                name=one.user.get_full_name(),
                where=_where(one.user),
                username=one.user.username,
                code=accounts.formatted(one.code),
                expires=expires,
                purpose=str(PURPOSE_WORDS[one.purpose]),
            )
            for one in issued
        ]
        title = _("%(scope)s 账号激活码") % {"scope": tier}
        content = pdf_codes.activation_sheet_pdf(title=title, slips=slips, address=_activate_address(request))
        response = HttpResponse(content, content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = content_disposition_header(True, f"activation-codes-{tier.code}-{stamp}.pdf")
        return _no_store(response)


# ---------------------------------------------------------------------------------------------
# The public activation page and the password change that clears the forced-change flag.
# ---------------------------------------------------------------------------------------------


#: The validators' rules in one plain line: the page's fields show help as text, not as Django's HTML list.
PASSWORD_HELP = gettext_lazy("至少 8 位,不能全是数字,不能过于常见或与姓名、账号相近。")


class ActivateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("账号或身份证号"), max_length=150)
    code = forms.CharField(
        label=gettext_lazy("激活码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}),
        help_text=gettext_lazy("12 位,字母不分大小写,横线可不输。"),
    )
    new_password1 = forms.CharField(
        label=gettext_lazy("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HELP,
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return cleaned


#: An address may enter this many times the per-account allowance of wrong codes in all (a whole office behind one
#: address activating on the same morning), so that one person's typos never turn away their colleagues.
ADDRESS_ALLOWANCE_TIMES = 10


def _attempt_keys(request: HttpRequest) -> tuple[str, str]:
    """The counters of wrong codes: of this address for the account it names, and of the address as a whole."""
    address = client_address(request)
    login = (request.POST.get("username", "") or "").strip().upper()[:150]
    # Hashed so that no address or account is kept readable in the cache.
    digest = hashlib.sha256(f"{address}|{login}".encode()).hexdigest()[:32]
    return "activate:wrong:" + digest, "activate:wrong-address:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def _too_many_wrong_attempts(request: HttpRequest) -> bool:
    free = settings.ACTIVATION_WRONG_ATTEMPTS_FREE
    account_key, address_key = _attempt_keys(request)
    try:
        counts = cache.get_many([account_key, address_key])
    except Exception:  # the cache is down: let the person try, the codes' length is the real defence
        return False
    return (
        int(counts.get(account_key) or 0) >= free or int(counts.get(address_key) or 0) >= free * ADDRESS_ALLOWANCE_TIMES
    )


def _count_wrong_attempt(request: HttpRequest) -> None:
    window = settings.ACTIVATION_WRONG_ATTEMPTS_WINDOW_SECONDS
    for key in _attempt_keys(request):
        try:
            if not cache.add(key, 1, timeout=window):
                cache.incr(key)
        except Exception:  # noqa: S110  (a missing counter only loosens the limit)
            pass


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("code", "new_password1", "new_password2"), name="dispatch")
class ActivateView(View):
    """Set one's own password with the code from the org dept, then sign in (R-X1).

    Every unusable code gets the same answer; an address that keeps sending wrong ones is turned away for a
    while (ACTIVATION_WRONG_ATTEMPTS_FREE per ACTIVATION_WRONG_ATTEMPTS_WINDOW_SECONDS).
    """

    template_name = "registration/activate.html"
    http_method_names = ["get", "post"]

    def get(self, request, *args, **kwargs):
        initial = {"username": request.GET.get("u", "")[:150]}
        return self._page(request, ActivateForm(initial=initial))

    def post(self, request, *args, **kwargs):
        form = ActivateForm(request.POST)
        if _too_many_wrong_attempts(request):
            form = ActivateForm(initial={"username": request.POST.get("username", "")[:150]})
            message = _("输错的激活码次数过多,请稍后再试,或联系县委组织部。")
            return self._page(request, form, message=message, status=429)
        if not form.is_valid():
            return self._page(request, form, status=400)
        data = form.cleaned_data
        try:
            user = accounts.account_activate(
                username=data["username"], code=data["code"], new_password=data["new_password1"]
            )
        except accounts.ActivationRefused as refused:
            _count_wrong_attempt(request)
            form = ActivateForm(initial={"username": data["username"]})
            return self._page(request, form, message=str(refused), status=403)
        except ValidationError as error:
            form.add_error("new_password1", _one_message(error))
            return self._page(request, form, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("密码已设置,欢迎使用。请牢记您的密码。"))
        return HttpResponseRedirect("/")

    def _page(self, request: HttpRequest, form: ActivateForm, *, message: str = "", status: int = 200):
        return render(request, self.template_name, {"form": form, "message": message}, status=status)


def _one_message(error: ValidationError) -> str:
    """Every reason a password was refused, in one message: a field of the page shows only its first error."""
    return " ".join(error.messages)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def validate_password_for_user(self, user, password_field_name="new_password2"):
        password = self.cleaned_data.get(password_field_name)
        if password:
            try:
                accounts.password_check(password, user)
            except ValidationError as error:
                self.add_error(password_field_name, _one_message(error))


@method_decorator(sensitive_post_parameters("old_password", "new_password1", "new_password2"), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which also lifts the forced change and leaves an audit event (R-X1)."""

    template_name = "registration/password_change_form.html"
    form_class = PasswordChangeForm

    def get_success_url(self) -> str:
        return "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        accounts.account_password_changed(user=form.user)
        messages.success(self.request, _("密码已修改。"))
        return response


urlpatterns = [
    path("accounts/", AccountListView.as_view(), name="accounts"),
    path("accounts/sheet/", AccountSheetView.as_view(), name="account_sheet"),
    path("accounts/<int:pk>/code/", AccountCodeView.as_view(), name="account_code"),
    path("accounts/<int:pk>/deactivate/", AccountDeactivateView.as_view(), name="account_deactivate"),
    path("accounts/<int:pk>/reactivate/", AccountReactivateView.as_view(), name="account_reactivate"),
]

#: Pages outside the site's frame, for people not signed in (activating an account), mounted at /accounts/.
public_urlpatterns: list = [
    path("activate/", ActivateView.as_view(), name="activate"),
    # The same address as viewflow's AuthViewset's "password_change", which it shadows (this list comes first).
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),
]
