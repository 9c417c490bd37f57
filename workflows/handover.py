"""Who works on a human task: take it over, hand it to a colleague, hand over everything, release it.

A task whose node carries a tier permission (`.Permission(perm, obj=...)`) belongs to everyone holding that
permission on that tier; one of them works on it at a time (viewflow's `owner`). Every change of hands runs
under the flow's own lock on the process row, the lock the task pages take when they submit, so a hand-over
and a submission by the former holder cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from workflows.audit import audit_record, audit_refusal
from workflows.models import User

_FINISHED = (STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED)


def task_tier(task: Task) -> Model | None:
    """The tier object whose permission admits people to this task; None for a task assigned to one person."""
    if not task.owner_permission:
        return None
    node = task.flow_task
    obj = getattr(node, "_owner_permission_obj", None)
    if callable(obj):
        return obj(task.process)
    return obj if obj is not None else task.owner_permission_obj


def may_act(user: User | None, task: Task) -> bool:
    """Whether the user's tier permission admits them to this task, whoever holds it now."""
    if user is None or not user.is_authenticated or not user.is_active or not task.owner_permission:
        return False
    return user.has_perm(task.owner_permission, task_tier(task))


def colleagues_for(task: Task, *, exclude: tuple[User | None, ...] = ()) -> QuerySet[User]:
    """Everyone who may act on the task (its tier permission), by name; the task may be handed to them."""
    tier = task_tier(task)
    if tier is None:
        return User.objects.none()
    codename = task.owner_permission.split(".", 1)[-1]
    content_type = ContentType.objects.get_for_model(tier)
    grants = UserObjectPermission.objects.filter(
        permission__codename=codename, content_type=content_type, object_pk=str(tier.pk)
    ).values("user_id")
    return (
        User.objects.filter(pk__in=grants, is_active=True)
        .exclude(pk__in=[user.pk for user in exclude if user is not None])
        .order_by("name", "username")
    )


def _artifact(task: Task) -> Model | None:
    return task.process.artifact


def _node_activation(task: Task):
    return task.flow_task.activation_class(task)


def _locked(task: Task):
    """The flow's lock on the task's process (waiting), inside which the task is re-read."""
    return task.flow_task.flow_class.lock(task.process_id)


def _reread(task: Task) -> Task:
    return type(task)._default_manager.select_related("process", "owner").get(pk=task.pk)


def _check_open(task: Task) -> None:
    if task.status in _FINISHED:
        raise ValidationError(_("该事项已经办结,无需再转交。"))
    if task.status == STATUS.STARTED:
        raise ValidationError(_("该事项正在提交中,请稍后再试。"))
    if not task.owner_permission:
        raise ValidationError(_("此事项只能由本人办理,不能转交。"))


def _refuse(by: User, task: Task, reason: str) -> None:
    audit_refusal(
        action="task.refused", actor=by, obj=_artifact(task), reason=reason, data={"task": str(task.flow_task)}
    )


def _move(task: Task, *, to: User | None, by: User | None, action: str, note: str = "", **extra) -> Task:
    """Give the task to `to` (None: back to its tier's queue) through viewflow's own activations; audit it."""
    before = task.owner
    from_status = task.status
    activation = _node_activation(task)
    if to is None:
        activation.unassign()
    elif task.status == STATUS.NEW:
        activation.assign(to)
    else:
        activation.reassign(to)
    audit_record(
        action=action,
        actor=by,
        obj=_artifact(task),
        from_state=str(from_status),
        to_state=str(task.status),
        reason=note,
        data={
            "task": str(task.flow_task),
            "task_id": task.pk,
            "from": before.username if before else "",
            "from_name": before.get_full_name() if before else "",
            "to": to.username if to else "",
            "to_name": to.get_full_name() if to else "",
            **extra,
        },
    )
    return task


def task_take(*, task: Task, by: User) -> Task:
    """A member of the task's tier takes it over: from the queue, or from a colleague who holds it."""
    # Refusals are checked before the lock: an audited refusal must not be rolled back with the transaction.
    if not may_act(by, task):
        _refuse(by, task, _("无权接手此事项"))
        raise PermissionDenied(_("您无权办理此事项。"))
    with _locked(task), transaction.atomic():
        task = _reread(task)
        _check_open(task)
        if task.owner_id == by.pk:
            raise ValidationError(_("您已在办理此事项。"))
        return _move(task, to=by, by=by, action="task.take")


