"""The notifications page of the to-do area: each notice links to its task or record, and is marked read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from overview.views.tasks import TasksPage
from workflows.models import Notification


class NotificationListView(TasksPage, TemplateView):
    """The person's notifications, newest first, the unread ones marked."""

    template_name = "overview/notifications.html"
    nav_name = "tasks:notifications"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mine = Notification.objects.filter(recipient=self.request.user)
        page = Paginator(mine, 50).get_page(self.request.GET.get("page"))
        context.update(page=page, unread=mine.filter(read_at__isnull=True).count())
        return context


class NotificationOpenView(TasksPage, View):
    """Open a notification: mark it read and go to its task or record."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        if notification.read_at is None:
            Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        target = notification.url
        if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("tasks:notifications")
        return HttpResponseRedirect(target)


class NotificationReadAllView(TasksPage, View):
    """Mark every notification of the person read."""

    http_method_names = ["post"]

    def post(self, request):
        n = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
        messages.success(request, _("已将 %(n)s 条通知标为已读。") % {"n": n})
        return HttpResponseRedirect(reverse("tasks:notifications"))


urlpatterns = [
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/open/", NotificationOpenView.as_view(), name="notification_open"),
    path("notifications/read-all/", NotificationReadAllView.as_view(), name="notifications_read_all"),
]
