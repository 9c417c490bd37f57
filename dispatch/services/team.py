"""The township's organisation of its stationed cadres: team leader, work groups, mentors (R-M4)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.models import (
    Dispatch,
    DispatchState,
    TeamLeader,
    WorkGroup,
)
from dispatch.services._common import _locked
from workflows.audit import audit_record
from workflows.guards import require_perm
from workflows.models import Post, Role, Township, User, Village
from workflows.permissions import (
    MANAGE_STATIONED,
)
from workflows.policy import policy


def _stationed_in(township: Township, dispatch: Dispatch) -> bool:
    return dispatch.state == DispatchState.STATIONED and dispatch.village.township_id == township.pk


def team_leader_name(*, township: Township, dispatch: Dispatch, by: User) -> TeamLeader:
    """The township names one team leader among the cadres stationed in it (R-M4)."""
    require_perm(by, MANAGE_STATIONED, township, action="team.leader")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if not _stationed_in(township, dispatch):
            raise ValidationError(_("领队须是驻本乡镇的在村干部。"))
        previous = TeamLeader.objects.select_for_update().filter(township=township).first()
        before = previous.dispatch.cadre.name if previous else ""
        leader, _created = TeamLeader.objects.update_or_create(township=township, defaults={"dispatch": dispatch})
        audit_record(action="team.leader", actor=by, obj=township, from_state=before, to_state=dispatch.cadre.name)
    return leader


def work_group_save(
    *, township: Township, year: int, name: str, villages: list[Village], by: User, group: WorkGroup | None = None
) -> WorkGroup:
    """The township groups 2 to 3 neighbouring villages into a work group (R-M4)."""
    require_perm(by, MANAGE_STATIONED, township, action="team.group")
    low, high = policy("WORK_GROUP_MIN_VILLAGES"), policy("WORK_GROUP_MAX_VILLAGES")
    villages = list({v.pk: v for v in villages}.values())
    if not low <= len(villages) <= high:
        raise ValidationError(
            _("每个工作小组由 %(low)s 至 %(high)s 个相邻村组成,现选了 %(n)s 个。")
            % {"low": low, "high": high, "n": len(villages)}
        )
    if any(v.township_id != township.pk for v in villages):
        raise ValidationError(_("工作小组的村须都在本乡镇。"))
    taken = WorkGroup.objects.filter(township=township, year=year, villages__in=villages)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError(_("有的村已在本年度另一个工作小组中。"))
    if not name.strip():
        raise ValidationError(_("请填写小组名称。"))
    with transaction.atomic():
        if group is None:
            group = WorkGroup.objects.create(township=township, year=year, name=name.strip())
        else:
            group.name = name.strip()
            group.save(update_fields=["name"])
        group.villages.set(villages)
        audit_record(action="team.group", actor=by, obj=group, data={"villages": [v.name for v in villages]})
    return group


def mentor_assign(*, dispatch: Dispatch, mentor: User, by: User) -> Dispatch:
    """The township pairs a stationed cadre with one of its leaders for mentoring (传帮带, R-M4)."""
    township = dispatch.village.township
    require_perm(by, MANAGE_STATIONED, township, action="team.mentor")
    if not Post.objects.active().filter(user=mentor, role=Role.TOWNSHIP_COMMITTEE, township=township).exists():
        raise ValidationError(_("传帮带联系领导须是本乡镇的领导。"))
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if not _stationed_in(township, dispatch):
            raise ValidationError(_("只能为驻本乡镇的在村干部确定联系领导。"))
        before = str(dispatch.mentor or "")
        dispatch.mentor = mentor
        dispatch.save(update_fields=["mentor"])
        audit_record(action="team.mentor", actor=by, obj=dispatch, from_state=before, to_state=str(mentor))
    return dispatch
