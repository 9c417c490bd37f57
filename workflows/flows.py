"""What every process's flow shares: the artifact -> flow registry, tier-checked human tasks, flow helpers."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import import_module
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow import flow, lock
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow.views import DashboardProcessListView, DashboardTaskListView, FlowChartView
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from workflows.audit import audit_refusal
from workflows.handover import may_act
from workflows.permissions import VIEW_COUNTY, VIEW_PERM_OF_TIER, granted_tier_pks, may_view
from workflows.taskviews import safe_back

FINISHED = (STATUS.DONE, STATUS.CANCELED)

M = TypeVar("M", bound=Model)


#: The human task whose page is running now; its service must not complete it a second time.
_running_task: ContextVar[int | None] = ContextVar("running_flow_task", default=None)


@contextmanager
def running_task(task_pk: int):
    token = _running_task.set(task_pk)
    try:
        yield
    finally:
        _running_task.reset(token)


def is_county_viewer(user) -> bool:
    """Org dept and auditors read every process in their county; lists of processes are for them only."""
    return bool(user and user.is_authenticated) and bool(granted_tier_pks(user, {"county": VIEW_COUNTY})["county"])


def flow_view_permission(user, obj=None) -> bool:
    """A flow is visible to anyone holding a tier; a process only inside the user's tiers (R-O4)."""
    if not (user and user.is_authenticated):
        return False
    if obj is not None and getattr(obj, "artifact", None) is not None:
        return may_view(user, obj.artifact)
    return any(granted_tier_pks(user, VIEW_PERM_OF_TIER).values())


def fresh_artifact(process: Process) -> Model:
    """The artifact as stored now; a process caches its artifact, and FSM fields skip refresh_from_db."""
    model = process.artifact_content_type.model_class()
    return model._default_manager.get(pk=process.artifact_object_id)


ALREADY_DONE = gettext_lazy("该事项已经办结(可能已由他人或在另一个窗口中处理),无需重复操作。")


#: The flows' lock: the process row, waited for rather than failed on. viewflow's default
#: `select_for_update_lock` uses NOWAIT and retries inside the caller's transaction, which on PostgreSQL
#: leaves that transaction aborted (a 500) when someone else holds the lock. Services and pages lock the
#: process row before any artifact row, so waiting cannot deadlock.
flow_lock = lock.SelectForUpdateLock(nowait=False)


class AlreadyDone(Exception):
    """The task was finished by someone else (or in another tab) first."""


class HandedOver(Exception):
    """The task is held by someone else now: handed over, or taken over, since the page was opened."""

    def __init__(self, holder):
        super().__init__(holder)
        self.holder = holder


def handed_over_message(holder) -> str:
    return _("该事项已转交 %(name)s 办理,您的提交未保存。") % {"name": holder.get_full_name()}


def _finished_redirect(request, task: Task, message: str) -> HttpResponseRedirect:
    messages.warning(request, message)
    return HttpResponseRedirect(safe_back(request, reverse("home:index")))


def _wrap_tier_task_view(flow_task, origin_view):
    """Open a task to anyone its tier permission admits; take it on submit; say so if it is already done.

    Unlike viewflow's own wrapper, the user does not have to assign the task to themselves first, and a
    second submission (another tab, another person) gets a clear 'already decided', not an error page.
    """

    def view(request, process_pk: int, task_pk: int, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        task_class = flow_task.flow_class.task_class
        task = task_class._default_manager.select_related("process").filter(pk=task_pk, process_id=process_pk).first()
        if task is None or task.process.flow_class != flow_task.flow_class or task.flow_task != flow_task:
            raise Http404
        if task.status in FINISHED:
            return _finished_redirect(request, task, str(ALREADY_DONE))
        # A member of the task's tier may open it while a colleague holds it: the page says who, and offers
        # to take it over; submitting it is still the holder's alone (see below).
        may_do = (
            flow_task.can_execute(request.user, task)
            or flow_task.can_assign(request.user, task)
            or may_act(request.user, task)
        )
        if not may_do:
            if task.owner_id and task.owner_id != request.user.pk:
                return _finished_redirect(request, task, _("该事项正由 %(name)s 办理。") % {"name": task.owner})
            audit_refusal(
                action="task.refused",
                actor=request.user,
                obj=task.process.artifact,
                reason=_("越权打开待办事项"),
                data={"task": str(task.flow_task)},
            )
            raise PermissionDenied(_("您无权办理此事项。"))
        request.activation = flow_task.activation_class(task)
        if request.method != "POST":
            return origin_view(request, process_pk=process_pk, task_pk=task_pk, **kwargs)
        try:
            with flow_task.flow_class.lock(process_pk), transaction.atomic():
                task = task_class._default_manager.select_related("process").get(pk=task_pk)
                if task.status in FINISHED:
                    raise AlreadyDone
                if task.owner_id and task.owner_id != request.user.pk:
                    # Handed over (or taken over) since the page was opened: the new holder decides.
                    raise HandedOver(task.owner)
                if task.status == STATUS.NEW:
                    flow_task.activation_class(task).assign(request.user)
                request.activation = flow_task.activation_class(task)
                request.activation.start(request)
                with running_task(task.pk):
                    return origin_view(request, process_pk=process_pk, task_pk=task_pk, **kwargs)
        except (AlreadyDone, TransitionNotAllowed):
            return _finished_redirect(request, task, str(ALREADY_DONE))
        except HandedOver as handed:
            return _finished_redirect(request, task, handed_over_message(handed.holder))
        except FlowLockFailed:
            return _finished_redirect(request, task, _("该事项正由他人办理,请稍后再试。"))

    view.__name__ = getattr(origin_view, "__name__", "task_view")
    return view


class TierView(flow.View):
    """A human task whose queue is its tier; see `_wrap_tier_task_view` for how it opens and closes."""

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/",
            _wrap_tier_task_view(self, self.view),
            name="execute",
        )


