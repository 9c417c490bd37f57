"""A round's year-end appraisal report as a page, an xlsx sheet and a filed PDF (R-A2, R-O4).

The county's readers (org dept, auditor) report on the whole round. A township committee or a unit gets the rows
of its own cadres only, as on the round's other pages, and the subtitle says so; anyone else gets 403.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from appraisal import reports, selectors
from appraisal.views.org import RoundPage
from workflows.pdf_tables import PdfFontMissing
from workflows.reports import preview, report_download, report_format


class RoundReportView(RoundPage):
    """One row per cadre of the round in the user's tier, totals at the foot, to preview and download (R-A2)."""

    template_name = "appraisal/reports/round_report.html"
    nav_name = "round_report"

    def get(self, request, *args, **kwargs):
        county_reader = self.round.county_id in self.grants["county"]
        table = reports.round_report(self.round, selectors.appraisals_visible_to(request.user))
        subtitle = reports.round_subtitle(self.round, "" if county_reader else _("仅含本单位(本乡镇)的驻村干部"))
        error = ""
        fmt = report_format(request)
        if fmt:
            filename = _("%(round)s结果汇总表") % {"round": self.round.title}
            try:
                return report_download(fmt, table, filename=filename, subtitle=subtitle, widths=reports.PDF_WIDTHS)
            except PdfFontMissing as missing:
                error = str(missing)
        return self.render(
            {"report": preview(table), "subtitle": subtitle, "error": error, "county_reader": county_reader},
            status=503 if error else 200,
        )
