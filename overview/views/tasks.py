"""我的待办: one's open tasks across every process, filtered; the tasks one has done; taking over and handing on.

The page opens to anyone who holds a post or is a cadre (the people who get tasks); it lists only the user's
own tasks, those of their tiers' queues, and those a colleague of their tier holds (to take over). Taking over,
handing on and releasing are the services of `workflows.handover`; these views only call them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from viewflow.workflow.models import Task

from workflows.flows import open_tasks_for, tasks_done_by, tasks_held_by_colleagues
from workflows.forms import HandOverForm
from workflows.frame import AreaPage, NavLink
from workflows.handover import (
    colleagues_for,
    open_tasks_held_by,
    task_hand_over,
    task_release,
    task_take,
    tasks_hand_over_all,
)
from workflows.models import Cadre, User
from workflows.permissions import VIEW_PERM_OF_TIER, granted_tier_pks
from workflows.taskviews import safe_back

DONE_PAGE_SIZE = 20

TASKS_NAV = (
    NavLink(gettext_lazy("我的待办"), "tasks:index", testid="nav-tasks"),
    NavLink(gettext_lazy("已办"), "tasks:done", testid="nav-done"),
    NavLink(gettext_lazy("全部移交"), "tasks:hand_over_all", testid="nav-hand-over-all"),
    NavLink(gettext_lazy("通知"), "tasks:notifications", testid="nav-notifications"),
)


def admits(user) -> bool:
    """Whether the to-do list opens to the user: anyone with a post or a cadre record (the menu asks it too)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    # Asked by the menu, the bell and the page of one request: answered once per user object (one request).
    known = getattr(user, "_admits_tasks", None)
    if known is None:
        # Every post grants its tier's view permission; the grants are read once a request (the menu asks too).
        known = any(granted_tier_pks(user, VIEW_PERM_OF_TIER).values()) or Cadre.objects.filter(user=user).exists()
        user._admits_tasks = known
    return known


def flow_classes() -> list:
    return [import_string(dotted) for dotted in settings.WORKFLOW_FLOWS]


def kind_of(task: Task) -> str:
    """The task's kind for the filter: its flow and node."""
    return f"{task.process.flow_class.__name__}.{task.flow_task.name}"


def kind_label(task: Task) -> str:
    return f"{task.process.flow_class.process_title} · {task.flow_task.task_title}"


def tier_key(task: Task) -> str:
    if not task.owner_permission:
        return "self"
    return f"{task.owner_permission_content_type_id}-{task.owner_permission_obj_pk}"


def _tier_labels(tasks: Iterable[Task]) -> dict[str, str]:
    """Each tier the tasks belong to, by name: one query per tier, and there are few."""
    labels: dict[str, str] = {}
    for task in tasks:
        key = tier_key(task)
        if key in labels:
            continue
        if key == "self":
            labels[key] = _("本人事项")
            continue
        content_type = ContentType.objects.get_for_id(task.owner_permission_content_type_id)
        tier = content_type.model_class()._default_manager.filter(pk=task.owner_permission_obj_pk).first()
        labels[key] = str(tier) if tier is not None else key
    return labels


DUE_CHOICES = [
    ("", gettext_lazy("全部")),
    ("overdue", gettext_lazy("已逾期")),
    ("today", gettext_lazy("今天到期")),
    ("week", gettext_lazy("7天内到期")),
    ("none", gettext_lazy("无截止日期")),
]


class TaskFilterForm(forms.Form):
    """The to-do list's filters; each choice is one the user's own tasks offer."""

    kind = forms.ChoiceField(label=gettext_lazy("事项类别"), required=False)
    tier = forms.ChoiceField(label=gettext_lazy("层级"), required=False)
    due = forms.ChoiceField(label=gettext_lazy("截止日期"), required=False, choices=DUE_CHOICES)
    q = forms.CharField(label=gettext_lazy("名称"), required=False, max_length=50)

    def __init__(self, *args, kinds: dict[str, str], tiers: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("全部"))]
        self.fields["kind"].choices = every + sorted(kinds.items(), key=lambda item: item[1])
        self.fields["tier"].choices = every + sorted(tiers.items(), key=lambda item: item[1])


