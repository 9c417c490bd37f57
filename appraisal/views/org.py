"""The appraisal's office pages by tier: rounds and their progress, the score and finalisation queues, ballot codes
and paper tallies (R-A1, R-A2, R-A5, R-O4)."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from appraisal import ballots, exports, forms, pdf, selectors, services
from appraisal.models import (
    CANCELLABLE,
    Appraisal,
    AppraisalRound,
    AppraisalState,
    BallotBatch,
    Grade,
    PaperSession,
    RoundState,
)
from workflows.exports import export_response, file_name, wanted_format
from workflows.flows import flows_of, open_tasks_for
from workflows.frame import AreaPage, NavLink
from workflows.guards import require_perm
from workflows.models import Cadre, County, Village
from workflows.permissions import (
    APPRAISE_AS_TOWNSHIP,
    COORDINATE_COUNTY,
    VIEW_PERM_OF_TIER,
    acting_on,
    granted_tier_pks,
    may,
    may_view,
)
from workflows.policy import policy
from workflows.taskviews import add_service_errors
from workflows.views.tiers import LandingRedirectView

#: The close page's field holding the reason a village gave no votes, followed by the appraisal's id (R-A1).
NO_VOTES_FIELD = "no_votes_reason_"


def _task_links(user) -> dict[int, list[dict]]:
    """The user's open appraisal tasks, by appraisal: where the queues link a row to what is to be done."""
    links: dict[int, list[dict]] = defaultdict(list)
    for task in open_tasks_for(user, flows_of(Appraisal)):
        links[int(task.process.artifact_object_id)].append(
            {"title": task.flow_task.task_title, "url": task.execute_url}
        )
    return links


def _vote_path() -> str:
    """Where a villager votes; the public pages may not be mounted yet."""
    try:
        return reverse("vote:ballot")
    except NoReverseMatch:
        return "/vote/"


def _errors_to_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _round_args(page) -> list:
    return [page.round.pk]


def _in_round(page) -> bool:
    return page.round is not None


