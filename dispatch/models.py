"""The dispatch process's records: pairings, quotas, training, one cadre's dispatch, recall, township teams."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from workflows.models import Cadre, County, Township, Unit, Village


class Pairing(models.Model):
    """The org dept pairs a unit with a village that the unit sends cadres to, for a year (R-S6)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("单位"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("村"))
    year = models.PositiveSmallIntegerField(_("年度"))
    created_at = models.DateTimeField(_("结对时间"), auto_now_add=True)

    tier_paths = {"unit": "unit_id", "township": "village__township_id", "county": "unit__county_id"}

    class Meta:
        verbose_name = _("单位结对村")
        verbose_name_plural = _("单位结对村")
        ordering = ["year", "unit", "village"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "village", "year"], name="one_pairing_per_unit_village_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.village}({self.year})"


class Quota(models.Model):
    """A unit's yearly quota of cadres to send, and the deadline to fill it (R-S5)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="quotas", verbose_name=_("单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    cadres = models.PositiveSmallIntegerField(_("选派名额"))
    deadline = models.DateField(_("截止日期"))
    enforced_at = models.DateTimeField(_("到期核查时间"), null=True, blank=True)

    tier_paths = {"unit": "unit_id", "county": "unit__county_id"}

    class Meta:
        verbose_name = _("选派任务")
        verbose_name_plural = _("选派任务")
        ordering = ["year", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="one_quota_per_unit_year"),
            models.CheckConstraint(condition=Q(cadres__gte=1), name="quota_at_least_one"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}:{self.cadres}"


class QuotaSanction(models.Model):
    """A unit that missed its quota may not be considered for two awards for some years (R-S5)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="sanctions", verbose_name=_("单位"))
    quota = models.OneToOneField(Quota, on_delete=models.PROTECT, related_name="sanction", verbose_name=_("选派任务"))
    sent = models.PositiveSmallIntegerField(_("实际选派"))
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("终止日期"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    tier_paths = {"unit": "unit_id", "county": "unit__county_id"}

    class Meta:
        verbose_name = _("未完成选派任务的处理")
        verbose_name_plural = _("未完成选派任务的处理")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.unit} {self.starts_on}–{self.ends_on}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class TrainingBatch(models.Model):
    """A pre-service training batch run by the org dept (R-S8)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="training_batches")
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("班次名称"), max_length=80)
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结业日期"))
    content = models.TextField(
        _("培训内容"),
        blank=True,
        default=_("驻村蹲点工作内容、方法、要求;农村政策"),
    )

    tier_paths = {"county": "county_id"}

    class Meta:
        verbose_name = _("岗前培训班")
        verbose_name_plural = _("岗前培训班")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="training_ends_after_start")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dispatch:training_batch", args=[self.pk])


class Source(models.TextChoices):
    UNIT = "unit", _("单位推荐")
    SELF = "self", _("个人自愿报名")


class Exclusion(models.TextChoices):
    """Reasons a cadre is rather not sent (宁可不派, R-S4)."""

    UNWILLING = "unwilling", _("心里不情愿、抱着“过关”态度")
    WEAK_ABILITY = "weak_ability", _("工作能力不强")
    POOR_PUBLIC_REPORTS = "poor_public_reports", _("群众反映不好")


class DispatchState(models.TextChoices):
    NOMINATED = "nominated", _("已推荐,待审批")
    APPROVED = "approved", _("单位已批准")
    TRAINING = "training", _("岗前培训")
    STATIONED = "stationed", _("驻村中")
    APPRAISED = "appraised", _("已考评")
    REJECTED = "rejected", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")
    RECALLED = "recalled", _("已召回")


#: States in which a dispatch holds its cadre and its village.
ACTIVE_STATES = [DispatchState.NOMINATED, DispatchState.APPROVED, DispatchState.TRAINING, DispatchState.STATIONED]
#: Dispatch states in which the cadre was, at some time, stationed in the village.
ONCE_STATIONED = [DispatchState.STATIONED, DispatchState.RECALLED, DispatchState.APPRAISED]
#: States that count as "sent" for the quota (R-S5): approved and not withdrawn, rejected or recalled.
SENT_STATES = [DispatchState.APPROVED, DispatchState.TRAINING, DispatchState.STATIONED, DispatchState.APPRAISED]


class Dispatch(models.Model):
    """One cadre's dispatch to one village for one round (R-S1)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("干部"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("派出单位"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("驻点村"))
    year = models.PositiveSmallIntegerField(_("年度"))
    state = FSMField(_("状态"), default=DispatchState.NOMINATED, choices=DispatchState.choices, protected=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.UNIT)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐人")
    )
    nominated_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)
    nomination_note = models.TextField(_("推荐理由"), blank=True)
    exclusion = models.CharField(_("不宜选派情形"), max_length=24, choices=Exclusion.choices, blank=True)
    exclusion_note = models.TextField(_("不宜选派说明"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)
    training_batch = models.ForeignKey(
        TrainingBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name=_("培训班次"),
    )
    training_completed_on = models.DateField(_("培训结业日期"), null=True, blank=True)
    # R-S9: what the unit must arrange before stationing.
    insurer = models.CharField(_("保险公司"), max_length=80, blank=True)
    insurance_policy_no = models.CharField(_("保单号"), max_length=60, blank=True)
    insurance_starts_on = models.DateField(_("保险起期"), null=True, blank=True)
    insurance_ends_on = models.DateField(_("保险止期"), null=True, blank=True)
    party_relation_transferred_on = models.DateField(_("党组织关系转入驻点村日期"), null=True, blank=True)
    living_allowance_yuan = models.DecimalField(
        _("生活补助(元/月)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    stationed_on = models.DateField(_("到村日期"), null=True, blank=True)
    term_ends_on = models.DateField(_("期满日期"), null=True, blank=True)
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentees",
        verbose_name=_("传帮带联系领导"),
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.TextField(_("结束原因"), blank=True)

    #: What __str__ reads, selected with the object wherever it is listed by name (to-do lists).
    str_related = ("cadre", "village")
    tier_paths = {
        "unit": "unit_id",
        "township": "village__township_id",
        "county": "unit__county_id",
        "owner": "cadre__user_id",
    }

    class Meta:
        verbose_name = _("选派")
        verbose_name_plural = _("选派")
        ordering = ["-year", "unit", "-cadre__is_reserve", "-cadre__is_key_cultivation", "cadre__name"]
        constraints = [
            # A cadre is in at most one active dispatch at a time.
            models.UniqueConstraint(
                fields=["cadre"], condition=Q(state__in=ACTIVE_STATES), name="one_active_dispatch_per_cadre"
            ),
            models.CheckConstraint(
                condition=Q(insurance_ends_on__isnull=True)
                | Q(insurance_starts_on__isnull=True)
                | Q(insurance_ends_on__gte=models.F("insurance_starts_on")),
                name="insurance_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["village", "year", "state"], name="dispatch_village_round_idx")]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.village}({self.year})"

    def get_absolute_url(self) -> str:
        return reverse("dispatch:detail", args=[self.pk])

    # Pure checks on the instance, used as transition conditions.
    def is_not_excluded(self) -> bool:
        return not self.exclusion

    def has_completed_training(self) -> bool:
        return self.training_completed_on is not None

    def missing_stationing_items(self) -> list[str]:
        """What R-S9 still needs before stationing, by field label."""
        required = [
            "insurer",
            "insurance_policy_no",
            "insurance_starts_on",
            "insurance_ends_on",
            "party_relation_transferred_on",
            "living_allowance_yuan",
        ]
        return [str(self._meta.get_field(name).verbose_name) for name in required if getattr(self, name) in (None, "")]

    def awaits_training_completion(self) -> bool:
        """In a training batch with no completion recorded yet (R-S8)."""
        return self.state == DispatchState.TRAINING and self.training_completed_on is None

    def has_stationing_checklist(self) -> bool:
        return not self.missing_stationing_items()

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @transition(
        field=state, source=DispatchState.NOMINATED, target=DispatchState.APPROVED, conditions=[is_not_excluded]
    )
    def approve(self, *, by, on: datetime.datetime, comment: str = "") -> None:
        """Unit head approves a nomination that is not excluded (R-S1, R-S4)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=DispatchState.NOMINATED, target=DispatchState.REJECTED)
    def reject(self, *, by, on: datetime.datetime, reason: str) -> None:
        """Unit head rejects a nomination, with a reason (R-S1)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, reason

    @transition(field=state, source=DispatchState.NOMINATED, target=DispatchState.WITHDRAWN)
    def withdraw(self, *, on: datetime.date, reason: str) -> None:
        """The unit withdraws a nomination before it is decided (R-S1)."""
        self.ended_on, self.end_reason = on, reason

    @transition(field=state, source=DispatchState.APPROVED, target=DispatchState.TRAINING)
    def enrol(self, *, batch: TrainingBatch) -> None:
        """The org dept places an approved cadre in a pre-service training batch (R-S8)."""
        self.training_batch = batch

    @transition(
        field=state,
        source=DispatchState.TRAINING,
        target=DispatchState.STATIONED,
        conditions=[has_completed_training, has_stationing_checklist],
    )
    def station(self, *, on: datetime.date, term_ends_on: datetime.date) -> None:
        """The township takes in a trained, insured cadre whose party relation has moved (R-S7, R-S8, R-S9)."""
        self.stationed_on, self.term_ends_on = on, term_ends_on

    @transition(field=state, source=DispatchState.STATIONED, target=DispatchState.RECALLED)
    def recall(self, *, on: datetime.date, reason: str) -> None:
        """The unit recalls a stationed cadre after the org dept decided so (R-S1, R-M5a)."""
        self.ended_on, self.end_reason = on, reason

    @transition(field=state, source=DispatchState.STATIONED, target=DispatchState.APPRAISED)
    def appraise(self, *, on: datetime.date) -> None:
        """The year-end appraisal is finalised and the term closes (R-S1, R-A2)."""
        self.ended_on = on

    def audit_context(self) -> dict:
        """What an audit event of this dispatch says of it besides the states."""
        return {"cadre": self.cadre.name, "village": self.village.name}


class ApplicationState(models.TextChoices):
    SUBMITTED = "submitted", _("已报名,待单位决定")
    NOMINATED = "nominated", _("单位已推荐")
    DECLINED = "declined", _("单位未推荐")
    WITHDRAWN = "withdrawn", _("本人已撤回")


class Application(models.Model):
    """A cadre's own application to be stationed (自觉报名), which the unit nominates or declines (R-S2)."""

    cadre = models.ForeignKey(Cadre, on_delete=models.PROTECT, related_name="applications", verbose_name=_("干部"))
    year = models.PositiveSmallIntegerField(_("年度"))
    preferred_village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("意向村")
    )
    statement = models.TextField(_("报名理由"))
    state = FSMField(_("状态"), default=ApplicationState.SUBMITTED, choices=ApplicationState.choices, protected=True)
    submitted_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decline_reason = models.TextField(_("未推荐理由"), blank=True)
    dispatch = models.OneToOneField(
        Dispatch, on_delete=models.PROTECT, null=True, blank=True, related_name="application"
    )

    tier_paths = {"unit": "cadre__unit_id", "county": "cadre__unit__county_id", "owner": "cadre__user_id"}

    class Meta:
        verbose_name = _("自愿报名")
        verbose_name_plural = _("自愿报名")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "year"], condition=Q(state="submitted"), name="one_open_application_per_cadre_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cadre}({self.year})"

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.NOMINATED)
    def nominate(self, *, by, on: datetime.datetime, dispatch: Dispatch) -> None:
        """The unit turns the application into a nomination (R-S2)."""
        self.decided_by, self.decided_at, self.dispatch = by, on, dispatch

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.DECLINED)
    def decline(self, *, by, on: datetime.datetime, reason: str) -> None:
        """The unit declines the application, with a reason (R-S2)."""
        self.decided_by, self.decided_at, self.decline_reason = by, on, reason

    @transition(field=state, source=ApplicationState.SUBMITTED, target=ApplicationState.WITHDRAWN)
    def withdraw(self) -> None:
        """The cadre withdraws the application before the unit decides (R-S2)."""


class RecallReason(models.TextChoices):
    """Why the township proposes a recall (R-M5a)."""

    TIME_NOT_GUARANTEED = "time_not_guaranteed", _("驻村时间不能保证")
    INCOMPETENT = "incompetent", _("不能胜任驻村工作")
    NOT_ACCEPTED = "not_accepted", _("群众不认可")
    ABSENT_WITHOUT_REASON = "absent_without_reason", _("无故脱岗")
    DISCIPLINED = "disciplined", _("受到党纪政纪处分")
    OTHER = "other", _("其他")


class RecallState(models.TextChoices):
    PROPOSED = "proposed", _("乡镇已提出,待组织部决定")
    APPROVED = "approved", _("组织部同意召回,待单位执行")
    DECLINED = "declined", _("组织部不同意召回")
    DONE = "done", _("已召回")


class Recall(models.Model):
    """The recall of a stationed cadre: township proposes, org dept decides, unit recalls (R-M5a)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="recalls", verbose_name=_("选派"))
    state = FSMField(_("状态"), default=RecallState.PROPOSED, choices=RecallState.choices, protected=True)
    reason = models.CharField(_("召回原因"), max_length=24, choices=RecallReason.choices)
    details = models.TextField(_("具体情况"))
    own_fault = models.BooleanField(_("因本人原因"), default=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_comment = models.TextField(_("组织部意见"), blank=True)
    recalled_on = models.DateField(_("召回日期"), null=True, blank=True)

    #: What __str__ reads, selected with the object wherever it is listed by name (to-do lists).
    str_related = ("dispatch__cadre",)
    tier_paths = {
        "unit": "dispatch__unit_id",
        "township": "dispatch__village__township_id",
        "county": "dispatch__unit__county_id",
        "owner": "dispatch__cadre__user_id",
    }

    class Meta:
        verbose_name = _("召回")
        verbose_name_plural = _("召回")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispatch"],
                condition=Q(state__in=["proposed", "approved"]),
                name="one_open_recall_per_dispatch",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre}:{self.get_reason_display()}"

    @transition(field=state, source=RecallState.PROPOSED, target=RecallState.APPROVED)
    def approve(self, *, by, on: datetime.datetime, comment: str = "") -> None:
        """The org dept agrees to recall (R-M5a)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=RecallState.PROPOSED, target=RecallState.DECLINED)
    def decline(self, *, by, on: datetime.datetime, comment: str) -> None:
        """The org dept declines to recall, with a reason (R-M5a)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=RecallState.APPROVED, target=RecallState.DONE)
    def carry_out(self, *, on: datetime.date) -> None:
        """The unit recalls its cadre (R-M5a)."""
        self.recalled_on = on


class TeamLeader(models.Model):
    """The one team leader (领队) a township names among its stationed cadres (R-M4)."""

    township = models.OneToOneField(Township, on_delete=models.PROTECT, related_name="team_leader")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="+", verbose_name=_("领队"))
    named_at = models.DateTimeField(_("确定时间"), auto_now=True)

    tier_paths = {"township": "township_id", "county": "township__county_id"}

    class Meta:
        verbose_name = _("领队")
        verbose_name_plural = _("领队")

    def __str__(self) -> str:
        return f"{self.township}:{self.dispatch.cadre}"


class WorkGroup(models.Model):
    """Two or three neighbouring villages of a township working as one group (R-M4)."""

    township = models.ForeignKey(Township, on_delete=models.PROTECT, related_name="work_groups")
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("小组名称"), max_length=50)
    villages = models.ManyToManyField(Village, related_name="work_groups", verbose_name=_("村"))

    tier_paths = {"township": "township_id", "county": "township__county_id"}

    class Meta:
        verbose_name = _("驻村蹲点工作小组")
        verbose_name_plural = _("驻村蹲点工作小组")
        ordering = ["township", "name"]
        constraints = [models.UniqueConstraint(fields=["township", "year", "name"], name="work_group_name_unique")]

    def __str__(self) -> str:
        return self.name
