"""The org dept's dashboard: the county at a glance, each figure a link to the list behind it (R-S5 … R-A2).

Read by those holding VIEW_COUNTY or COORDINATE_COUNTY on a county (the org dept and the auditor);
everyone else gets 403. The figures come from `overview.dashboard`; this module only lays them out
and hands the charts their data.
"""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from appraisal.models import Grade
from leave.selectors.attendance import parse_month, shift_month
from overview import dashboard
from workflows.models import County
from workflows.params import read_year


def _year(params, default: int) -> int:
    return read_year(params, default=default)


def _charts(
    coverage: dashboard.CoveragePanel, attendance: dashboard.AttendancePanel, appraisal: dashboard.AppraisalPanel
) -> dict:
    """What the page's charts draw; the same numbers are in the tables beside them."""
    grades = [
        {
            "label": str(Grade(grade).label),
            "grade": grade,
            "data": [r.progress.grades.get(grade, 0) for r in appraisal.rounds],
        }
        for grade in Grade.values
    ]
    grades.append({"label": _("未审定"), "grade": "", "data": [r.not_finalised for r in appraisal.rounds]})
    return {
        "coverage": {
            "labels": [t.name for t in coverage.townships],
            "values": [t.share.percent for t in coverage.townships],
            "label": _("重点村覆盖率"),
        },
        "compliance": {
            "labels": [t.township.name for t in attendance.townships],
            "values": [t.share.percent for t in attendance.townships],
            "label": _("达标率"),
        },
        "trend": {
            "labels": [m.label for m in attendance.trend],
            "values": [m.share.percent for m in attendance.trend],
            "label": _("全县达标率"),
        },
        "grades": {"labels": [r.round.title for r in appraisal.rounds], "datasets": grades},
    }


class DashboardView(LoginRequiredMixin, TemplateView):
    """Coverage, quotas, attendance, leave, visits and appraisal of one county, on one page."""

    template_name = "workflows/dashboard.html"

    @staticmethod
    def admits(user) -> bool:
        """Whether the page opens to the user: the org dept's and the auditors' (R-O4); the menu asks it too."""
        return bool(dashboard.dashboard_counties(user))

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.counties = list(County.objects.filter(pk__in=dashboard.dashboard_counties(request.user)).order_by("code"))
        wanted = request.GET.get("county", "")
        chosen = [c for c in self.counties if str(c.pk) == wanted] if wanted else self.counties
        if not chosen:
            raise PermissionDenied(_("只有县委组织部和审计人员可以查看工作总览。"))
        self.county = chosen[0]
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        params, county, today = self.request.GET, self.county, timezone.localdate()
        month = parse_month(params.get("month"), default=today)
        year = _year(params, month.year)
        coverage = dashboard.coverage_panel(county, year)
        quotas = dashboard.quota_panel(county, year, today=today)
        attendance = dashboard.attendance_panel(county, month, today=today)
        leave = dashboard.leave_panel(county, attendance)
        visits = dashboard.visits_panel(county, today=today)
        appraisal = dashboard.appraisal_panel(county)
        return super().get_context_data(
            county=county,
            counties=self.counties,
            today=today,
            # The county goes into the period links only when the user reads more than one.
            county_param=f"county={county.pk}&" if len(self.counties) > 1 else "",
            month=month,
            month_param=f"{month:%Y-%m}",
            previous=shift_month(month, -1),
            following=shift_month(month, 1),
            year=year,
            years=[year - 1, year, year + 1],
            coverage=coverage,
            quotas=quotas,
            attendance=attendance,
            leave=leave,
            visits=visits,
            appraisal=appraisal,
            latest_round=appraisal.rounds[0] if appraisal.rounds else None,
            charts=_charts(coverage, attendance, appraisal),
            # Room for one bar per township, or per round, and the axis.
            townships_height=50 + 30 * max(len(coverage.townships), len(attendance.townships), 2),
            grades_height=90 + 48 * len(appraisal.rounds),
            **kwargs,
        )
