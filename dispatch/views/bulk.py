"""Nominations approved many at once by the unit head, each through the approval service (R-S1, R-S3, R-S4)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import selectors, services
from dispatch.models import Dispatch
from workflows.bulk import BulkResult
from workflows.bulkviews import BulkPage, BulkRow
from workflows.flows import flows_of, open_tasks_for
from workflows.permissions import APPROVE_NOMINATIONS, granted_tier_pks
from workflows.text import join_list


def approves_nominations(user) -> bool:
    """Whether the user heads a unit, and so approves its nominations."""
    return bool(granted_tier_pks(user, {"unit": APPROVE_NOMINATIONS})["unit"])


def bulk_entry(user) -> dict | None:
    """The home page's link to this page, with how many nominations wait, when at least two do."""
    if not approves_nominations(user):
        return None
    n = selectors.nominations_awaiting(user).count()
    if n < 2:
        return None
    return {"label": _("批量审批推荐"), "url": reverse("dispatch:bulk_approve"), "count": n}


class NominationsBulkView(BulkPage):
    """The unit head approves several nominations at once; each is its own approval, as on its task page (R-S1)."""

    area = "dispatch"
    title = gettext_lazy("批量审批推荐")
    intro = gettext_lazy(
        "勾选后一并同意选派,每项单独记录。后备干部、重点培养对象优先审批;本单位尚有后备干部等待审批时,"
        "其他干部的推荐不能批量批准,请在单项页面查看提示后决定。不同意须写明理由,请在单项页面办理。"
    )
    columns = [gettext_lazy("干部"), gettext_lazy("派出单位"), gettext_lazy("驻点村"), gettext_lazy("推荐说明")]
    submit_label = gettext_lazy("同意选派所选干部")
    comment_label = gettext_lazy("审批意见(每项相同,可不填)")
    empty_text = gettext_lazy("暂无等待您审批的推荐。")

    def load(self, request, *args, **kwargs) -> None:
        if not approves_nominations(request.user):
            raise PermissionDenied(_("只有单位主要领导可以审批推荐。"))

    def rows(self) -> list[BulkRow]:
        user = self.request.user
        tasks = {int(t.process.artifact_object_id): t.execute_url for t in open_tasks_for(user, flows_of(Dispatch))}
        rows = []
        for d in selectors.nominations_awaiting(user):
            tags = [
                str(t) for t, on in ((_("后备"), d.cadre.is_reserve), (_("重点培养"), d.cadre.is_key_cultivation)) if on
            ]
            note = ""
            if d.exclusion:
                note = _("已记录为不宜选派(%(why)s),不能批准") % {"why": d.get_exclusion_display()}
            else:
                waiting = selectors.waiting_reserve_candidates(d)
                if waiting:
                    note = _("后备干部 %(names)s 尚待审批:须在单项页面决定") % {
                        "names": join_list(w.cadre.name for w in waiting)
                    }
            village = f"{d.village.township.name} · {d.village.name}"
            rows.append(
                BulkRow(
                    pk=d.pk,
                    cells=[d.cadre.name, d.unit.name, village, d.nomination_note],
                    tags=tags,
                    note=note,
                    url=tasks.get(d.pk, ""),
                )
            )
        return rows

    def run(self, pks: list[int], comment: str) -> BulkResult:
        return services.dispatch_approve_many(pks=pks, by=self.request.user, comment=comment)
