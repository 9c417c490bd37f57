"""Base views for human tasks and for pages that call one service: errors shown on the form, nothing half-done."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView

from workflows.forms import HandOverForm
from workflows.handover import colleagues_for, may_act


def safe_back(request, default: str) -> str:
    """Where a page's ?back= asks to return to, if it is on this site; never another host or a script URL."""
    back = request.GET.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default


def holder_panel(task, user) -> dict:
    """Who works on the task, and what this user may do about it: take it over, hand it on, release it."""
    owner = task.owner if task.owner_id else None
    mine = owner is not None and owner.pk == user.pk
    shared = bool(task.owner_permission)
    in_tier = may_act(user, task)
    form = None
    if shared and (mine or in_tier):
        colleagues = colleagues_for(task, exclude=(owner, user))
        if colleagues.exists():
            form = HandOverForm(colleagues=colleagues)
    back = f"?back={quote(reverse('tasks:index'))}"
    return {
        "owner": owner,
        "mine": mine,
        "held_by_other": owner is not None and not mine,
        "may_take": shared and in_tier and not mine,
        "may_release": shared and mine,
        "form": form,
        "take_url": reverse("tasks:take", args=[task.pk]),
        "hand_over_url": reverse("tasks:hand_over", args=[task.pk]) + back,
        "release_url": reverse("tasks:release", args=[task.pk]) + back,
    }


def add_service_errors(form, error: ValidationError) -> None:
    for message in error.messages:
        form.add_error(None, message)


class ServiceFormView(LoginRequiredMixin, FormView):
    """A form whose valid submission calls one service; a refusal re-shows the form with the reason."""

    template_name = "workflows/service_form.html"
    success_message = ""
    page_title = ""

    def perform(self, form):
        raise NotImplementedError

    def get_success_url(self):
        return safe_back(self.request, reverse("home:index"))

    def get_context_data(self, **kwargs):
        kwargs.setdefault("page_title", self.page_title)
        kwargs.setdefault("back_url", safe_back(self.request, "/"))
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.result = self.perform(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())


class TaskFormView(ServiceFormView):
    """A flow task: the service does the work, then the task completes and the flow moves on.

    It runs inside the transaction and the flow lock that `TierView` opened; on a refusal the whole
    transaction (including taking the task) is rolled back, so the task stays in the queue.
    """

    template_name = "workflows/task_form.html"

    @property
    def activation(self):
        return self.request.activation

    @property
    def artifact(self):
        return self.activation.process.artifact

    def get_context_data(self, **kwargs):
        kwargs.setdefault("page_title", self.page_title or self.activation.flow_task.task_title)
        task = self.activation.task
        return super().get_context_data(
            task=task, artifact=self.artifact, holder=holder_panel(task, self.request.user), **kwargs
        )

    def form_valid(self, form):
        try:
            with transaction.atomic():
                self.result = self.perform(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        self.activation.execute()
        if self.success_message:
            messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        # Render while the transaction is usable, then undo taking the task: it stays in the queue.
        response = super().form_invalid(form)
        response.render()
        transaction.set_rollback(True)
        return response