def task_hand_over(*, task: Task, by: User, to: User, note: str = "") -> Task:
    """Hand the task to a named colleague who may act on it (the same tier permission), with a note."""
    if not may_act(by, task) and _reread(task).owner_id != by.pk:
        _refuse(by, task, _("无权转交此事项"))
        raise PermissionDenied(_("您无权转交此事项。"))
    with _locked(task), transaction.atomic():
        task = _reread(task)
        _check_open(task)
        if task.owner_id != by.pk and not may_act(by, task):
            raise PermissionDenied(_("您无权转交此事项。"))
        if to.pk == task.owner_id:
            raise ValidationError(_("该事项已由 %(name)s 办理,无需转交。") % {"name": to.get_full_name()})
        if not may_act(to, task):
            raise ValidationError(_("%(name)s 无权办理此事项,不能转交给他。") % {"name": to.get_full_name()})
        return _move(task, to=to, by=by, action="task.hand_over", note=note)


def task_release(*, task: Task, by: User) -> Task:
    """The holder puts the task back into its tier's queue, for any member to take."""
    current = _reread(task)
    if current.owner_id is not None and current.owner_id != by.pk and current.status not in _FINISHED:
        _refuse(by, task, _("退回他人办理中的事项"))
        raise PermissionDenied(_("只有正在办理此事项的人可以把它退回待认领。"))
    with _locked(task), transaction.atomic():
        task = _reread(task)
        _check_open(task)
        if task.owner_id is None:
            raise ValidationError(_("该事项尚无人办理,已在待认领队列中。"))
        if task.owner_id != by.pk:
            raise PermissionDenied(_("只有正在办理此事项的人可以把它退回待认领。"))
        return _move(task, to=None, by=by, action="task.release")


@dataclass
class HandOverAll:
    """What `tasks_hand_over_all` did: the tasks handed over, and the ones refused with the reason."""

    handed: list[Task] = field(default_factory=list)
    refused: list[tuple[Task, str]] = field(default_factory=list)


def open_tasks_held_by(user: User) -> QuerySet[Task]:
    """The human tasks this person has taken and not finished, oldest first."""
    return (
        Task.objects.filter(flow_task_type="HUMAN", owner=user, status=STATUS.ASSIGNED)
        .select_related("process", "owner")
        .order_by("process_id", "pk")
    )


def tasks_hand_over_all(*, by: User, to: User, note: str = "") -> HandOverAll:
    """Hand every open task one holds to a colleague (going on leave); each its own audit event.

    The tasks `to` may not act on stay with `by` and are listed as refused; the rest are handed over
    together or, on an unexpected error, none of them.
    """
    if to.pk == by.pk:
        raise ValidationError(_("不能转交给自己。"))
    if not to.is_active:
        raise ValidationError(_("%(name)s 的账号已停用,不能接收转交。") % {"name": to.get_full_name()})
    result = HandOverAll()
    with transaction.atomic():
        # Process rows are locked in one order (by process id), so two hand-overs at once cannot deadlock.
        for task in open_tasks_held_by(by):
            with _locked(task):
                task = _reread(task)
                if task.owner_id != by.pk or task.status != STATUS.ASSIGNED:
                    continue
                if not task.owner_permission:
                    result.refused.append((task, _("此事项只能由本人办理,不能转交。")))
                elif not may_act(to, task):
                    result.refused.append((task, _("%(name)s 无权办理此事项。") % {"name": to.get_full_name()}))
                else:
                    result.handed.append(_move(task, to=to, by=by, action="task.hand_over", note=note, all=True))
    return result


def tasks_return_to_queue(*, user: User, tier: Model, codenames: list[str], by: User | None, reason: str = "") -> int:
    """Put back into the tier's queue the tasks `user` had taken there under permissions they no longer hold."""
    perms = [f"workflows.{codename}" for codename in codenames]
    tasks = open_tasks_held_by(user).filter(
        owner_permission__in=perms,
        owner_permission_content_type=ContentType.objects.get_for_model(tier),
        owner_permission_obj_pk=str(tier.pk),
    )
    returned = 0
    with transaction.atomic():
        for task in tasks:
            with _locked(task):
                task = _reread(task)
                if task.owner_id != user.pk or task.status != STATUS.ASSIGNED:
                    continue
                _move(task, to=None, by=by, action="task.return", note=reason)
                returned += 1
    return returned
