"""Attendance pages: the cadre's month calendar, the township's month grid, the org dept's compliance and calendar.

Every page reads through `leave.selectors` and changes through `leave.services`; who may read or act is
answered by the tier permissions (R-O4): the cadre acts on their own calendar, the township on its cadres
before confirmation, the org dept corrects, the auditor reads and never acts.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from dispatch.models import Dispatch
from leave import exports
from leave import forms as leave_forms
from leave.calendar import days_between, month_bounds
from leave.models import CalendarCorrection, DayStatus
from leave.selectors import attendance as selectors
from leave.services import attendance
from workflows.exports import ExportMixin, file_name
from workflows.frame import AreaPage, NavLink
from workflows.models import County, Township
from workflows.params import date_from_text, read_year
from workflows.permissions import (
    COORDINATE_COUNTY,
    MANAGE_STATIONED,
    VIEW_COUNTY,
    VIEW_TOWNSHIP,
    VIEW_UNIT,
    acting_on,
    granted_tier_pks,
    may,
    may_view,
    visible_to,
)
from workflows.policy import policy
from workflows.taskviews import ServiceFormView, add_service_errors
from workflows.views.tiers import LandingRedirectView


def _month_param(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


def calendar_url(dispatch: Dispatch | None = None, month: datetime.date | None = None) -> str:
    params = []
    if dispatch is not None:
        params.append(f"dispatch={dispatch.pk}")
    if month is not None:
        params.append(f"month={_month_param(month)}")
    return reverse("leave:calendar") + ("?" + "&".join(params) if params else "")


class AttendancePage(AreaPage):
    """The frame of these pages: links to the ones the user may open, and messages kept on the page."""

    area = "attendance"
    nav_class = "vc-atnav"
    nav_label = gettext_lazy("考勤")
    nav_min_links = 2
    nav = [
        NavLink(
            gettext_lazy("我的考勤"),
            "leave:calendar",
            visible=lambda page: selectors.current_dispatch_of(page.request.user) is not None,
        ),
        NavLink(gettext_lazy("乡镇考勤确认"), "leave:grid", visible=lambda page: page.reads_townships),
        NavLink(gettext_lazy("考勤月报"), "leave:attendance_report", visible=lambda page: page.reads_townships),
        NavLink(gettext_lazy("在村天数达标"), "leave:compliance", visible=lambda page: bool(page.grants["county"])),
        NavLink(gettext_lazy("节假日更正"), "leave:holidays", visible=lambda page: bool(page.grants["county"])),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.grants = granted_tier_pks(request.user, {"county": VIEW_COUNTY, "township": VIEW_TOWNSHIP})
        return super().dispatch(request, *args, **kwargs)

    @property
    def reads_townships(self) -> bool:
        return bool(self.grants["township"] or self.grants["county"])


def _show_error(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- The cadre's month calendar (R-M1, R-M2a) --------------------------------------------------------


class CalendarView(AttendancePage, TemplateView):
    """A cadre's month: fill in one click, change a day, submit; with month and term-year progress."""

    template_name = "leave/attendance/calendar.html"
    nav_name = "leave:calendar"

    def _dispatch_for(self, request) -> Dispatch | None:
        wanted = request.GET.get("dispatch", "")
        if not wanted:
            return selectors.current_dispatch_of(request.user)
        if not wanted.isdigit():
            raise PermissionDenied(_("您无权查看该干部的考勤。"))
        dispatch = (
            Dispatch.objects.filter(pk=wanted, state__in=selectors.ONCE_STATIONED)
            .select_related("cadre", "unit", "village__township")
            .first()
        )
        if dispatch is None or not may_view(request.user, dispatch):
            raise PermissionDenied(_("您无权查看该干部的考勤。"))
        return dispatch

    def _month_for(self, request, dispatch: Dispatch) -> datetime.date:
        start, end = selectors.term_of(dispatch)
        today = timezone.localdate()
        month = selectors.parse_month(request.GET.get("month"), default=min(max(today, start), end))
        return min(max(month, start.replace(day=1)), end.replace(day=1))

    def get(self, request, *args, **kwargs):
        self.target = self._dispatch_for(request)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        dispatch = self._dispatch_for(request)
        if dispatch is None:
            raise PermissionDenied(_("您没有驻村考勤。"))
        is_owner = dispatch.cadre.user_id == request.user.pk
        if not (is_owner or may(request.user, MANAGE_STATIONED, dispatch)):
            raise PermissionDenied(_("只有干部本人和所在乡镇党委可以填报考勤。"))
        month = self._month_for(request, dispatch)
        action = request.POST.get("action")
        back = calendar_url(dispatch if not is_owner else None, month)
        try:
            if action == "fill":
                filled = attendance.month_fill_defaults(dispatch=dispatch, month=month, by=request.user)
                if filled:
                    messages.success(
                        request,
                        _("已按默认填报 %(n)s 天:工作日在村,休息日休息。已登记的日子(如请假)未改动。") % {"n": filled},
                    )
                else:
                    messages.info(request, _("到今天为止的日子都已填报,无需再按默认填报。"))
            elif action == "day":
                form = leave_forms.DayForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                data = form.cleaned_data
                record = attendance.day_set(
                    dispatch=dispatch,
                    day=data["day"],
                    status=data["status"],
                    by=request.user,
                    note=data["note"],
                    evidence=data["evidence"],
                )
                messages.success(
                    request,
                    _("%(date)s 已登记为“%(status)s”。")
                    % {"date": record.date.isoformat(), "status": record.get_status_display()},
                )
                return HttpResponseRedirect(f"{back}#d-{record.date.isoformat()}")
            elif action == "submit":
                attendance.month_submit(dispatch=dispatch, month=month, by=request.user)
                messages.success(request, _("本月考勤已提交,等待乡镇党委确认。"))
            else:
                return HttpResponseBadRequest()
        except ValidationError as error:
            _show_error(request, error)
        # An explicit fragment: the browser would otherwise keep the one of the page the form was on.
        return HttpResponseRedirect(f"{back}#messages")

    def get_context_data(self, **kwargs):
        user, dispatch = self.request.user, self.target
        if dispatch is None:
            return super().get_context_data(page_title=_("我的考勤"), dispatch=None, **kwargs)
        month = self._month_for(self.request, dispatch)
        summary = selectors.cadre_month(dispatch, month)
        is_owner = dispatch.cadre.user_id == user.pk
        can_edit = (is_owner or may(user, MANAGE_STATIONED, dispatch)) and not summary.is_locked
        start, end = selectors.term_of(dispatch)
        previous, following = selectors.shift_month(month, -1), selectors.shift_month(month, 1)
        for cell in summary.days:
            cell.name = selectors.day_name(cell.day)
            cell.kind = selectors.day_kind(cell.day)
            cell.choices = attendance.settable_statuses(cell.day.is_workday)
            cell.editable = (
                can_edit
                and cell.in_term
                and not cell.is_future
                and not (cell.record and cell.record.status == DayStatus.LEAVE)
            )
        title = _("我的考勤") if is_owner else _("%(name)s 的考勤") % {"name": dispatch.cadre.name}
        return super().get_context_data(
            page_title=f"{title} · {month:%Y-%m}",
            dispatch=dispatch,
            summary=summary,
            month=month,
            is_owner=is_owner,
            can_edit=can_edit,
            can_submit=is_owner and not summary.is_locked and summary.today >= min(month_bounds(month)[1], end),
            submit_from=min(month_bounds(month)[1], end),
            can_correct=may(user, COORDINATE_COUNTY, dispatch),
            term=(start, end),
            statuses=selectors.STATUS_CODES.items(),
            previous=previous if previous >= start.replace(day=1) else None,
            following=following if following <= end.replace(day=1) else None,
            back_param="" if is_owner else f"dispatch={dispatch.pk}&",
            weekdays=WEEKDAYS,
            rules=_rules(),
            **kwargs,
        )


