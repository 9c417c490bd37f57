"""Management while stationed: the day ledger, months, leave, leaders' visits, inspections, circulars."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from dispatch.models import Dispatch
from workflows.models import County, Unit
from workflows.policy import policy


class CalendarCorrection(models.Model):
    """The org dept's correction of the official calendar for one day in its county (R-M2a)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="calendar_corrections")
    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100)

    tier_paths = {"county": "county_id"}

    class Meta:
        verbose_name = _("节假日更正")
        verbose_name_plural = _("节假日更正")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["county", "date"], name="one_correction_per_county_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.note}"


class DayStatus(models.TextChoices):
    """Where a stationed cadre was on one day (R-M2a)."""

    IN_VILLAGE = "in_village", _("在村")
    OFFICIAL_BUSINESS = "official_business", _("因公报备")
    LEAVE = "leave", _("请假")
    HOLIDAY = "holiday", _("休息")
    ABSENT = "absent", _("缺勤")


#: Statuses that count as days in the village (R-M1, R-M2a).
PRESENT_STATUSES = [DayStatus.IN_VILLAGE, DayStatus.OFFICIAL_BUSINESS]


class DaySource(models.TextChoices):
    CADRE = "cadre", _("本人填报")
    TOWNSHIP = "township", _("乡镇登记")
    LEAVE = "leave", _("请假审批")
    INSPECTION = "inspection", _("明查暗访")
    ORG_CORRECTION = "org", _("组织部更正")


