"""The township's and the unit's scores (R-A1)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import Appraisal
from appraisal.services._base import _locked
from workflows.audit import audit_transition
from workflows.flows import complete_task
from workflows.guards import require_perm, require_state
from workflows.models import User
from workflows.permissions import APPRAISE_AS_TOWNSHIP, APPRAISE_AS_UNIT

# --- Scores (R-A1) ---------------------------------------------------------------------------------


def _check_score(score, comment: str) -> tuple[int, str]:
    if score is None or isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError(_("评分须为 0 到 100 之间的整数。"))
    if not (comment or "").strip():
        raise ValidationError(_("请填写评语。"))
    return score, comment.strip()


#: Who scores, by the flow node that asks them: permission, transition, and the message when already scored.
_SCORERS = {
    "score_township": (APPRAISE_AS_TOWNSHIP, "score_as_township", gettext_lazy("乡镇已经评过分。")),
    "score_unit": (APPRAISE_AS_UNIT, "score_as_unit", gettext_lazy("单位已经评过分。")),
}


def _score_enter(node: str, *, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    perm, transition, already = _SCORERS[node]
    score, comment = _check_score(score, comment)
    # Outside the transaction, so that the audit record of a refusal is not rolled back with it (R-X1).
    require_perm(by, perm, appraisal, action=f"appraisal.{node}")
    with transaction.atomic():
        appraisal = _locked(appraisal)
        require_state(appraisal, getattr(appraisal, transition), str(already))
        before = appraisal.state
        getattr(appraisal, transition)(score=score, comment=comment, by=by, at=timezone.now())
        appraisal.save()
        audit_transition(
            appraisal, action=f"appraisal.{node}", by=by, before=before, reason=comment, data={"score": score}
        )
        complete_task(appraisal, node, by)
    return appraisal


def township_score_enter(*, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    """The township committee scores a cadre stationed in its township, once (R-A1)."""
    return _score_enter("score_township", appraisal=appraisal, score=score, comment=comment, by=by)


def unit_score_enter(*, appraisal: Appraisal, score: int, comment: str, by: User) -> Appraisal:
    """The dispatching unit scores its own cadre, once (R-A1)."""
    return _score_enter("score_unit", appraisal=appraisal, score=score, comment=comment, by=by)
