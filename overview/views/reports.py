"""The monthly attendance report of a township as a page, an xlsx sheet and a filed PDF (R-M1, R-O4).

A township committee reports on its own township; the org dept and the auditor on any township of their county.
A unit gets 403: the report is the township's filing, and a unit's cadres are spread over many townships (it reads
them on their calendars).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from appraisal.selectors import rounds_visible_to
from leave import reports
from leave.selectors import attendance as selectors
from leave.views.attendance import AttendancePage
from overview.forms import ReportForm
from workflows.models import Township
from workflows.pdf_tables import PdfFontMissing
from workflows.permissions import MANAGE_STATIONED, acting_on, visible_to
from workflows.reports import preview, report_download, report_format


def _default_month(today: datetime.date) -> datetime.date:
    """The month a report is usually filed for: the one that has just ended."""
    return selectors.shift_month(today.replace(day=1), -1)


class AttendanceReportView(AttendancePage, TemplateView):
    """One township's month, one row per cadre and totals at the foot, to preview and download (R-M1)."""

    template_name = "leave/reports/attendance_report.html"
    nav_name = "leave:attendance_report"

    def get(self, request, *args, **kwargs):
        townships = visible_to(request.user, Township.objects.select_related("county").order_by("code"))
        wanted = request.GET.get("township", "")
        if wanted:
            township = townships.filter(pk=wanted).first() if wanted.isdigit() else None
        else:
            township = acting_on(request.user, MANAGE_STATIONED, townships).first() or townships.first()
        if township is None:
            raise PermissionDenied(_("只有乡镇党委、县委组织部和审计人员可以查看考勤月报。"))
        raw_month = request.GET.get("month", "")
        month = selectors.parse_month(raw_month) if raw_month else _default_month(timezone.localdate())
        table = reports.monthly_attendance_report(township, month)
        subtitle = reports.attendance_subtitle(township, month)
        fmt = report_format(request)
        error = ""
        if fmt:
            filename = _("驻村干部在村情况统计表-%(township)s-%(month)s") % {
                "township": township.name,
                "month": f"{month:%Y-%m}",
            }
            try:
                return report_download(fmt, table, filename=filename, subtitle=subtitle, widths=reports.PDF_WIDTHS)
            except PdfFontMissing as missing:
                error = str(missing)
        form = ReportForm(initial={"township": township, "month": f"{month:%Y-%m}"}, townships=townships)
        query = f"township={township.pk}&month={month:%Y-%m}"
        context = self.get_context_data(
            page_title=_("考勤月报") + f" · {township.name} · {month:%Y-%m}",
            form=form,
            township=township,
            month=month,
            report=preview(table),
            subtitle=subtitle,
            query=query,
            previous=selectors.shift_month(month, -1),
            following=selectors.shift_month(month, 1),
            rounds=list(rounds_visible_to(request.user)[:5]),
            error=error,
        )
        return self.render_to_response(context, status=503 if error else 200)
