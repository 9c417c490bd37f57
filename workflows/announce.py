"""A new human task is announced to whoever may act on it, once its transaction commits (issue 13).

Every flow's tasks are created by viewflow; one receiver on the task model covers them all, whichever
page, service or job moved the flow. The recipients are read when the transaction commits, so a person
who lost their post in the meantime is not told, and a task already done by then is not announced.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.handover import colleagues_for, task_tier
from workflows.models import Notification, User
from workflows.notifications import send_now


def announce_task(task_pk: int) -> None:
    """Tell whoever may act on the task that it waits for them (once per person and task)."""
    task = Task.objects.select_related("process", "owner").filter(pk=task_pk).first()
    if task is None or task.flow_task_type != "HUMAN" or task.flow_task is None:
        return
    recipients: list[User]
    if task.status == STATUS.ASSIGNED and task.owner is not None:
        recipients = [task.owner]
    elif task.status == STATUS.NEW:
        recipients = list(colleagues_for(task))
    else:
        return
    import_module(settings.ROOT_URLCONF)  # node URLs exist once the site's URLconf is built
    send_now(
        recipients,
        kind="task_new",
        title=_("待办:%(task)s · %(what)s") % {"task": task.flow_task.task_title, "what": task.process.artifact},
        body=str(task.process.flow_class.process_title),
        url=task.reverse("execute"),
        key=f"task:{task.pk}:new",
        tier=task_tier(task),
    )


def task_saved(sender, instance: Task, created: bool, **kwargs) -> None:
    """post_save on viewflow's task: announce a new human task after the commit; a finished one is no news."""
    if instance.flow_task_type != "HUMAN":
        return
    if created:
        pk = instance.pk
        transaction.on_commit(lambda: announce_task(pk))
    elif instance.status in (STATUS.DONE, STATUS.CANCELED):
        # Whoever was told of it need not look again: the work is done (by them or a colleague).
        Notification.objects.filter(key=f"task:{instance.pk}:new", read_at__isnull=True).update(read_at=timezone.now())
