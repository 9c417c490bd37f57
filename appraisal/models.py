"""The year-end appraisal: rounds, each cadre's appraisal, villagers' ballot codes and tallies (R-A1 … R-A5)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from dispatch.models import Dispatch
from workflows.models import County, Village


class Grade(models.TextChoices):
    """The four grades, best first (R-A2)."""

    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASICALLY_COMPETENT = "basically_competent", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")


#: Best first: a cap keeps whichever of two grades comes later in this list.
GRADE_ORDER = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASICALLY_COMPETENT, Grade.INCOMPETENT]


class CadreCategory(models.TextChoices):
    """The categories a share cap on excellent grades is counted in separately (R-A2a)."""

    LEADING = "leading", _("科级及以上干部")
    GENERAL = "general", _("一般干部")


class RoundState(models.TextChoices):
    OPEN = "open", _("考评进行中")
    CLOSED = "closed", _("评议已结束")


class AppraisalRound(models.Model):
    """One year-end appraisal round of a county, for the cadres whose term ends in a window (R-A1)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="appraisal_rounds", verbose_name=_("县"))
    title = models.CharField(_("名称"), max_length=80)
    year = models.PositiveSmallIntegerField(_("年度"))
    term_ends_from = models.DateField(_("期满日期自"))
    term_ends_to = models.DateField(_("期满日期至"))
    state = FSMField(_("状态"), default=RoundState.OPEN, choices=RoundState.choices, protected=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发起人")
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("结束评议人"),
    )
    closed_at = models.DateTimeField(_("评议结束时间"), null=True, blank=True)

    tier_paths = {"county": "county_id"}

    class Meta:
        verbose_name = _("考评轮次")
        verbose_name_plural = _("考评轮次")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["county", "title"], name="round_title_unique_in_county"),
            models.CheckConstraint(
                condition=Q(term_ends_to__gte=models.F("term_ends_from")), name="round_window_not_reversed"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("appraisal:round_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.state == RoundState.OPEN

    @transition(field=state, source=RoundState.OPEN, target=RoundState.CLOSED)
    def close(self, *, by, at: datetime.datetime) -> None:
        """The org dept closes the villagers' vote: nothing can be cast or entered after (R-A5)."""
        self.closed_by, self.closed_at = by, at


class AppraisalState(models.TextChoices):
    OPEN = "open", _("评分、评议中")
    COLLECTED = "collected", _("评分和评议已汇总")
    PROPOSED = "proposed", _("已拟定等次,待组织部审定")
    FINALISED = "finalised", _("已审定")
    CANCELLED = "cancelled", _("已撤销")


#: States of an appraisal still in force (not cancelled).
LIVE_STATES = [AppraisalState.OPEN, AppraisalState.COLLECTED, AppraisalState.PROPOSED, AppraisalState.FINALISED]
#: States from which the org dept may take a cadre out of the round (R-A1).
CANCELLABLE = {AppraisalState.OPEN, AppraisalState.COLLECTED, AppraisalState.PROPOSED}


SCORE_VALIDATORS = [MaxValueValidator(100)]


class Appraisal(models.Model):
    """One stationed cadre's year-end appraisal: two scores, the villagers' votes, a proposed and a final grade."""

    round = models.ForeignKey(
        AppraisalRound, on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("考评轮次")
    )
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="appraisals", verbose_name=_("选派"))
    category = models.CharField(_("干部类别"), max_length=10, choices=CadreCategory.choices)
    state = FSMField(_("状态"), default=AppraisalState.OPEN, choices=AppraisalState.choices, protected=True)

    township_score = models.PositiveSmallIntegerField(_("乡镇评分"), null=True, blank=True, validators=SCORE_VALIDATORS)
    township_comment = models.TextField(_("乡镇评语"), blank=True)
    township_scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("乡镇评分人"),
    )
    township_scored_at = models.DateTimeField(_("乡镇评分时间"), null=True, blank=True)
    unit_score = models.PositiveSmallIntegerField(_("单位评分"), null=True, blank=True, validators=SCORE_VALIDATORS)
    unit_comment = models.TextField(_("单位评语"), blank=True)
    unit_scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("单位评分人"),
    )
    unit_scored_at = models.DateTimeField(_("单位评分时间"), null=True, blank=True)

    # What was collected once both scores were in and the vote had closed (R-A2, R-A2a, R-A5).
    votes_excellent = models.PositiveIntegerField(_("优秀票"), default=0)
    votes_competent = models.PositiveIntegerField(_("称职票"), default=0)
    votes_basically_competent = models.PositiveIntegerField(_("基本称职票"), default=0)
    votes_incompetent = models.PositiveIntegerField(_("不称职票"), default=0)
    absences = models.PositiveSmallIntegerField(_("无故缺勤天数"), null=True, blank=True)
    # Why the village gave no votes at all, stated by the org dept when it closed the vote anyway (R-A1).
    no_votes_reason = models.TextField(_("无村民评议票的原因"), blank=True)

    villagers_score = models.DecimalField(_("群众评议得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    combined_score = models.DecimalField(_("综合得分"), max_digits=5, decimal_places=2, null=True, blank=True)
    computed_grade = models.CharField(_("按分数的等次"), max_length=20, choices=Grade.choices, blank=True)
    proposed_grade = models.CharField(_("拟定等次"), max_length=20, choices=Grade.choices, blank=True)
    proposal_note = models.TextField(_("拟定说明"), blank=True)

    final_grade = models.CharField(_("审定等次"), max_length=20, choices=Grade.choices, blank=True)
    final_reason = models.TextField(_("改变等次的理由"), blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审定人"),
    )
    finalised_on = models.DateField(_("审定日期"), null=True, blank=True)
    reopen_reason = models.TextField(_("重新审定的理由"), blank=True)
    cancel_reason = models.TextField(_("撤销理由"), blank=True)

    #: What __str__ reads, selected with the object wherever it is listed by name (to-do lists).
    str_related = ("dispatch__cadre", "round")
    tier_paths = {
        "unit": "dispatch__unit_id",
        "township": "dispatch__village__township_id",
        "county": "round__county_id",
        "owner": "dispatch__cadre__user_id",
    }

    class Meta:
        verbose_name = _("年度考评")
        verbose_name_plural = _("年度考评")
        ordering = ["round", "dispatch__village__township__code", "dispatch__village__code"]
        constraints = [
            # A cadre's term is appraised once; a cancelled appraisal makes room for another.
            models.UniqueConstraint(
                fields=["dispatch"], condition=~Q(state=AppraisalState.CANCELLED), name="one_appraisal_per_dispatch"
            ),
            models.CheckConstraint(
                condition=Q(township_score__isnull=True) | Q(township_score__lte=100), name="township_score_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(unit_score__isnull=True) | Q(unit_score__lte=100), name="unit_score_at_most_100"
            ),
            models.CheckConstraint(
                condition=~Q(state=AppraisalState.FINALISED) | ~Q(final_grade=""), name="finalised_appraisal_has_grade"
            ),
        ]
        indexes = [models.Index(fields=["round", "state"], name="appraisal_round_state_idx")]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre}({self.round})"

    # Pure checks on the instance, used as transition conditions.
    def awaits_township_score(self) -> bool:
        return self.township_score is None

    def awaits_unit_score(self) -> bool:
        return self.unit_score is None

    def has_both_scores(self) -> bool:
        return self.township_score is not None and self.unit_score is not None

    def vote_counts(self) -> dict[str, int]:
        return {
            Grade.EXCELLENT: self.votes_excellent,
            Grade.COMPETENT: self.votes_competent,
            Grade.BASICALLY_COMPETENT: self.votes_basically_competent,
            Grade.INCOMPETENT: self.votes_incompetent,
        }

    @property
    def votes_total(self) -> int:
        return sum(self.vote_counts().values())

    @property
    def grade(self) -> str:
        """The grade in force: the final one, once finalised."""
        return self.final_grade if self.state == AppraisalState.FINALISED else ""

    @transition(field=state, source=AppraisalState.OPEN, target=AppraisalState.OPEN, conditions=[awaits_township_score])
    def score_as_township(self, *, score: int, comment: str, by, at: datetime.datetime) -> None:
        """The township committee scores a cadre stationed in its township (R-A1)."""
        self.township_score, self.township_comment = score, comment
        self.township_scored_by, self.township_scored_at = by, at

    @transition(field=state, source=AppraisalState.OPEN, target=AppraisalState.OPEN, conditions=[awaits_unit_score])
    def score_as_unit(self, *, score: int, comment: str, by, at: datetime.datetime) -> None:
        """The dispatching unit scores its own cadre (R-A1)."""
        self.unit_score, self.unit_comment = score, comment
        self.unit_scored_by, self.unit_scored_at = by, at

    @transition(field=state, source=AppraisalState.OPEN, target=AppraisalState.COLLECTED, conditions=[has_both_scores])
    def collect(self, *, votes: dict[str, int], absences: int) -> None:
        """Both scores are in and the vote has closed: the votes and absences are taken as they stand (R-A5)."""
        self.votes_excellent = votes.get(Grade.EXCELLENT, 0)
        self.votes_competent = votes.get(Grade.COMPETENT, 0)
        self.votes_basically_competent = votes.get(Grade.BASICALLY_COMPETENT, 0)
        self.votes_incompetent = votes.get(Grade.INCOMPETENT, 0)
        self.absences = absences

    @transition(field=state, source=AppraisalState.COLLECTED, target=AppraisalState.PROPOSED)
    def propose(self, *, villagers_score, combined_score, computed_grade: str, proposed_grade: str, note: str) -> None:
        """The weighted scores give a grade, capped by unexcused absences (R-A2, R-A2a)."""
        self.villagers_score, self.combined_score = villagers_score, combined_score
        self.computed_grade, self.proposed_grade, self.proposal_note = computed_grade, proposed_grade, note

    @transition(field=state, source=AppraisalState.PROPOSED, target=AppraisalState.FINALISED)
    def finalise(self, *, grade: str, reason: str, by, on: datetime.date) -> None:
        """The org dept finalises the grade; a change from the proposal carries a written reason (R-A2)."""
        self.final_grade, self.final_reason = grade, reason
        self.finalised_by, self.finalised_on = by, on

    @transition(field=state, source=AppraisalState.FINALISED, target=AppraisalState.PROPOSED)
    def reopen(self, *, reason: str) -> None:
        """Only the org dept reopens a finalised grade, with a reason (R-A2)."""
        self.reopen_reason = reason
        self.final_grade, self.final_reason, self.finalised_by, self.finalised_on = "", "", None, None

    @transition(
        field=state,
        source=[AppraisalState.OPEN, AppraisalState.COLLECTED, AppraisalState.PROPOSED],
        target=AppraisalState.CANCELLED,
    )
    def cancel(self, *, reason: str) -> None:
        """The org dept takes a cadre out of the round (recalled, or opened by mistake) (R-A1)."""
        self.cancel_reason = reason

    def audit_context(self) -> dict:
        """What an audit event of this appraisal says of it besides the states."""
        return {"cadre": self.dispatch.cadre.name, "village": self.dispatch.village.name}


class OnlineTally(models.Model):
    """Votes cast online for one appraisal, counted per grade: no row says who voted or with which code (R-A5)."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="online_tallies")
    grade = models.CharField(_("等次"), max_length=20, choices=Grade.choices)
    count = models.PositiveIntegerField(_("票数"), default=0)

    tier_paths = {"township": "appraisal__dispatch__village__township_id", "county": "appraisal__round__county_id"}

    class Meta:
        verbose_name = _("网上评议票数")
        verbose_name_plural = _("网上评议票数")
        constraints = [models.UniqueConstraint(fields=["appraisal", "grade"], name="one_tally_per_grade")]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} {self.count}"


class PaperSession(models.Model):
    """The tallies of one paper ballot session in the village, entered by the township (R-A5)."""

    appraisal = models.ForeignKey(
        Appraisal, on_delete=models.PROTECT, related_name="paper_sessions", verbose_name=_("年度考评")
    )
    held_on = models.DateField(_("评议日期"))
    ballots = models.PositiveIntegerField(_("收回票数"))
    excellent = models.PositiveIntegerField(_("优秀"), default=0)
    competent = models.PositiveIntegerField(_("称职"), default=0)
    basically_competent = models.PositiveIntegerField(_("基本称职"), default=0)
    incompetent = models.PositiveIntegerField(_("不称职"), default=0)
    invalid = models.PositiveIntegerField(_("无效票"), default=0)
    note = models.TextField(_("说明"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("录入人")
    )
    entered_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("作废人"),
    )
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.TextField(_("作废理由"), blank=True)

    tier_paths = {"township": "appraisal__dispatch__village__township_id", "county": "appraisal__round__county_id"}

    class Meta:
        verbose_name = _("现场评议计票")
        verbose_name_plural = _("现场评议计票")
        ordering = ["held_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    ballots=models.F("excellent")
                    + models.F("competent")
                    + models.F("basically_competent")
                    + models.F("incompetent")
                    + models.F("invalid")
                ),
                name="paper_session_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} × {self.ballots}"

    def vote_counts(self) -> dict[str, int]:
        return {
            Grade.EXCELLENT: self.excellent,
            Grade.COMPETENT: self.competent,
            Grade.BASICALLY_COMPETENT: self.basically_competent,
            Grade.INCOMPETENT: self.incompetent,
        }


class BallotBatch(models.Model):
    """Ballot codes issued for one village in one round (R-A5)."""

    round = models.ForeignKey(
        AppraisalRound, on_delete=models.PROTECT, related_name="ballot_batches", verbose_name=_("考评轮次")
    )
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="ballot_batches", verbose_name=_("村"))
    count = models.PositiveIntegerField(_("张数"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发放人")
    )
    issued_at = models.DateTimeField(_("发放时间"), auto_now_add=True)

    tier_paths = {"township": "village__township_id", "county": "round__county_id"}

    class Meta:
        verbose_name = _("投票码批次")
        verbose_name_plural = _("投票码批次")
        ordering = ["round", "village", "pk"]

    def __str__(self) -> str:
        return f"{self.village} × {self.count}"


class BallotCode(models.Model):
    """A one-time ballot code, kept only as a digest; it knows whether it was used, never how (R-A5)."""

    batch = models.ForeignKey(BallotBatch, on_delete=models.PROTECT, related_name="codes")
    number = models.PositiveIntegerField(_("序号"))
    digest = models.CharField(max_length=64, unique=True)
    used = models.BooleanField(_("已使用"), default=False)

    tier_paths = {"township": "batch__village__township_id", "county": "batch__round__county_id"}

    class Meta:
        verbose_name = _("投票码")
        verbose_name_plural = _("投票码")
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="ballot_code_number_unique")]

    def __str__(self) -> str:
        return f"{self.batch} #{self.number}"