def _due_matches(due: datetime.date | None, wanted: str, today: datetime.date) -> bool:
    if wanted == "none":
        return due is None
    if due is None:
        return not wanted
    if wanted == "overdue":
        return due < today
    if wanted == "today":
        return due == today
    if wanted == "week":
        return today <= due <= today + datetime.timedelta(days=7)
    return True


def filter_tasks(tasks: list[Task], *, kind: str = "", tier: str = "", due: str = "", q: str = "", today=None):
    """The tasks that match every filter given, soonest due first (undated last), then oldest."""
    today = today or timezone.localdate()
    q = q.strip().casefold()
    found = [
        task
        for task in tasks
        if (not kind or kind_of(task) == kind)
        and (not tier or tier_key(task) == tier)
        and _due_matches(getattr(task, "due", None), due, today)
        and (not q or q in f"{task.process.artifact} {task.flow_task.task_title}".casefold())
    ]
    return sorted(
        found,
        key=lambda task: (getattr(task, "due", None) is None, getattr(task, "due", None) or today, task.created),
    )


class TasksPage(AreaPage):
    """A page of the to-do area: refused (403) to someone who holds no post and is no cadre."""

    area = "tasks"
    nav = TASKS_NAV
    nav_class = "vc-orgnav"
    nav_label = gettext_lazy("我的待办")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not admits(request.user):
            raise PermissionDenied(_("只有担任职务的人员和驻村干部有待办事项。"))
        return super().dispatch(request, *args, **kwargs)


class TaskListView(TasksPage, TemplateView):
    """The user's open tasks, filtered by kind, tier, due date and name; and those colleagues hold."""

    template_name = "overview/tasks.html"
    nav_name = "tasks:index"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        flows = flow_classes()
        tasks = open_tasks_for(user, flows)
        held = tasks_held_by_colleagues(user, flows)
        every = tasks + held
        form = TaskFilterForm(
            self.request.GET or None,
            kinds={kind_of(t): kind_label(t) for t in every},
            tiers=_tier_labels(every),
        )
        wanted = {name: "" for name in ("kind", "tier", "due", "q")}
        if form.is_bound:
            form.is_valid()
            wanted.update({name: value for name, value in form.cleaned_data.items() if value})
        labels = _tier_labels(every)
        for task in every:
            task.tier_label = labels[tier_key(task)]
            task.due_date = getattr(task, "due", None)
        today = timezone.localdate()
        context.update(
            form=form,
            tasks=filter_tasks(tasks, today=today, **wanted),
            held=filter_tasks(held, today=today, **wanted),
            total=len(tasks),
            filtered=any(wanted.values()),
            today=today,
        )
        return context


