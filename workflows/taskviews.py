"""Base views for human tasks and for pages that call one service: errors shown on the form, nothing half-done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView


def safe_back(request, default: str) -> str:
    """Where a page's ?back= asks to return to, if it is on this site; never another host or a script URL."""
    back = request.GET.get("back", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default


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
        return super().get_context_data(task=self.activation.task, artifact=self.artifact, **kwargs)

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
