"""The villagers' ballot at /vote/: no account, a one-time code, one secret vote per code (R-A5).

Whatever makes a code unusable (unknown, used, the vote closed, a tampered ballot), the answer is the same page
with the same status and words, so that trying codes tells nothing; each such answer counts against the address,
and an address with too many is turned away for a while. Good codes never count, so a village meeting voting
from one network is never slowed down. The code itself is never logged, audited or stored.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views import View
from django.views.decorators.cache import never_cache
from django_ratelimit.core import get_usage, is_ratelimited

from appraisal import ballots, services
from appraisal.forms import BallotCodeForm
from appraisal.models import Appraisal, BallotBatch, Grade

RATE_GROUP = "ballot"
GRADE_FIELD = "grade_"


def _limit(request: HttpRequest, *, increment: bool) -> dict | None:
    return get_usage(request, group=RATE_GROUP, key="ip", rate=settings.BALLOT_FAILED_ATTEMPTS_RATE,
                     increment=increment)


def _too_many_failures(request: HttpRequest) -> bool:
    """Has this address used up its failed attempts? The rate "10/10m" allows ten, then stops answering."""
    usage = _limit(request, increment=False)
    # The library limits only above the rate (count > limit); a failure is counted after it happens, so the
    # attempt after the tenth failure is the one to stop. A cache that cannot count fails closed (limit 0).
    return usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"])


def _count_failure(request: HttpRequest) -> None:
    is_ratelimited(request, group=RATE_GROUP, key="ip", rate=settings.BALLOT_FAILED_ATTEMPTS_RATE, increment=True)


@method_decorator(never_cache, name="dispatch")
class BallotView(View):
    """Enter the code, see the ballot, cast it; refusals all look alike and count against the address (R-A5)."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        # The villagers' page is in Chinese whatever language the phone asks for.
        with translation.override(settings.LANGUAGE_CODE):
            return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        # The code from a slip's QR code is only put back in the field: checking it here would answer guesses.
        code = ballots.normalise(request.GET.get("c", ""))
        return self._code_page(request, BallotCodeForm(initial={"code": ballots.formatted(code)} if code else None))

    def post(self, request, *args, **kwargs):
        if _too_many_failures(request):
            return self._code_page(request, BallotCodeForm(), message=gettext("尝试次数过多,请稍后再试。"),
                                   status=429)
        if request.POST.get("step") == "cast":
            return self._cast(request)
        form = BallotCodeForm(request.POST)
        if not form.is_valid():
            return self._code_page(request, form)
        code = ballots.normalise(form.cleaned_data["code"])
        try:
            batch, appraisals = services.ballot_open(code)
        except services.BallotRefused:
            return self._refused(request)
        return self._ballot_page(request, code, batch, appraisals)

    def _cast(self, request: HttpRequest) -> HttpResponse:
        code = ballots.normalise(request.POST.get("code", ""))
        choices: dict[int, str] = {}
        for name, grade in request.POST.items():
            if not name.startswith(GRADE_FIELD):
                continue
            pk = name.removeprefix(GRADE_FIELD)
            if not pk.isdigit():
                return self._refused(request)
            choices[int(pk)] = grade
        try:
            batch, appraisals = services.ballot_open(code)
            if set(choices) < {a.pk for a in appraisals}:
                # A cadre left out is the villager's slip, not a failed attempt: ask again with their choices kept.
                return self._ballot_page(request, code, batch, appraisals, chosen=choices,
                                         message=gettext("请为每位干部选择一个等次。"))
            services.ballot_cast(code=code, choices=choices)
        except services.BallotRefused:
            return self._refused(request)
        return render(request, "appraisal/public/thanks.html", {"batch": batch, "count": len(appraisals)})

    def _refused(self, request: HttpRequest) -> HttpResponse:
        _count_failure(request)
        # One page for every reason: a fresh form, nothing echoed back, the same status.
        return self._code_page(request, BallotCodeForm(),
                               message=gettext("投票码无效、已使用,或本次评议已经结束。"), status=403)

    def _code_page(self, request: HttpRequest, form: BallotCodeForm, *, message: str = "",
                   status: int = 200) -> HttpResponse:
        return render(request, "appraisal/public/code.html", {"form": form, "message": message}, status=status)

    def _ballot_page(self, request: HttpRequest, code: str, batch: BallotBatch, appraisals: list[Appraisal], *,
                     chosen: dict[int, str] | None = None, message: str = "", status: int = 200) -> HttpResponse:
        chosen = chosen or {}
        rows = [{"appraisal": a, "field": f"{GRADE_FIELD}{a.pk}", "chosen": chosen.get(a.pk, "")}
                for a in appraisals]
        context = {"code": code, "batch": batch, "rows": rows, "grades": Grade.choices, "message": message}
        return render(request, "appraisal/public/ballot.html", context, status=status)


urlpatterns = [path("", BallotView.as_view(), name="ballot")]
