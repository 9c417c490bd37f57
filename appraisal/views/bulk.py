"""Grades finalised many at once where the org dept keeps the proposal, one round at a time (R-A2, R-A2a)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal import selectors, services
from appraisal.models import Appraisal, AppraisalRound, Grade
from appraisal.views.org import AppraisalPage
from workflows.bulk import BulkResult
from workflows.bulkviews import BulkPage, BulkRow
from workflows.flows import flows_of, open_tasks_for
from workflows.guards import require_perm
from workflows.permissions import COORDINATE_COUNTY, VIEW_PERM_OF_TIER, granted_tier_pks


def bulk_entry(user) -> dict | None:
    """The home page's link to this page for the round with the most grades waiting, when at least two wait."""
    waiting = selectors.appraisals_awaiting_finalisation(user).values_list("round_id", flat=True)
    counts: dict[int, int] = {}
    for round_id in waiting:
        counts[round_id] = counts.get(round_id, 0) + 1
    if not counts:
        return None
    round_id, n = max(counts.items(), key=lambda item: item[1])
    if n < 2:
        return None
    return {"label": _("批量审定考评等次"), "url": reverse("appraisal:round_finalise", args=[round_id]), "count": n}


class FinaliseBulkView(BulkPage):
    """The org dept finalises several grades at once, each at its proposed grade, each through the service (R-A2)."""

    area = "appraisal"
    nav = AppraisalPage.nav
    nav_class = AppraisalPage.nav_class
    nav_label = AppraisalPage.nav_label
    nav_name = "appraisal:round_finalise"
    title = gettext_lazy("批量审定考评等次")
    intro = gettext_lazy(
        "勾选的干部按拟定等次审定,每项单独审定、单独记录,审定后驻村期结束。需要改变拟定等次的,"
        "请在该干部的审定页面办理并写明理由。优秀等次超出名额的不予审定,将列出原因。"
    )
    columns = [
        gettext_lazy("干部"),
        gettext_lazy("驻点村"),
        gettext_lazy("综合得分"),
        gettext_lazy("按分数"),
        gettext_lazy("拟定等次"),
        gettext_lazy("说明"),
    ]
    submit_label = gettext_lazy("按拟定等次审定")
    # No comment field: the finalisation page's reason is the reason for a change, and nothing changes here.
    empty_text = gettext_lazy("本次考评暂无待审定的干部。")
    round: AppraisalRound

    def load(self, request, *args, **kwargs) -> None:
        self.round = get_object_or_404(AppraisalRound.objects.select_related("county"), pk=kwargs["pk"])
        require_perm(request.user, COORDINATE_COUNTY, self.round, action="appraisal.finalise")
        self.can_coordinate = True
        self.grants = granted_tier_pks(request.user, VIEW_PERM_OF_TIER)
        self.title = f"{self.title} · {self.round.title}"

    @property
    def shows_ballots(self) -> bool:
        return True

    def rows(self) -> list[BulkRow]:
        user = self.request.user
        tasks = {int(t.process.artifact_object_id): t.execute_url for t in open_tasks_for(user, flows_of(Appraisal))}
        shares: dict[str, tuple[int, int | None]] = {}
        rows = []
        for a in selectors.appraisals_awaiting_finalisation(user).filter(round=self.round):
            note = ""
            if a.proposed_grade == Grade.EXCELLENT:
                if a.category not in shares:
                    shares[a.category] = services.excellent_share(round_=self.round, category=a.category)
                finalised, allowed = shares[a.category]
                if allowed is not None:
                    note = _("「%(category)s」优秀名额 %(allowed)s 名,已审定 %(n)s 名") % {
                        "category": a.get_category_display(),
                        "allowed": allowed,
                        "n": finalised,
                    }
            rows.append(
                BulkRow(
                    pk=a.pk,
                    cells=[
                        f"{a.dispatch.cadre.name}({a.dispatch.unit.name})",
                        f"{a.dispatch.village.township.name} · {a.dispatch.village.name}",
                        a.combined_score,
                        a.get_computed_grade_display(),
                        a.get_proposed_grade_display(),
                        a.proposal_note,
                    ],
                    note=note,
                    url=tasks.get(a.pk, ""),
                )
            )
        return rows

    def run(self, pks: list[int], comment: str) -> BulkResult:
        return services.appraisal_finalise_many(pks=pks, by=self.request.user)
