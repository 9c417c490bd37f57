"""Arrangements before arrival and the stationing itself (R-S7, R-S9)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dispatch.models import (
    Dispatch,
    DispatchState,
)
from dispatch.services._common import _locked, term_end
from workflows.audit import audit_record, audit_transition
from workflows.flows import complete_task
from workflows.guards import require_perm, require_state
from workflows.models import User
from workflows.permissions import (
    MANAGE_STATIONED,
    NOMINATE_CADRES,
)
from workflows.text import join_list


def dispatch_record_arrangements(
    *,
    dispatch: Dispatch,
    by: User,
    insurer: str,
    insurance_policy_no: str,
    insurance_starts_on: datetime.date,
    insurance_ends_on: datetime.date,
    party_relation_transferred_on: datetime.date,
    living_allowance_yuan: Decimal,
) -> Dispatch:
    """The unit records insurance, party-relation transfer and living allowance (R-S9)."""
    require_perm(by, NOMINATE_CADRES, dispatch.unit, action="dispatch.arrangements")
    if insurance_ends_on < insurance_starts_on:
        raise ValidationError(_("保险止期不能早于起期。"))
    if living_allowance_yuan is None or living_allowance_yuan <= 0:
        raise ValidationError(_("生活补助应大于 0 元。"))
    with transaction.atomic():
        dispatch = _locked(dispatch)
        if dispatch.state not in (DispatchState.APPROVED, DispatchState.TRAINING):
            raise ValidationError(_("只有已批准、尚未到村的干部才能登记这些保障事项。"))
        dispatch.insurer, dispatch.insurance_policy_no = insurer.strip(), insurance_policy_no.strip()
        dispatch.insurance_starts_on, dispatch.insurance_ends_on = insurance_starts_on, insurance_ends_on
        dispatch.party_relation_transferred_on = party_relation_transferred_on
        dispatch.living_allowance_yuan = living_allowance_yuan
        dispatch.save()
        audit_record(
            action="dispatch.arrangements",
            actor=by,
            obj=dispatch,
            data={
                "insurer": dispatch.insurer,
                "policy": dispatch.insurance_policy_no,
                "insured": f"{insurance_starts_on}–{insurance_ends_on}",
                "party_relation": str(party_relation_transferred_on),
                "allowance": str(living_allowance_yuan),
            },
        )
        complete_task(dispatch, "arrange", by)
    return dispatch


def dispatch_station(*, dispatch: Dispatch, by: User, on: datetime.date) -> Dispatch:
    """The township takes in the cadre: the term starts and its end is set (R-S7, R-S8, R-S9)."""
    require_perm(by, MANAGE_STATIONED, dispatch.village.township, action="dispatch.station")
    with transaction.atomic():
        dispatch = _locked(dispatch)
        missing = dispatch.missing_stationing_items()
        if not dispatch.has_completed_training():
            missing.insert(0, _("岗前培训结业"))
        require_state(dispatch, dispatch.station, _("尚不能到村:还缺 %(items)s。") % {"items": join_list(missing)})
        # The station transition's conditions require the insurance period, so both dates are set here.
        assert dispatch.insurance_starts_on is not None and dispatch.insurance_ends_on is not None
        if dispatch.insurance_ends_on < on or dispatch.insurance_starts_on > on:
            raise ValidationError(_("到村日期不在意外伤害保险期内。"))
        before = dispatch.state
        dispatch.station(on=on, term_ends_on=term_end(on))
        dispatch.save()
        audit_transition(
            dispatch,
            action="dispatch.station",
            by=by,
            before=before,
            data={"stationed_on": str(on), "term_ends_on": str(dispatch.term_ends_on)},
        )
        complete_task(dispatch, "station", by)
    return dispatch
