"""Task pages of the appraisal flow: the township's and the unit's scores, the org dept's finalisation (R-A1, R-A2)."""

from __future__ import annotations

from django.utils.translation import gettext

from appraisal import forms, selectors, services
from appraisal.models import Grade
from workflows.taskviews import TaskFormView


class _AppraisalTaskView(TaskFormView):
    template_name = "appraisal/task.html"

    def get_context_data(self, **kwargs):
        appraisal = self.artifact
        return super().get_context_data(
            appraisal=appraisal, record=selectors.term_summary(appraisal.dispatch), **kwargs
        )


class _ScoreTaskView(_AppraisalTaskView):
    form_class = forms.ScoreForm
    service = None

    def perform(self, form):
        appraisal = self.service(
            appraisal=self.artifact,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            by=self.request.user,
        )
        self.success_message = gettext("已为 %(name)s 评分。") % {"name": appraisal.dispatch.cadre.name}
        return appraisal


class TownshipScoreTaskView(_ScoreTaskView):
    """The township committee scores a cadre stationed in its township (R-A1)."""

    service = staticmethod(services.township_score_enter)


class UnitScoreTaskView(_ScoreTaskView):
    """The dispatching unit scores its own cadre (R-A1)."""

    service = staticmethod(services.unit_score_enter)


class FinaliseTaskView(_AppraisalTaskView):
    """The org dept finalises the grade, seeing the three parts side by side; a change needs a reason (R-A2)."""

    form_class = forms.FinaliseForm
    template_name = "appraisal/finalise_task.html"

    def get_initial(self):
        return {"grade": self.artifact.proposed_grade}

    def get_context_data(self, **kwargs):
        appraisal = self.artifact
        finalised, allowed = services.excellent_share(round_=appraisal.round, category=appraisal.category)
        return super().get_context_data(
            excellent_finalised=finalised, excellent_allowed=allowed, vote_rows=selectors.vote_rows(appraisal), **kwargs
        )

    def perform(self, form):
        appraisal = services.appraisal_finalise(
            appraisal=self.artifact,
            grade=form.cleaned_data["grade"],
            reason=form.cleaned_data["reason"],
            by=self.request.user,
        )
        self.success_message = gettext("已审定 %(name)s 为「%(grade)s」。") % {
            "name": appraisal.dispatch.cadre.name,
            "grade": Grade(appraisal.final_grade).label,
        }
        return appraisal
