"""The villagers' ballot at /vote/: no account, a one-time code, one secret vote per code (R-A5).

Whatever makes a code unusable (unknown, used, the vote closed, a tampered ballot), the answer is the same page
with the same status and words, so that trying codes tells nothing; each such answer counts against the address,
and past a free allowance the address is slowed down (429, with the wait in words and in Retry-After). A valid
unused code is never refused and never counts, so a village meeting voting from one network is not held up by
one villager's typing slips (appraisal/throttle.py). The code itself is never logged, audited or stored.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views import View
from django.views.decorators.cache import never_cache

from appraisal import ballots, services, throttle
from appraisal.forms import BallotCodeForm
from appraisal.models import Appraisal, BallotBatch, Grade

GRADE_FIELD = "grade_"


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
                return self._ballot_page(
                    request, code, batch, appraisals, chosen=choices, message=gettext("请为每位干部选择一个等次。")
                )
            services.ballot_cast(code=code, choices=choices)
        except services.BallotRefused:
            return self._refused(request)
        return render(request, "appraisal/public/thanks.html", {"batch": batch, "count": len(appraisals)})

    def _refused(self, request: HttpRequest) -> HttpResponse:
        # One page for every reason: a fresh form, nothing echoed back, the same status; only the address's
        # count of wrong codes decides whether it is asked to wait.
        refused = gettext("投票码无效、已使用,或本次评议已经结束。")
        wait = throttle.wrong_code(request)
        if not wait:
            return self._code_page(request, BallotCodeForm(), message=refused, status=403)
        message = gettext("%(refused)s本网络输错的投票码较多,请仔细核对,%(wait)s后再试。") % {
            "refused": refused,
            "wait": throttle.wait_text(wait),
        }
        response = self._code_page(request, BallotCodeForm(), message=message, status=429)
        response["Retry-After"] = str(wait)
        return response

    def _code_page(
        self, request: HttpRequest, form: BallotCodeForm, *, message: str = "", status: int = 200
    ) -> HttpResponse:
        return render(request, "appraisal/public/code.html", {"form": form, "message": message}, status=status)

    def _ballot_page(
        self,
        request: HttpRequest,
        code: str,
        batch: BallotBatch,
        appraisals: list[Appraisal],
        *,
        chosen: dict[int, str] | None = None,
        message: str = "",
        status: int = 200,
    ) -> HttpResponse:
        chosen = chosen or {}
        rows = [{"appraisal": a, "field": f"{GRADE_FIELD}{a.pk}", "chosen": chosen.get(a.pk, "")} for a in appraisals]
        context = {"code": code, "batch": batch, "rows": rows, "grades": Grade.choices, "message": message}
        return render(request, "appraisal/public/ballot.html", context, status=status)