WEEKDAYS = [
    gettext_lazy("一"),
    gettext_lazy("二"),
    gettext_lazy("三"),
    gettext_lazy("四"),
    gettext_lazy("五"),
    gettext_lazy("六"),
    gettext_lazy("日"),
]


def _rules() -> dict:
    return {"month": policy("MIN_DAYS_IN_VILLAGE_PER_MONTH"), "year": policy("MIN_DAYS_IN_VILLAGE_PER_YEAR")}


# --- The township's month grid (R-M2a, R-M3) -----------------------------------------------------------


def _township_for(request) -> Township:
    """`?township=` if the user may see it, else the one they manage, else the first they may see; 403 if none."""
    user = request.user
    townships = Township.objects.select_related("county").order_by("code")
    allowed = visible_to(user, townships)
    wanted = request.GET.get("township", "")
    if wanted:
        township = allowed.filter(pk=wanted).first() if wanted.isdigit() else None
    else:
        township = acting_on(user, MANAGE_STATIONED, townships).first() or allowed.first()
    if township is None:
        raise PermissionDenied(_("您无权查看该乡镇的考勤。"))
    return township


class GridView(ExportMixin, AttendancePage, TemplateView):
    """The township's month: its cadres × the days, totals against targets, one button confirms all."""

    template_name = "leave/attendance/grid.html"
    nav_name = "leave:grid"

    def export_tables(self, request, *args, **kwargs):
        township = _township_for(request)
        month = selectors.parse_month(request.GET.get("month"))
        grid = selectors.township_month_grid(township, month)
        return exports.month_grid(grid), file_name(_("驻村干部月度考勤"), township.name, f"{month:%Y-%m}")

    def post(self, request, *args, **kwargs):
        township = _township_for(request)
        if not may(request.user, MANAGE_STATIONED, township):
            raise PermissionDenied(_("只有本乡镇党委可以确认和更改考勤。"))
        month = selectors.parse_month(request.GET.get("month"))
        back = f"{reverse('leave:grid')}?township={township.pk}&month={_month_param(month)}"
        action = request.POST.get("action")
        try:
            if action == "confirm":
                rows = attendance.month_confirm(township=township, month=month, by=request.user)
                messages.success(
                    request,
                    _("已确认 %(month)s 的考勤(%(n)s 名干部),本月考勤已锁定。")
                    % {"month": _month_param(month), "n": len(rows)},
                )
            elif action == "fill_unreported":
                in_month = list(selectors.dispatches_in_month(month).filter(village__township=township))
                form = leave_forms.FillUnreportedForm(request.POST, dispatches=in_month)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                data = form.cleaned_data
                chosen = [d for d in in_month if d.pk in set(data["dispatch"])]
                filled = attendance.month_fill_unreported(
                    township=township, month=month, status=data["status"], dispatches=chosen, by=request.user
                )
                messages.success(
                    request,
                    _(
                        "已将 %(cadres)s 名干部未填报的 %(n)s 个工作日登记为“%(status)s”(休息日登记为休息),"
                        "记为乡镇党委的登记并记入审计记录。"
                    )
                    % {
                        "cadres": len(filled),
                        "n": sum(len(days) for days in filled.values()),
                        "status": DayStatus(data["status"]).label,
                    },
                )
            elif action == "cell":
                form = leave_forms.CellForm(request.POST)
                if not form.is_valid():
                    raise ValidationError([e for errors in form.errors.values() for e in errors])
                data = form.cleaned_data
                dispatch = get_object_or_404(
                    Dispatch.objects.select_related("cadre", "unit", "village__township"),
                    pk=data["dispatch"],
                    village__township=township,
                )
                record = attendance.day_set(
                    dispatch=dispatch, day=data["day"], status=data["status"], by=request.user, note=data["note"]
                )
                messages.success(
                    request,
                    _("%(name)s %(date)s 已登记为“%(status)s”。")
                    % {
                        "name": dispatch.cadre.name,
                        "date": record.date.isoformat(),
                        "status": record.get_status_display(),
                    },
                )
            else:
                return HttpResponseBadRequest()
        except ValidationError as error:
            _show_error(request, error)
        return HttpResponseRedirect(f"{back}#messages")

    def get_context_data(self, **kwargs):
        user = self.request.user
        township = _township_for(self.request)
        month = selectors.parse_month(self.request.GET.get("month"))
        grid = selectors.township_month_grid(township, month)
        can_manage = may(user, MANAGE_STATIONED, township)
        columns = [
            {
                "day": d,
                "name": selectors.day_name(d),
                "kind": selectors.day_kind(d),
                "weekday": WEEKDAYS[d.date.weekday()],
            }
            for d in grid.days
        ]
        return super().get_context_data(
            page_title=_("考勤确认") + f" · {township.name} · {month:%Y-%m}",
            township=township,
            grid=grid,
            month=month,
            columns=columns,
            can_manage=can_manage,
            townships=visible_to(user, Township.objects.order_by("code")),
            previous=selectors.shift_month(month, -1),
            following=selectors.shift_month(month, 1),
            statuses=selectors.STATUS_CODES.items(),
            rules=_rules(),
            editable_rows=[r for r in grid.rows if not r.is_locked] if can_manage else [],
            unreported_total=sum(len(r.unreported) for r in grid.unreported),
            unreported_fills=attendance.UNREPORTED_FILLS,
            cell_statuses=attendance.settable_statuses(True) + [DayStatus.HOLIDAY],
            cell_max=min(grid.days[-1].date, grid.today),
            **kwargs,
        )