# --- The artifact -> flow registry -----------------------------------------------------------------
# Each process app registers its pairs in `AppConfig.ready()`; services move their flow on through the
# helpers below and never import their own `flows.py` (which imports the task pages, which import them).


@dataclass(frozen=True)
class _Registration:
    flow_class: Any  # a viewflow Flow subclass; its nodes are class attributes the type does not declare
    start_arg: str


_FLOWS: dict[type[Model], _Registration] = {}


def register_flow(model: type[Model], flow_class: type, *, start_arg: str) -> None:
    """Say which flow runs an artifact of `model`; `start_arg` is the keyword its start node takes."""
    _FLOWS[model] = _Registration(flow_class, start_arg)


def flow_of(artifact: Model | type[Model]) -> Any:
    """The flow class registered for this artifact (or artifact model)."""
    model = artifact if isinstance(artifact, type) else type(artifact)
    try:
        return _FLOWS[model].flow_class
    except KeyError:
        raise LookupError(f"no flow is registered for {model.__name__}") from None


def flows_of(*models: type[Model]) -> list:
    """The flow classes registered for these artifact models, in order."""
    return [flow_of(model) for model in models]


def start_process(artifact: Model) -> None:
    """Start the artifact's flow (its start node is a `Handle` the service runs)."""
    registration = _FLOWS[type(artifact)]
    registration.flow_class.start.run(**{registration.start_arg: artifact})


def lock_process(artifact: Model) -> None:
    """Lock the artifact's process row, waiting, before any other row: the order the task pages use.

    Taking the artifact row first and the flow lock second inverts the pages' order, and viewflow's
    no-wait lock, failing inside an outer transaction, leaves it aborted: a 500.
    """
    flow_class = flow_of(artifact)
    process = process_of(flow_class, artifact)
    if process is not None:
        flow_class.process_class._default_manager.select_for_update().filter(pk=process.pk).exists()


def locked(artifact: M, *related: str) -> M:
    """Re-read the artifact under a row lock, after its process row, so two people acting at once cannot both win."""
    lock_process(artifact)
    return type(artifact)._default_manager.select_for_update().select_related(*related).get(pk=artifact.pk)


def complete_task(artifact: Model, node_name: str, by) -> None:
    """Move the artifact's flow past the human task whose work a service just did (no-op inside its own page)."""
    complete_human_task(flow_of(artifact), node_name, artifact, by)


def finish_task(artifact: Model, node_name: str, **kwargs: Any) -> None:
    """Complete the artifact's flow's waiting Handle task, if the flow waits there."""
    finish_handle(flow_of(artifact), node_name, artifact, **kwargs)


def cancel_process(artifact: Model) -> None:
    """Cancel the artifact's running process, if any (a withdrawal, say)."""
    cancel_process_of(flow_of(artifact), artifact)


def process_of(flow_class, artifact: Model) -> Process | None:

    return (
        flow_class.process_class._default_manager.filter(
            flow_class=flow_class,
            artifact_content_type=ContentType.objects.get_for_model(artifact),
            artifact_object_id=artifact.pk,
        )
        .order_by("-pk")
        .first()
    )


def open_task(flow_class, node_name: str, artifact: Model) -> Task | None:
    process = process_of(flow_class, artifact)
    if process is None:
        return None
    node = getattr(flow_class.instance, node_name)
    return (
        flow_class.task_class._default_manager.filter(process=process, flow_task=node)
        .exclude(status__in=[*FINISHED, STATUS.REVIVED])
        .first()
    )


def finish_handle(flow_class, node_name: str, artifact: Model, **kwargs: Any) -> None:
    """Complete the flow's waiting Handle task for this artifact, if the flow is waiting there."""
    task = open_task(flow_class, node_name, artifact)
    if task is not None:
        getattr(flow_class.instance, node_name).run(task, **kwargs)


