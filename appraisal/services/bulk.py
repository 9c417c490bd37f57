"""Grades finalised many at once where the org dept keeps the proposal: each through `appraisal_finalise` (R-A2)."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from appraisal.models import Appraisal, AppraisalRound, AppraisalState, Grade
from appraisal.services._base import _locked
from appraisal.services.grades import appraisal_finalise
from workflows.bulk import BulkResult, already_handled, run_each
from workflows.guards import require_perm
from workflows.models import User
from workflows.permissions import COORDINATE_COUNTY


def appraisal_finalise_many(*, pks: Iterable[int], by: User) -> BulkResult:
    """Finalise each selected appraisal at its proposed grade, each in its own transaction (R-A2, R-A2a, R-A3).

    Keeping the proposal needs no reason, and none is recorded; a change is made on the appraisal's own page.
    An excellent grade past the round's share (R-A2a) is refused with the service's message; an appraisal outside
    the user's county is refused (403, audited); one finalised, reopened or cancelled meanwhile is skipped and said
    so.
    """

    def load(wanted: list[int]) -> dict[int, Appraisal]:
        return Appraisal.objects.select_related("round__county", "dispatch__cadre", "dispatch__unit").in_bulk(wanted)

    def act(appraisal: Appraisal) -> str:
        require_perm(by, COORDINATE_COUNTY, appraisal, action="appraisal.finalise")
        # The round row first, then the appraisal's: the order `appraisal_finalise` takes them in.
        AppraisalRound.objects.select_for_update().filter(pk=appraisal.round_id).exists()
        appraisal = _locked(appraisal)
        if appraisal.state != AppraisalState.PROPOSED:
            raise already_handled(appraisal.get_state_display())
        appraisal = appraisal_finalise(appraisal=appraisal, grade=appraisal.proposed_grade, by=by)
        return _("已审定为「%(grade)s」") % {"grade": Grade(appraisal.final_grade).label}

    return run_each(pks, load=load, act=act, label=_label)


def _label(appraisal: Appraisal) -> str:
    return _("%(name)s(%(unit)s)") % {"name": appraisal.dispatch.cadre.name, "unit": appraisal.dispatch.unit.name}