# --- The county's compliance page (R-M1, R-M3) ----------------------------------------------------------


def _county_for(request, perm: str | None = None) -> County:
    """The county the page is about (`?county=` or the user's); 403 when the user holds nothing on it."""
    counties = County.objects.order_by("code")
    counties = acting_on(request.user, perm, counties) if perm else visible_to(request.user, counties)
    wanted = request.GET.get("county", "")
    county = (counties.filter(pk=wanted) if wanted.isdigit() else counties).first()
    if county is None:
        raise PermissionDenied(_("只有县委组织部可以进行此操作。") if perm else _("您无权查看此页面。"))
    return county


class ComplianceView(ExportMixin, AttendancePage, TemplateView):
    """Per township: days in the village against targets, cadres at risk, absences at both ends (R-M1, R-M3)."""

    template_name = "leave/attendance/compliance.html"
    nav_name = "leave:compliance"

    @staticmethod
    def report(county: County, month: datetime.date) -> tuple[selectors.CountyCompliance, dict]:
        """The page's figures: the county's report and its totals over the townships."""
        report = selectors.county_compliance(county, month)
        totals = {
            key: sum(getattr(t, key) for t in report.townships)
            for key in (
                "cadres",
                "present",
                "target",
                "met",
                "at_risk",
                "missed",
                "absences",
                "unrecorded",
                "confirmed",
            )
        }
        return report, totals

    def export_tables(self, request, *args, **kwargs):
        county = _county_for(request)
        month = selectors.parse_month(request.GET.get("month"))
        return exports.compliance(*self.report(county, month)), file_name(_("驻村干部考勤达标情况"), f"{month:%Y-%m}")

    def get_context_data(self, **kwargs):
        county = _county_for(self.request)
        month = selectors.parse_month(self.request.GET.get("month"))
        report, totals = self.report(county, month)
        return super().get_context_data(
            page_title=_("在村天数达标") + f" · {county.name} · {month:%Y-%m}",
            county=county,
            report=report,
            month=month,
            totals=totals,
            rules=_rules(),
            previous=selectors.shift_month(month, -1),
            following=selectors.shift_month(month, 1),
            can_correct=may(self.request.user, COORDINATE_COUNTY, county),
            **kwargs,
        )