def complete_human_task(flow_class, node_name: str, artifact: Model, user) -> None:
    """Complete the human task a service has just done the work of, unless its own page is running it.

    Services are the one way to change an artifact; calling one from anywhere (an API, a command, the
    demo) moves the flow on exactly as the task page would, so the flow never waits on work already done.
    """
    task = open_task(flow_class, node_name, artifact)
    if task is None or task.pk == _running_task.get():
        return
    node = getattr(flow_class.instance, node_name)
    with flow_class.lock(task.process_id):
        task = flow_class.task_class._default_manager.select_related("process").get(pk=task.pk)
        if task.status in FINISHED:
            return
        if task.status == STATUS.NEW:
            node.activation_class(task).assign(user)
        activation = node.activation_class(task)
        if task.status != STATUS.STARTED:
            activation.start(None)
        activation.execute()


def cancel_process_of(flow_class, artifact: Model) -> None:
    process = process_of(flow_class, artifact)
    if process is not None and process.finished is None:
        flow_class.instance.cancel(process)


def _artifacts_by_name() -> GenericPrefetch:
    """Prefetch each task's artifact with what its __str__ reads (`str_related`): one query per kind, no more."""
    return GenericPrefetch(
        "process__artifact",
        [
            model._default_manager.select_related(*model.str_related)
            for model in apps.get_models()
            if hasattr(model, "str_related")
        ],
    )


def open_tasks_for(user, flow_classes: list) -> list[Task]:
    """Human tasks the user may take or has taken, across flows, oldest first (two queries)."""
    if not (user and user.is_authenticated):
        return []
    tasks = Task.objects.filter(flow_task_type="HUMAN", process__flow_class__in=flow_classes)
    queue = tasks.filter(status=STATUS.NEW).user_queue(user).values("pk")
    result = list(
        tasks.filter(Q(pk__in=queue) | Q(status=STATUS.ASSIGNED, owner=user))
        .select_related("process")
        .prefetch_related(_artifacts_by_name())
        .order_by("created")
    )
    # Node URLs exist once the site's URLconf is built; outside a request it may not be yet.
    import_module(settings.ROOT_URLCONF)
    for task in result:
        task.execute_url = task.reverse("execute")
    return result


def tasks_held_by_colleagues(user, flow_classes: list) -> list[Task]:
    """Tasks of the user's tiers that a colleague has taken: the user may take them over (two queries)."""
    if not (user and user.is_authenticated):
        return []
    tasks = (
        Task.objects.filter(flow_task_type="HUMAN", process__flow_class__in=flow_classes, status=STATUS.ASSIGNED)
        .exclude(owner=user)
        .exclude(owner_permission="")
        .exclude(owner_permission__isnull=True)
    )
    mine = tasks.user_queue(user).values("pk")
    result = list(
        tasks.filter(pk__in=mine)
        .select_related("process", "owner")
        .prefetch_related(_artifacts_by_name())
        .order_by("created")
    )
    import_module(settings.ROOT_URLCONF)
    for task in result:
        task.execute_url = task.reverse("execute")
    return result


def tasks_done_by(user, flow_classes: list):
    """The human tasks the user completed, newest first, with their artifacts (a queryset, for paging)."""
    return (
        Task.objects.filter(
            flow_task_type="HUMAN", process__flow_class__in=flow_classes, owner=user, status=STATUS.DONE
        )
        .select_related("process")
        .prefetch_related(_artifacts_by_name())
        .order_by("-finished", "-pk")
    )


class _OrderedProcessListView(DashboardProcessListView):
    def get_queryset(self):
        return super().get_queryset().order_by("-created")


class _OrderedTaskListView(DashboardTaskListView):
    @property
    def queryset(self):
        return super().queryset.order_by("-created")


class _TierChartView(FlowChartView):
    """The flow's chart for anyone who may see the flow; one process's chart only as its process page (R-O4)."""

    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            process = self.flow_class.process_class._default_manager.filter(
                pk=process_pk, flow_class=self.flow_class
            ).first()
            if process is None:
                raise Http404
            if not self.flow_class.instance.has_view_permission(request.user, obj=process):
                raise PermissionDenied
            # Whoever reads the process reads its chart, a cadre their own leave too; viewflow's check asks
            # only for the flow, which is the county's.
            return View.dispatch(self, request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


class TierFlowViewset(FlowViewset):
    """A flow's URLs: task pages for whoever the task's tier admits; process lists for the county tier only.

    Cancelling a process is not offered here: withdrawals and recalls go through the services (R-S1).
    """

    process_list_view_class = _OrderedProcessListView
    task_list_view_class = _OrderedTaskListView
    chart_view_class = _TierChartView
    process_cancel_path = None

    def has_view_permission(self, user, obj=None):
        if obj is not None:
            return flow_view_permission(user, obj)
        return is_county_viewer(user)
