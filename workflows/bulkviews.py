"""The bulk pages' frame: a list with checkboxes, a confirmation, then what was done and what was refused and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from workflows.bulk import MAX_ITEMS, BulkResult, parse_pks
from workflows.frame import AreaPage

#: The longest comment kept; the single task pages' comment fields take as much.
MAX_COMMENT = 2000


@dataclass
class BulkRow:
    """One item awaiting the user's decision: its id, the cells shown, and a note the user should read first."""

    pk: int
    cells: list[Any]
    tags: list[str] = field(default_factory=list)
    note: str = ""
    url: str = ""


class BulkPage(AreaPage, View):
    """A page acting on many items at once through `run`; each subclass says what its items are.

    GET lists the items awaiting the user's decision, inside their tiers only (`rows`). POST `review` shows the
    selection for confirmation; POST `confirm` runs the bulk service, keeps its result for one showing and
    redirects back to the list, where it is shown above what still waits.
    """

    template_name = "workflows/bulk.html"
    title: Any = ""
    intro: Any = ""
    columns: list[Any] = []
    #: The button's words, such as 批准所选.
    submit_label: Any = ""
    #: The comment field's label; empty for a page without one.
    comment_label: Any = ""
    empty_text: Any = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.load(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, request, *args, **kwargs) -> None:
        """Find what the page is about; raise PermissionDenied when the user decides nothing of the kind."""

    def rows(self) -> list[BulkRow]:
        raise NotImplementedError

    def run(self, pks: list[int], comment: str) -> BulkResult:
        raise NotImplementedError

    @property
    def result_key(self) -> str:
        return f"bulk_result:{self.request.path}"

    def get(self, request, *args, **kwargs):
        result = request.session.pop(self.result_key, None)
        return self.render({"result": BulkResult.from_dict(result) if result else None})

    def post(self, request, *args, **kwargs):
        comment = request.POST.get("comment", "").strip()[:MAX_COMMENT]
        pks = parse_pks(request.POST.getlist("pk"))
        error = ""
        if pks is None:
            error = _("所选事项无效,请重新勾选。")
        elif not pks:
            error = _("请至少勾选一项。")
        elif len(pks) > MAX_ITEMS:
            error = _("一次最多办理 %(n)s 项,请分批勾选。") % {"n": MAX_ITEMS}
        if error:
            return self.render({"errors": [error], "comment": comment}, status=400)
        assert pks is not None
        if request.POST.get("action") != "confirm":
            return self.review(pks, comment)
        result = self.run(pks, comment)
        request.session[self.result_key] = result.as_dict()
        if result.done:
            messages.success(
                request, ngettext("已办理 %(n)s 项。", "已办理 %(n)s 项。", len(result.done)) % {"n": len(result.done)}
            )
        if result.refused:
            messages.warning(
                request,
                ngettext("%(n)s 项未办理,原因见下方。", "%(n)s 项未办理,原因见下方。", len(result.refused))
                % {"n": len(result.refused)},
            )
        return HttpResponseRedirect(request.get_full_path())

    def review(self, pks: list[int], comment: str):
        """The confirmation: the selected items still listed, and how many selected are no longer there."""
        by_pk = {row.pk: row for row in self.rows()}
        selected = [by_pk[pk] for pk in pks if pk in by_pk]
        unlisted = len(pks) - len(selected)
        return self.render(
            {"confirming": True, "selected": selected, "pks": pks, "unlisted": unlisted, "comment": comment}
        )

    def render(self, context: dict, status: int = 200) -> TemplateResponse:
        context = {
            "page_title": self.title,
            "title": self.title,
            "intro": self.intro,
            "columns": self.columns,
            "submit_label": self.submit_label,
            "comment_label": self.comment_label,
            "empty_text": self.empty_text or _("暂无等待您办理的事项。"),
            "max_comment": MAX_COMMENT,
            "back_url": self.request.get_full_path(),
            **self.frame_context(context),
            **context,
        }
        if not context.get("confirming"):
            context["rows"] = self.rows()
        return TemplateResponse(self.request, self.template_name, context, status=status)