class DoneListView(TasksPage, TemplateView):
    """The tasks the user completed, newest first, a page at a time."""

    template_name = "overview/tasks_done.html"
    nav_name = "tasks:done"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(tasks_done_by(self.request.user, flow_classes()), DONE_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(page=page)
        return context


class HandOverAllForm(forms.Form):
    to = forms.ModelChoiceField(
        label=gettext_lazy("转交给"), queryset=User.objects.none(), empty_label=gettext_lazy("请选择同事")
    )
    note = forms.CharField(label=gettext_lazy("留言"), required=False, max_length=200)

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = colleagues


def _colleagues_of_all(user: User, tasks: list[Task]):
    pks: set[int] = set()
    for task in tasks:
        pks.update(colleagues_for(task, exclude=(user,)).values_list("pk", flat=True))
    return User.objects.filter(pk__in=pks).order_by("name", "username")


class HandOverAllView(TasksPage, TemplateView):
    """Going on leave: hand every open task one holds to a colleague at once."""

    template_name = "overview/tasks_hand_over_all.html"
    nav_name = "tasks:hand_over_all"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        held = list(open_tasks_held_by(self.request.user))
        context.setdefault(
            "form", HandOverAllForm(colleagues=_colleagues_of_all(self.request.user, held)) if held else None
        )
        context.update(held=held)
        return context

    def post(self, request, *args, **kwargs):
        held = list(open_tasks_held_by(request.user))
        form = HandOverAllForm(request.POST, colleagues=_colleagues_of_all(request.user, held))
        if not held:
            messages.info(request, _("您没有正在办理的事项,无需移交。"))
            return HttpResponseRedirect(reverse("tasks:index"))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        to = form.cleaned_data["to"]
        try:
            result = tasks_hand_over_all(by=request.user, to=to, note=form.cleaned_data["note"])
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
            return self.render_to_response(self.get_context_data(form=form))
        if result.handed:
            messages.success(
                request,
                _("已将 %(n)s 项事项转交 %(name)s 办理。") % {"n": len(result.handed), "name": to.get_full_name()},
            )
        for task, reason in result.refused:
            messages.warning(
                request,
                _("「%(task)s · %(what)s」未转交:%(reason)s")
                % {"task": task.flow_task.task_title, "what": task.process.artifact, "reason": reason},
            )
        return HttpResponseRedirect(reverse("tasks:index"))


def _human_task(task_pk: int) -> Task:
    task = get_object_or_404(Task.objects.select_related("process", "owner"), pk=task_pk)
    if task.flow_task_type != "HUMAN" or task.flow_task is None:
        raise Http404
    return task


class _TaskActionView(TasksPage, View):
    """A button of a task page: POST only; a refusal comes back as a message on the page it came from."""

    http_method_names = ["post"]
    success = ""

    def act(self, task: Task):
        raise NotImplementedError

    def done_url(self, task: Task) -> str:
        return safe_back(self.request, task.reverse("execute"))

    def post(self, request, task_pk: int):
        task = _human_task(task_pk)
        try:
            self.act(task)
        except ValidationError as error:
            for message in error.messages:
                messages.warning(request, message)
            return HttpResponseRedirect(task.reverse("execute"))
        messages.success(request, self.success_message(task))
        return HttpResponseRedirect(self.done_url(task))

    def success_message(self, task: Task) -> str:
        return self.success


class TaskTakeView(_TaskActionView):
    def act(self, task):
        task_take(task=task, by=self.request.user)

    def success_message(self, task):
        return _("您已接手办理此事项。")


class TaskReleaseView(_TaskActionView):
    def act(self, task):
        task_release(task=task, by=self.request.user)

    def success_message(self, task):
        return _("已退回待认领,同级同事都可以认领。")

    def done_url(self, task):
        return safe_back(self.request, reverse("tasks:index"))


class TaskHandOverView(_TaskActionView):
    def act(self, task):
        form = HandOverForm(self.request.POST, colleagues=colleagues_for(task, exclude=(self.request.user,)))
        if not form.is_valid():
            raise ValidationError(_("请选择一位可以办理此事项的同事。"))
        self.to = form.cleaned_data["to"]
        task_hand_over(task=task, by=self.request.user, to=self.to, note=form.cleaned_data["note"])

    def success_message(self, task):
        return _("已转交 %(name)s 办理。") % {"name": self.to.get_full_name()}

    def done_url(self, task):
        return safe_back(self.request, reverse("tasks:index"))


urlpatterns = [
    path("", TaskListView.as_view(), name="index"),
    path("done/", DoneListView.as_view(), name="done"),
    path("hand-over-all/", HandOverAllView.as_view(), name="hand_over_all"),
    path("<int:task_pk>/take/", TaskTakeView.as_view(), name="take"),
    path("<int:task_pk>/hand-over/", TaskHandOverView.as_view(), name="hand_over"),
    path("<int:task_pk>/release/", TaskReleaseView.as_view(), name="release"),
]