# --- The org dept's corrections (R-M2a) -----------------------------------------------------------------


class DayCorrectView(AttendancePage, ServiceFormView):
    """The org dept corrects one day of a cadre, also in a confirmed month, with a reason (R-M2a, R-X1)."""

    form_class = leave_forms.DayCorrectForm
    template_name = "leave/attendance/correct.html"
    nav_name = "leave:compliance"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.target = get_object_or_404(
            Dispatch.objects.select_related("cadre", "unit", "village__township"),
            pk=kwargs["dispatch"],
            state__in=selectors.ONCE_STATIONED,
        )
        if not may(request.user, COORDINATE_COUNTY, self.target):
            raise PermissionDenied(_("只有县委组织部可以更正考勤。"))
        self.day = date_from_text(kwargs["day"])
        self.calendar_day = days_between(self.day, self.day, selectors.county_id_of(self.target))[0]
        self.record = self.target.days.filter(date=self.day).first()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "is_workday": self.calendar_day.is_workday}

    def get_context_data(self, **kwargs):
        states = selectors.month_states([self.target.pk], self.day.replace(day=1))
        return super().get_context_data(
            page_title=_("更正考勤") + f" · {self.target.cadre.name} · {self.day.isoformat()}",
            target=self.target,
            day=self.day,
            record=self.record,
            calendar_day=self.calendar_day,
            day_name=selectors.day_name(self.calendar_day),
            locked=states[self.target.pk] == "confirmed",
            back_url=self.get_success_url(),
            **kwargs,
        )

    def perform(self, form):
        record = attendance.day_correct(
            dispatch=self.target,
            day=self.day,
            status=form.cleaned_data["status"],
            by=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        self.success_message = _("已将 %(name)s %(date)s 更正为“%(status)s”,已记入审计记录。") % {
            "name": self.target.cadre.name,
            "date": self.day.isoformat(),
            "status": record.get_status_display(),
        }
        return record

    def get_success_url(self):
        return calendar_url(self.target, self.day.replace(day=1)) + f"#d-{self.day.isoformat()}"


class HolidaysView(AttendancePage, TemplateView):
    """The year's official holidays and adjusted working days, the county's corrections, and a form to add one."""

    template_name = "leave/attendance/holidays.html"
    nav_name = "leave:holidays"

    def _year(self) -> int:
        return read_year(self.request.GET, default=timezone.localdate().year)

    def post(self, request, *args, **kwargs):
        county = _county_for(request)
        if not may(request.user, COORDINATE_COUNTY, county):
            raise PermissionDenied(_("只有县委组织部可以更正节假日安排。"))
        form = leave_forms.CorrectionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                attendance.calendar_correct(
                    county=county, day=data["day"], is_workday=data["is_workday"], note=data["note"], by=request.user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _("已将 %(date)s 更正为%(kind)s。")
                    % {"date": data["day"].isoformat(), "kind": _("工作日") if data["is_workday"] else _("休息日")},
                )
                return HttpResponseRedirect(f"{reverse('leave:holidays')}?year={data['day'].year}")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        county = _county_for(self.request)
        year = self._year()
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        corrections = list(CalendarCorrection.objects.filter(county=county, date__range=(first, last)))
        corrected = {c.date for c in corrections}
        days = days_between(first, last, county.pk)
        special = [
            {"day": d, "name": selectors.day_name(d), "kind": selectors.day_kind(d), "corrected": d.date in corrected}
            for d in days
            if selectors.day_kind(d) in ("holiday", "adjusted") or d.date in corrected
        ]
        kwargs.setdefault("form", leave_forms.CorrectionForm(initial={"is_workday": "0"}))
        return super().get_context_data(
            page_title=_("节假日更正") + f" · {county.name} · {year}",
            county=county,
            year=year,
            corrections=corrections,
            special=special,
            published=all(d.official for d in days),
            workdays=sum(1 for d in days if d.is_workday),
            can_correct=may(self.request.user, COORDINATE_COUNTY, county),
            years=[year - 1, year + 1],
            **kwargs,
        )


# --- Where the app's index sends each role ---------------------------------------------------------------


class IndexRedirectView(LandingRedirectView):
    """The cadre to their calendar, the township to its grid, the org dept and the auditor to compliance, the unit
    to its visits; anyone else has no page here, and the menu does not show the area to them."""

    refusal = gettext_lazy("您没有可以打开的驻村管理页面。")

    @staticmethod
    def landing(user) -> str | None:
        # The tiers' pages first: the grants are read once for the whole menu, the cadre's dispatch is a query.
        grants = granted_tier_pks(user, {"township": MANAGE_STATIONED, "county": VIEW_COUNTY, "unit": VIEW_UNIT})
        if grants["township"]:
            return "leave:grid"
        if grants["county"]:
            return "leave:compliance"
        if selectors.current_dispatch_of(user) is not None:
            return "leave:calendar"
        if grants["unit"]:
            return "leave:visits"
        return None