class AppraisalPage(AreaPage, View):
    """The frame of these pages: for people holding a post, with links within a round and messages kept on the page."""

    area = "appraisal"
    nav_class = "vc-apnav"
    nav_label = gettext_lazy("年度考评")
    nav = [
        NavLink(
            gettext_lazy("考评轮次"), "appraisal:rounds", current=lambda page, context, url: page.request.path == url
        ),
        NavLink(
            gettext_lazy("干部能否提拔查询"),
            "appraisal:promotion",
            visible=lambda page: bool(page.grants["county"]),
            current=lambda page, context, url: False,
            testid="promotion-link",
        ),
        NavLink(lambda page: page.round.title, visible=_in_round),
        NavLink(gettext_lazy("考评进展"), "appraisal:round_detail", visible=_in_round, args=_round_args),
        NavLink(
            lambda page: _("干部名单与审定") if page.grants["county"] else _("干部评分"),
            "appraisal:round_appraisals",
            visible=_in_round,
            args=_round_args,
        ),
        NavLink(
            gettext_lazy("批量审定"),
            "appraisal:round_finalise",
            visible=lambda page: page.round is not None and getattr(page, "can_coordinate", False),
            args=_round_args,
        ),
        NavLink(
            gettext_lazy("村民评议投票码"),
            "appraisal:round_ballots",
            visible=lambda page: page.round is not None and page.shows_ballots,
            args=_round_args,
        ),
        NavLink(gettext_lazy("考评结果汇总表"), "appraisal:round_report", visible=_in_round, args=_round_args),
    ]

    template_name = ""
    #: Which link of the round's row of links this page is.
    nav_name = ""
    round: AppraisalRound | None = None

    def link_is_current(self, link, context, url):
        if link.current is not None:
            return link.current(self, context, url)
        return link.url_name == f"appraisal:{self.nav_name}"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.grants = granted_tier_pks(request.user, VIEW_PERM_OF_TIER)
        if not self.admits(request.user, self.grants):
            raise PermissionDenied(_("您无权查看考评。"))
        self.load(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def admits(user, grants: dict | None = None) -> bool:
        """Whether these pages open to the user at all: to anyone holding a tier (R-O4)."""
        grants = granted_tier_pks(user, VIEW_PERM_OF_TIER) if grants is None else grants
        return any(grants.values())

    def load(self, request, *args, **kwargs) -> None:
        """Find what the page is about; raise PermissionDenied outside the user's tier, Http404 for no such thing."""

    @property
    def shows_ballots(self) -> bool:
        """Ballot codes are the org dept's and the townships' business; units have no page of them."""
        return bool(self.grants["county"] or self.grants["township"])

    def render(self, context: dict, status: int = 200) -> TemplateResponse:
        context = {
            "round": self.round,
            "county_reader": bool(self.grants["county"]),
            "shows_ballots": self.shows_ballots,
            **self.frame_context(context),
            **context,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)


class RoundPage(AppraisalPage):
    """A page about one round the user may see: the county's readers all of it, the tiers their cadres' rows."""

    def load(self, request, *args, **kwargs) -> None:
        self.round = get_object_or_404(AppraisalRound.objects.select_related("county"), pk=kwargs["pk"])
        if not selectors.rounds_visible_to(request.user).filter(pk=self.round.pk).exists():
            raise PermissionDenied(_("您无权查看该次考评。"))
        self.can_coordinate = may(request.user, COORDINATE_COUNTY, self.round)


# --- Rounds (R-A1) ---------------------------------------------------------------------------------


class RoundsView(AppraisalPage):
    """The rounds the user may see; the org dept opens one for the cadres whose term ends in a window (R-A1)."""

    template_name = "appraisal/rounds.html"

    def load(self, request, *args, **kwargs) -> None:
        counties = acting_on(request.user, COORDINATE_COUNTY, County.objects.order_by("code"))
        wanted = request.GET.get("county", "")
        self.county = (counties.filter(pk=wanted) if wanted.isdigit() else counties).first()
        if request.method == "POST" and self.county is None:
            raise PermissionDenied(_("只有县委组织部可以发起考评。"))

    def get(self, request, *args, **kwargs):
        form, preview = None, None
        if self.county is not None:
            if "term_ends_from" in request.GET:
                form = forms.RoundOpenForm(request.GET)
                if form.is_valid():
                    data = form.cleaned_data
                    preview = list(
                        services.round_candidates(
                            county=self.county, term_ends_from=data["term_ends_from"], term_ends_to=data["term_ends_to"]
                        )
                    )
            else:
                form = forms.RoundOpenForm()
        return self.render(self.context(form=form, preview=preview))

    def post(self, request, *args, **kwargs):
        form = forms.RoundOpenForm(request.POST)
        if form.is_valid():
            try:
                round_ = services.round_open(county=self.county, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已发起「%(title)s」,列入考评的驻村干部 %(n)s 名。")
                    % {"title": round_.title, "n": round_.appraisals.count()},
                )
                return HttpResponseRedirect(reverse("appraisal:round_detail", args=[round_.pk]))
        return self.render(self.context(form=form, preview=None))

    def context(self, **kwargs) -> dict:
        user = self.request.user
        rounds = list(selectors.rounds_visible_to(user))
        counts = {
            row["round_id"]: row
            for row in selectors.appraisals_visible_to(user)
            .filter(round__in=[r.pk for r in rounds])
            .values("round_id")
            .annotate(
                cadres=Count("pk", filter=~Q(state=AppraisalState.CANCELLED)),
                finalised=Count("pk", filter=Q(state=AppraisalState.FINALISED)),
            )
            .order_by()
        }
        for round_ in rounds:
            row = counts.get(round_.pk, {})
            round_.cadres, round_.finalised = row.get("cadres", 0), row.get("finalised", 0)
        return {"rounds": rounds, "county": self.county, **kwargs}


class RoundDetailView(RoundPage):
    """A round's progress per township, the grades finalised so far, and the button closing the vote (R-A1, R-A5)."""

    template_name = "appraisal/round_detail.html"
    nav_name = "round_detail"

    def get(self, request, *args, **kwargs):
        progress = selectors.round_progress(self.round, selectors.appraisals_visible_to(request.user))
        grades = [{"grade": grade, "label": Grade(grade).label, "n": n} for grade, n in progress.grades.items()]
        return self.render(
            {
                "progress": progress,
                "total": progress.total,
                "grades": grades,
                "graded": sum(g["n"] for g in grades),
                "can_close": self.can_coordinate and self.round.is_open,
            }
        )


class RoundCloseView(RoundPage):
    """The org dept closes the villagers' vote after a confirmation; scored cadres are proposed a grade (R-A5)."""

    template_name = "appraisal/round_close.html"
    nav_name = "round_detail"

    def load(self, request, *args, **kwargs) -> None:
        super().load(request, *args, **kwargs)
        require_perm(request.user, COORDINATE_COUNTY, self.round, action="appraisal_round.close")

    def get(self, request, *args, **kwargs):
        if not self.round.is_open:
            messages.warning(request, _("本次考评的村民评议已经结束。"))
            return HttpResponseRedirect(reverse("appraisal:round_detail", args=[self.round.pk]))
        return self.render(self.context())

    def post(self, request, *args, **kwargs):
        silent = list(selectors.appraisals_without_votes(self.round)) if self.round.is_open else []
        reasons = {a.pk: request.POST.get(f"{NO_VOTES_FIELD}{a.pk}", "").strip()[:2000] for a in silent}
        if silent and request.POST.get("confirm_no_votes") != "1":
            return self.render(
                self.context(reasons=reasons, errors=[_("有村没有村民评议票:请逐村写明原因,并勾选确认后再结束评议。")]),
                status=400,
            )
        try:
            round_ = services.round_close(round_=self.round, by=request.user, no_votes_reasons=reasons)
        except ValidationError as error:
            if not AppraisalRound.objects.filter(pk=self.round.pk, state=RoundState.OPEN).exists():
                _errors_to_messages(request, error)
                return HttpResponseRedirect(reverse("appraisal:round_detail", args=[self.round.pk]))
            return self.render(self.context(reasons=reasons, errors=error.messages), status=400)
        proposed = round_.appraisals.filter(state=AppraisalState.PROPOSED).count()
        messages.success(request, _("村民评议已结束;%(n)s 名干部已拟定等次,待审定。") % {"n": proposed})
        return HttpResponseRedirect(reverse("appraisal:round_detail", args=[self.round.pk]))

    def context(self, *, reasons: dict[int, str] | None = None, errors: list[str] | None = None) -> dict:
        reasons = reasons or {}
        waiting = Q(township_score__isnull=True) | Q(unit_score__isnull=True)
        counts = self.round.appraisals.filter(state=AppraisalState.OPEN).aggregate(
            ready=Count("pk", filter=~waiting), waiting=Count("pk", filter=waiting)
        )
        without_votes = [
            {"appraisal": a, "field": f"{NO_VOTES_FIELD}{a.pk}", "reason": reasons.get(a.pk, "")}
            for a in selectors.appraisals_without_votes(self.round)
        ]
        return {**counts, "without_votes": without_votes, "errors": errors or []}


# --- The queues: scores for the tiers, finalisation for the org dept (R-A1, R-A2) -------------------


class RoundAppraisalsView(RoundPage):
    """The cadres of a round in the user's tier: a score queue for townships and units, and for the county the
    finalisation queue with the parts of each grade side by side (R-A1, R-A2)."""

    template_name = "appraisal/round_appraisals.html"
    nav_name = "round_appraisals"

    def get(self, request, *args, **kwargs):
        user = request.user
        rows = list(selectors.appraisals_visible_to(user).filter(round=self.round))
        counts = Counter(a.state for a in rows)
        state = request.GET.get("state", "")
        if state in AppraisalState.values:
            rows = [a for a in rows if a.state == state]
        else:
            state = ""
        for appraisal in rows:
            appraisal.own_township = appraisal.dispatch.village.township_id in self.grants["township"]
            appraisal.own_unit = appraisal.dispatch.unit_id in self.grants["unit"]
        fmt = wanted_format(request)
        if fmt is not None:
            return self.export(fmt, rows, state)
        links = _task_links(user)
        for appraisal in rows:
            appraisal.tasks = links.get(appraisal.pk, [])
            appraisal.can_reopen = self.can_coordinate and appraisal.state == AppraisalState.FINALISED
            appraisal.can_cancel = self.can_coordinate and appraisal.state in CANCELLABLE
        filters = [
            {"state": value, "label": label, "n": counts.get(value, 0)}
            for value, label in AppraisalState.choices
            if counts.get(value)
        ]
        return self.render(
            {
                "rows": rows,
                "state": state,
                "filters": filters,
                "total": sum(counts.values()),
                "can_coordinate": self.can_coordinate,
            }
        )

    def export(self, fmt: str, rows: list[Appraisal], state: str) -> HttpResponse:
        """The same rows as a file: the finalisation queue for the county's readers, else the score queue."""
        if self.grants["county"]:
            table, title = exports.finalisation_queue(rows), _("干部名单与审定")
        else:
            table, title = exports.score_queue(rows), _("干部评分")
        label = AppraisalState(state).label if state else ""
        return export_response(fmt, table, file_name(title, self.round.title, label, timezone.localdate()))


class _AppraisalReasonView(AppraisalPage):
    """A page with one reason field, calling one service on one appraisal as the org dept."""

    template_name = "appraisal/appraisal_reason.html"
    action = ""
    heading = ""
    submit_label = ""
    note = ""

    def load(self, request, *args, **kwargs) -> None:
        self.appraisal = get_object_or_404(
            Appraisal.objects.select_related(*selectors.APPRAISAL_RELATED), pk=kwargs["pk"]
        )
        self.round = self.appraisal.round
        require_perm(request.user, COORDINATE_COUNTY, self.appraisal, action=self.action)

    def perform(self, reason: str) -> Appraisal:
        raise NotImplementedError

    def done_message(self, appraisal: Appraisal) -> str:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.render(
            {
                "form": forms.ReasonForm(),
                "appraisal": self.appraisal,
                "heading": self.heading,
                "submit_label": self.submit_label,
                "note": self.note,
            }
        )

    def post(self, request, *args, **kwargs):
        form = forms.ReasonForm(request.POST)
        if form.is_valid():
            try:
                appraisal = self.perform(form.cleaned_data["reason"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, self.done_message(appraisal))
                return HttpResponseRedirect(reverse("appraisal:round_appraisals", args=[self.round.pk]))
        return self.render(
            {
                "form": form,
                "appraisal": self.appraisal,
                "heading": self.heading,
                "submit_label": self.submit_label,
                "note": self.note,
            }
        )


class AppraisalReopenView(_AppraisalReasonView):
    """The org dept reopens a finalised grade with a reason; it goes back to the finalisation queue (R-A2)."""

    action = "appraisal.reopen"
    heading = gettext_lazy("重新审定考评等次")
    submit_label = gettext_lazy("重新审定")
    note = gettext_lazy("已审定的等次将撤回,回到待审定状态,由县委组织部重新审定;理由记入审计记录。")

    def perform(self, reason: str) -> Appraisal:
        return services.appraisal_reopen(appraisal=self.appraisal, reason=reason, by=self.request.user)

    def done_message(self, appraisal: Appraisal) -> str:
        return _("%(name)s 的考评等次已撤回,待重新审定。") % {"name": appraisal.dispatch.cadre.name}


class AppraisalCancelView(_AppraisalReasonView):
    """The org dept takes a cadre out of the round (recalled, or listed by mistake), with a reason (R-A1)."""

    action = "appraisal.cancel"
    heading = gettext_lazy("撤销考评")
    submit_label = gettext_lazy("撤销")
    note = gettext_lazy("撤销后该干部不再参加本次考评,其待办评分和审定一并取消;理由记入审计记录。")

    def perform(self, reason: str) -> Appraisal:
        return services.appraisal_cancel(appraisal=self.appraisal, reason=reason, by=self.request.user)

    def done_message(self, appraisal: Appraisal) -> str:
        return _("已撤销 %(name)s 的考评。") % {"name": appraisal.dispatch.cadre.name}


# --- Villagers' vote: ballot codes and paper tallies (R-A5) -----------------------------------------


class RoundBallotsView(RoundPage):
    """The villages in the user's scope with a cadre appraised in the round: their batches of codes, a form to
    issue more, and the printable sheets (R-A5)."""

    template_name = "appraisal/round_ballots.html"
    nav_name = "round_ballots"

    def load(self, request, *args, **kwargs) -> None:
        super().load(request, *args, **kwargs)
        in_county = Village.objects.filter(township__county=self.round.county)
        self.issuing = acting_on(request.user, COORDINATE_COUNTY, in_county) | acting_on(
            request.user, APPRAISE_AS_TOWNSHIP, in_county
        )
        self.readable = in_county if self.round.county_id in self.grants["county"] else self.issuing
        if self.readable is self.issuing and not self.issuing.exists():
            raise PermissionDenied(_("只有县委组织部和乡镇党委可以查看投票码。"))

    def get(self, request, *args, **kwargs):
        return self.render(self.context())

    def post(self, request, *args, **kwargs):
        raw = request.POST.get("village", "")
        village = Village.objects.select_related("township").filter(pk=raw).first() if raw.isdigit() else None
        if village is None:
            raise Http404
        form = forms.BallotIssueForm(request.POST)
        if form.is_valid():
            try:
                batch = services.ballots_issue(
                    round_=self.round, village=village, count=form.cleaned_data["count"], by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已为 %(village)s 发放投票码 %(n)s 张,请下载打印投票卡。")
                    % {"village": village.name, "n": batch.count},
                )
                return HttpResponseRedirect(
                    reverse("appraisal:round_ballots", args=[self.round.pk]) + f"#village-{village.pk}"
                )
        elif not services.may_issue_ballots(request.user, village):
            raise PermissionDenied(_("只有县委组织部和本乡镇党委可以为该村发放投票码。"))
        return self.render(self.context(failed=(village.pk, form)))

    def context(self, failed: tuple[int, forms.BallotIssueForm] | None = None) -> dict:
        open_villages = self.round.appraisals.filter(state=AppraisalState.OPEN).values("dispatch__village_id")
        batch_villages = BallotBatch.objects.filter(round=self.round).values("village_id")
        villages = list(
            self.readable.filter(Q(pk__in=open_villages) | Q(pk__in=batch_villages))
            .select_related("township")
            .order_by("township__code", "code")
        )
        ids = [v.pk for v in villages]
        issuing = set(self.issuing.filter(pk__in=ids).values_list("pk", flat=True))
        cadres = defaultdict(list)
        for village_id, name, state in (
            self.round.appraisals.filter(dispatch__village_id__in=ids)
            .exclude(state=AppraisalState.CANCELLED)
            .values_list("dispatch__village_id", "dispatch__cadre__name", "state")
            .order_by("pk")
        ):
            cadres[village_id].append({"name": name, "open": state == AppraisalState.OPEN})
        batches = defaultdict(list)
        for batch in selectors.batches_of_round(self.round, ids):
            batches[batch.village_id].append(batch)
        page_errors = []
        for village in villages:
            village.cadres, village.batches = cadres[village.pk], batches[village.pk]
            village.issued = sum(b.count for b in village.batches)
            village.used = sum(b.used for b in village.batches)
            village.can_issue = self.round.is_open and village.pk in issuing and any(c["open"] for c in village.cadres)
            village.can_print = self.round.is_open and village.pk in issuing
            village.form = forms.BallotIssueForm()
            if failed and failed[0] == village.pk:
                village.form = failed[1]
        if failed and failed[0] not in ids:
            page_errors = [e for errors in failed[1].errors.values() for e in errors]
        return {
            "villages": villages,
            "page_errors": page_errors,
            "most": policy("BALLOT_CODES_MAX_PER_ISSUE"),
            "vote_address": (settings.PUBLIC_BASE_URL or self.request.build_absolute_uri("/").rstrip("/"))
            + _vote_path(),
        }


class BatchPdfView(AppraisalPage):
    """A batch's unused codes as a sheet of slips to print and cut (R-A5); printing is audited by the service."""

    def get(self, request, pk: int, *args, **kwargs):
        batch = get_object_or_404(BallotBatch.objects.select_related("round__county", "village__township"), pk=pk)
        back = reverse("appraisal:round_ballots", args=[batch.round_id]) + f"#village-{batch.village_id}"
        try:
            pdf.chinese_font()
        except pdf.PdfFontMissing as missing:
            messages.error(request, str(missing))
            return HttpResponseRedirect(back)
        try:
            codes = services.ballot_sheet_codes(batch=batch, by=request.user)
        except ValidationError as error:
            _errors_to_messages(request, error)
            return HttpResponseRedirect(back)
        if not codes:
            messages.warning(request, _("该批投票码已全部使用,无需打印。"))
            return HttpResponseRedirect(back)
        village, round_ = batch.village, batch.round
        cadres = tuple(
            round_.appraisals.filter(dispatch__village=village, state=AppraisalState.OPEN)
            .order_by("pk")
            .values_list("dispatch__cadre__name", flat=True)
        )
        base = settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")
        vote_path = _vote_path()
        slips = [
            pdf.Slip(
                code=ballots.formatted(code),
                url=f"{base}{vote_path}?c={code}",
                village=village.name,
                township=village.township.name,
                round_title=round_.title,
                cadres=cadres,
            )
            for code in codes
        ]
        title = _("%(round)s · %(township)s%(village)s 村民评议投票卡") % {
            "round": round_.title,
            "township": village.township.name,
            "village": village.name,
        }
        try:
            content = pdf.ballot_sheet_pdf(title=title, slips=slips, vote_address=f"{base}{vote_path}")
        except pdf.PdfFontMissing as missing:
            messages.error(request, str(missing))
            return HttpResponseRedirect(back)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="ballots-{village.code}-{batch.pk}.pdf"'
        return response


class PaperSessionsView(AppraisalPage):
    """The paper ballot sessions of one cadre's appraisal: the township enters and voids them while the vote is
    open; whoever may read the appraisal reads them (R-A5)."""

    template_name = "appraisal/paper_sessions.html"
    nav_name = "round_appraisals"

    def load(self, request, *args, **kwargs) -> None:
        self.appraisal = get_object_or_404(
            Appraisal.objects.select_related(*selectors.APPRAISAL_RELATED), pk=kwargs["pk"]
        )
        if not may_view(request.user, self.appraisal):
            raise PermissionDenied(_("您无权查看该干部的考评。"))
        self.round = self.appraisal.round
        self.may_enter = may(request.user, APPRAISE_AS_TOWNSHIP, self.appraisal)
        if request.method == "POST" and not self.may_enter:
            require_perm(request.user, APPRAISE_AS_TOWNSHIP, self.appraisal, action="paper_session.enter")

    def get(self, request, *args, **kwargs):
        return self.render(self.context(form=forms.PaperSessionForm(initial={"held_on": timezone.localdate()})))

    def post(self, request, *args, **kwargs):
        back = HttpResponseRedirect(reverse("appraisal:paper_sessions", args=[self.appraisal.pk]))
        if request.POST.get("action") == "void":
            raw = request.POST.get("session", "")
            session = get_object_or_404(PaperSession, pk=raw, appraisal=self.appraisal) if raw.isdigit() else None
            if session is None:
                raise Http404
            void = forms.ReasonForm(request.POST)
            if not void.is_valid():
                messages.error(request, _("请填写作废理由。"))
                return back
            try:
                services.paper_session_void(session=session, reason=void.cleaned_data["reason"], by=request.user)
            except ValidationError as error:
                _errors_to_messages(request, error)
            else:
                messages.success(
                    request,
                    _("已作废 %(date)s 的计票(%(n)s 票)。")
                    % {"date": session.held_on.isoformat(), "n": session.ballots},
                )
            return back
        form = forms.PaperSessionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                session = services.paper_session_enter(
                    appraisal=self.appraisal,
                    held_on=data["held_on"],
                    excellent=data["excellent"],
                    competent=data["competent"],
                    basically_competent=data["basically_competent"],
                    incompetent=data["incompetent"],
                    invalid=data["invalid"],
                    ballots_collected=data["ballots"],
                    note=data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已录入 %(date)s 现场评议计票,收回 %(n)s 票。")
                    % {"date": session.held_on.isoformat(), "n": session.ballots},
                )
                return back
        return self.render(self.context(form=form))

    def context(self, form) -> dict:
        sessions = list(self.appraisal.paper_sessions.select_related("entered_by", "voided_by"))
        counted = [s for s in sessions if s.voided_at is None]
        totals = {
            name: sum(getattr(s, name) for s in counted)
            for name in ("ballots", "excellent", "competent", "basically_competent", "incompetent", "invalid")
        }
        editable = self.may_enter and self.round.is_open and self.appraisal.state == AppraisalState.OPEN
        return {
            "appraisal": self.appraisal,
            "sessions": sessions,
            "totals": totals,
            "editable": editable,
            "form": form if editable else None,
        }


class IndexRedirectView(LandingRedirectView):
    """Those holding a tier to the rounds; a cadre to their own record (R-A4); nobody else has a page here."""

    refusal = gettext_lazy("您无权查看考评。")

    @staticmethod
    def landing(user) -> str | None:
        if AppraisalPage.admits(user):
            return "appraisal:rounds"
        if user.is_authenticated and Cadre.objects.filter(user=user).exists():
            return "appraisal:my_record"
        return None
