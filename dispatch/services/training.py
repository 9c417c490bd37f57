"""Pre-dispatch training batches, enrolment and completion (R-S8)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.models import (
    Dispatch,
    DispatchState,
    TrainingBatch,
)
from dispatch.services._common import _locked
from workflows.audit import audit_record, audit_transition
from workflows.flows import finish_task, lock_process
from workflows.guards import require_perm, require_state
from workflows.models import County, User
from workflows.permissions import (
    COORDINATE_COUNTY,
)


def training_batch_create(
    *, county: County, year: int, name: str, starts_on: datetime.date, ends_on: datetime.date, content: str, by: User
) -> TrainingBatch:
    """The org dept opens a pre-service training batch (R-S8)."""
    require_perm(by, COORDINATE_COUNTY, county, action="training.create")
    if ends_on < starts_on:
        raise ValidationError(_("结业日期不能早于开班日期。"))
    with transaction.atomic():
        batch = TrainingBatch.objects.create(
            county=county, year=year, name=name.strip(), starts_on=starts_on, ends_on=ends_on, content=content.strip()
        )
        audit_record(action="training.create", actor=by, obj=batch)
    return batch


def dispatch_enrol(*, dispatches: Iterable[Dispatch], batch: TrainingBatch, by: User) -> list[Dispatch]:
    """The org dept places approved cadres in a training batch (R-S8)."""
    require_perm(by, COORDINATE_COUNTY, batch.county, action="training.enrol")
    done = []
    with transaction.atomic():
        for dispatch in dispatches:
            dispatch = _locked(dispatch)
            require_state(dispatch, dispatch.enrol)
            if dispatch.unit.county_id != batch.county_id:
                raise ValidationError(
                    _("%(name)s 不是本县的干部,不能参加本县的培训班。") % {"name": dispatch.cadre.name}
                )
            before = dispatch.state
            dispatch.enrol(batch=batch)
            dispatch.save()
            audit_transition(dispatch, action="dispatch.enrol", by=by, before=before, data={"batch": batch.name})
            done.append(dispatch)
    return done


def dispatch_complete_training(
    *, dispatches: Iterable[Dispatch], completed_on: datetime.date, by: User
) -> list[Dispatch]:
    """The org dept records that cadres completed pre-service training (R-S8)."""
    dispatches = list(dispatches)
    for dispatch in dispatches:
        require_perm(by, COORDINATE_COUNTY, dispatch.unit.county, action="training.complete")
    today = timezone.localdate()
    if completed_on > today:
        raise ValidationError(
            _("结业日期 %(day)s 晚于今天(%(today)s):培训结束后才能记录结业。")
            % {"day": completed_on.isoformat(), "today": today.isoformat()}
        )
    done = []
    with transaction.atomic():
        for dispatch in dispatches:
            lock_process(dispatch)
            dispatch = _locked(dispatch)
            if dispatch.state != DispatchState.TRAINING:
                raise ValidationError(_("%(name)s 不在岗前培训中。") % {"name": dispatch.cadre.name})
            if dispatch.training_batch and completed_on < dispatch.training_batch.starts_on:
                raise ValidationError(_("结业日期不能早于开班日期。"))
            dispatch.training_completed_on = completed_on
            dispatch.save(update_fields=["training_completed_on"])
            audit_record(
                action="dispatch.training_completed",
                actor=by,
                obj=dispatch,
                data={"completed_on": str(completed_on), "cadre": dispatch.cadre.name},
            )
            finish_task(dispatch, "training")
            done.append(dispatch)
    return done