class AttendanceDay(models.Model):
    """One day status per stationed cadre per day (R-M2a); evidence is optional, never required."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="days")
    date = models.DateField(_("日期"))
    status = models.CharField(_("状态"), max_length=20, choices=DayStatus.choices)
    source = models.CharField(_("来源"), max_length=12, choices=DaySource.choices, default=DaySource.CADRE)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    evidence = models.CharField(
        _("佐证(可选)"), max_length=200, blank=True, help_text=_("位置或照片说明,自愿提供,不作要求")
    )

    tier_paths = {
        "unit": "dispatch__unit_id",
        "township": "dispatch__village__township_id",
        "county": "dispatch__unit__county_id",
        "owner": "dispatch__cadre__user_id",
    }

    class Meta:
        verbose_name = _("考勤日")
        verbose_name_plural = _("考勤日")
        ordering = ["dispatch", "date"]
        constraints = [models.UniqueConstraint(fields=["dispatch", "date"], name="one_status_per_cadre_day")]
        indexes = [models.Index(fields=["date", "status"], name="attendance_date_status_idx")]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre} {self.date} {self.get_status_display()}"


class MonthState(models.TextChoices):
    OPEN = "open", _("填报中")
    SUBMITTED = "submitted", _("已提交,待乡镇确认")
    CONFIRMED = "confirmed", _("乡镇已确认")


class AttendanceMonth(models.Model):
    """A cadre's month: filled by the cadre, confirmed by the township, then locked (R-M2, R-M2a)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="months")
    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    state = FSMField(_("状态"), default=MonthState.OPEN, choices=MonthState.choices, protected=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    tier_paths = AttendanceDay.tier_paths

    class Meta:
        verbose_name = _("考勤月")
        verbose_name_plural = _("考勤月")
        ordering = ["dispatch", "month"]
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "month"], name="one_month_row_per_cadre"),
            models.CheckConstraint(condition=Q(month__day=1), name="month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre} {self.month:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        return self.state == MonthState.CONFIRMED

    @transition(field=state, source=[MonthState.OPEN, MonthState.SUBMITTED], target=MonthState.SUBMITTED)
    def submit(self, *, on: datetime.datetime) -> None:
        """The cadre submits the month's calendar (R-M2a)."""
        self.submitted_at = on

    @transition(field=state, source=[MonthState.OPEN, MonthState.SUBMITTED], target=MonthState.CONFIRMED)
    def confirm(self, *, by, on: datetime.datetime) -> None:
        """The township confirms the month, which locks it (R-M2a)."""
        self.confirmed_by, self.confirmed_at = by, on


class LeaveState(models.TextChoices):
    REQUESTED = "requested", _("已申请,待审批")
    REVIEWED = "reviewed", _("乡镇已审核,待组织部审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    WITHDRAWN = "withdrawn", _("已撤回")
    ON_LEAVE = "on_leave", _("休假中")
    REPORTED_BACK = "reported_back", _("已销假,待乡镇确认")
    CLOSED = "closed", _("已办结")


#: Leave states that hold their days (an overlapping request is refused).
LEAVE_HOLDING_STATES = [
    LeaveState.REQUESTED,
    LeaveState.REVIEWED,
    LeaveState.APPROVED,
    LeaveState.ON_LEAVE,
    LeaveState.REPORTED_BACK,
    LeaveState.CLOSED,
]

#: Leave states in which something is still to be done.
OPEN_LEAVE_STATES = [
    LeaveState.REQUESTED,
    LeaveState.REVIEWED,
    LeaveState.APPROVED,
    LeaveState.ON_LEAVE,
    LeaveState.REPORTED_BACK,
]

#: Leave states before a decision: the cadre may still withdraw.
UNDECIDED_LEAVE_STATES = [LeaveState.REQUESTED, LeaveState.REVIEWED]

#: Leave states whose days are approved leave, not absence (R-M2, R-M3).
APPROVED_LEAVE_STATES = [LeaveState.APPROVED, LeaveState.ON_LEAVE, LeaveState.REPORTED_BACK, LeaveState.CLOSED]


class LeaveRequest(models.Model):
    """A stationed cadre's leave: up to N days the township decides, longer the org dept (R-M2)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="leave_requests")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    days = models.PositiveSmallIntegerField(_("请假天数(工作日)"))
    reason = models.TextField(_("请假事由"))
    state = FSMField(_("状态"), default=LeaveState.REQUESTED, choices=LeaveState.choices, protected=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(_("乡镇审核意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)
    returned_on = models.DateField(_("实际返岗日期"), null=True, blank=True)
    late_days = models.PositiveSmallIntegerField(_("逾期未归(工作日)"), default=0)

    #: What __str__ reads, selected with the object wherever it is listed by name (to-do lists).
    str_related = ("dispatch__cadre",)
    tier_paths = AttendanceDay.tier_paths

    class Meta:
        verbose_name = _("请假")
        verbose_name_plural = _("请假")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="leave_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre} {self.starts_on}–{self.ends_on}"

    def needs_org_dept(self) -> bool:
        """Longer than the township may grant alone (R-M2)."""
        return self.days > policy("LEAVE_TOWNSHIP_MAX_DAYS")

    def within_township_limit(self) -> bool:
        return not self.needs_org_dept()

    @transition(
        field=state, source=LeaveState.REQUESTED, target=LeaveState.APPROVED, conditions=[within_township_limit]
    )
    def approve_by_township(self, *, by, on: datetime.datetime, comment: str = "") -> None:
        """The township approves leave of up to N days (R-M2)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=LeaveState.REQUESTED, target=LeaveState.REVIEWED, conditions=[needs_org_dept])
    def review(self, *, by, comment: str = "") -> None:
        """The township reviews leave longer than N days and passes it to the org dept (R-M2)."""
        self.reviewed_by, self.review_comment = by, comment

    @transition(field=state, source=LeaveState.REVIEWED, target=LeaveState.APPROVED)
    def approve_by_org_dept(self, *, by, on: datetime.datetime, comment: str = "") -> None:
        """The org dept approves leave longer than N days (R-M2)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=[LeaveState.REQUESTED, LeaveState.REVIEWED], target=LeaveState.REJECTED)
    def reject(self, *, by, on: datetime.datetime, comment: str) -> None:
        """The deciding tier rejects, with a reason (R-M2)."""
        self.decided_by, self.decided_at, self.decision_comment = by, on, comment

    @transition(field=state, source=[LeaveState.REQUESTED, LeaveState.REVIEWED], target=LeaveState.WITHDRAWN)
    def withdraw(self) -> None:
        """The cadre withdraws the request before it is decided (R-M2)."""

    @transition(field=state, source=LeaveState.APPROVED, target=LeaveState.ON_LEAVE)
    def begin(self) -> None:
        """The approved leave has started (R-M2)."""

    @transition(field=state, source=[LeaveState.APPROVED, LeaveState.ON_LEAVE], target=LeaveState.REPORTED_BACK)
    def report_back(self, *, returned_on: datetime.date, late_days: int) -> None:
        """The cadre reports back (销假) with the actual return date (R-M2)."""
        self.returned_on, self.late_days = returned_on, late_days

    @transition(field=state, source=LeaveState.REPORTED_BACK, target=LeaveState.CLOSED)
    def close(self) -> None:
        """The township confirms the report-back and closes the leave (R-M2)."""

    def audit_context(self) -> dict:
        """What an audit event of this leave says of it besides the states."""
        return {
            "cadre": self.dispatch.cadre.name,
            "from": str(self.starts_on),
            "to": str(self.ends_on),
            "days": self.days,
        }


class VisitorRole(models.TextChoices):
    HEAD = "head", _("主要领导")
    DEPUTY = "deputy", _("分管领导")


class Visit(models.Model):
    """A unit leader's visit to a stationed cadre's village (R-M5)."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("调研领导")
    )
    visitor_role = models.CharField(_("身份"), max_length=10, choices=VisitorRole.choices)
    visited_on = models.DateField(_("调研日期"))
    notes = models.TextField(_("听取汇报、调研指导情况"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    tier_paths = AttendanceDay.tier_paths

    class Meta:
        verbose_name = _("单位领导到村调研")
        verbose_name_plural = _("单位领导到村调研")
        ordering = ["-visited_on"]
        constraints = [
            models.UniqueConstraint(fields=["dispatch", "visitor", "visited_on"], name="one_visit_per_leader_day")
        ]

    def __str__(self) -> str:
        return f"{self.visitor} {self.visited_on}"


class InspectionKind(models.TextChoices):
    RANDOM = "random", _("随机调研")
    OPEN = "open", _("明查")
    UNANNOUNCED = "unannounced", _("暗访")


class Inspection(models.Model):
    """A random or unannounced inspection by the org dept (R-M6)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="inspections")
    kind = models.CharField(_("方式"), max_length=12, choices=InspectionKind.choices)
    inspected_on = models.DateField(_("检查日期"))
    notes = models.TextField(_("情况记录"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    tier_paths = {"county": "county_id"}

    class Meta:
        verbose_name = _("明查暗访")
        verbose_name_plural = _("明查暗访")
        ordering = ["-inspected_on"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.inspected_on}"

    def get_absolute_url(self) -> str:
        return reverse("leave:inspection", args=[self.pk])


class InspectionFinding(models.Model):
    """Whether one cadre was found in the village; an absence feeds the day ledger (R-M6, R-M3)."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.PROTECT, related_name="inspection_findings")
    present = models.BooleanField(_("在岗"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    tier_paths = AttendanceDay.tier_paths

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        constraints = [models.UniqueConstraint(fields=["inspection", "dispatch"], name="one_finding_per_cadre")]

    def __str__(self) -> str:
        return f"{self.dispatch.cadre}:{_('在岗') if self.present else _('不在岗')}"


class CircularKind(models.TextChoices):
    PASSIVE = "passive", _("工作被动")
    POOR_GUIDANCE = "poor_guidance", _("指导不力")
    NOT_PROMOTING = "not_promoting", _("未按规定提拔使用")
    COMMENDATION = "commendation", _("表扬")
    OTHER = "other", _("其他")


class Circular(models.Model):
    """A circular (通报) issued by the org dept naming units (R-M6)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="circulars")
    title = models.CharField(_("标题"), max_length=120)
    kind = models.CharField(_("类别"), max_length=16, choices=CircularKind.choices)
    body = models.TextField(_("正文"))
    issued_on = models.DateField(_("印发日期"))
    units = models.ManyToManyField(Unit, related_name="circulars", verbose_name=_("通报单位"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    tier_paths = {"county": "county_id"}

    class Meta:
        verbose_name = _("通报")
        verbose_name_plural = _("通报")
        ordering = ["-issued_on"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("leave:circular", args=[self.pk])
