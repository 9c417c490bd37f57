"""Sign-in lockouts: the org dept sees its county's and lifts them; the page a locked-out sign-in gets (R-X1)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from workflows.lockouts import lockout_lift, lockouts_for
from workflows.views.manage import ManagePage


def locked_out(request, original_response=None, credentials=None):
    """The page a sign-in gets while its account is locked out from this address (django-axes' lockout callable)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


class LiftForm(forms.Form):
    username = forms.CharField(max_length=150)
    ip_address = forms.CharField(max_length=45, required=False)


class LockoutsView(ManagePage, TemplateView):
    """Failed sign-ins of the county's accounts, locked ones first, each with a button that lifts it."""

    template_name = "workflows/manage/lockouts.html"
    nav_name = "manage:lockouts"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["lockouts"] = lockouts_for(self.request.user, self.counties)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context

    def post(self, request, *args, **kwargs):
        form = LiftForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请求不完整,请从列表中选择要解除的锁定。"))
            return redirect("manage:lockouts")
        try:
            lockout_lift(
                username=form.cleaned_data["username"], ip_address=form.cleaned_data["ip_address"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("已解除 %(user)s 的登录锁定,可以重新登录。") % {"user": form.cleaned_data["username"]}
            )
        return redirect("manage:lockouts")


urlpatterns = [path("lockouts/", LockoutsView.as_view(), name="lockouts")]
