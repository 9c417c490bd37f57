"""The appraisal pages; the villagers' ballot is mounted apart, at /vote/ (`vote_urlpatterns`)."""

from django.urls import path

from appraisal.views import bulk, org, public, record, reports

urlpatterns = [
    path("", org.IndexRedirectView.as_view(), name="index"),
    path("rounds/", org.RoundsView.as_view(), name="rounds"),
    path("rounds/<int:pk>/", org.RoundDetailView.as_view(), name="round_detail"),
    path("rounds/<int:pk>/close/", org.RoundCloseView.as_view(), name="round_close"),
    path("rounds/<int:pk>/appraisals/", org.RoundAppraisalsView.as_view(), name="round_appraisals"),
    path("rounds/<int:pk>/finalise/", bulk.FinaliseBulkView.as_view(), name="round_finalise"),
    path("rounds/<int:pk>/ballots/", org.RoundBallotsView.as_view(), name="round_ballots"),
    path("ballots/<int:pk>/pdf/", org.BatchPdfView.as_view(), name="batch_pdf"),
    path("appraisals/<int:pk>/paper/", org.PaperSessionsView.as_view(), name="paper_sessions"),
    path("appraisals/<int:pk>/reopen/", org.AppraisalReopenView.as_view(), name="appraisal_reopen"),
    path("appraisals/<int:pk>/cancel/", org.AppraisalCancelView.as_view(), name="appraisal_cancel"),
    path("record/", record.MyRecordView.as_view(), name="my_record"),
    path("record/<int:cadre_pk>/", record.CadreRecordView.as_view(), name="cadre_record"),
    path("record/<int:cadre_pk>/certificate.pdf", record.CertificateView.as_view(), name="certificate"),
    path("promotion/", record.PromotionView.as_view(), name="promotion"),
    path("rounds/<int:pk>/report/", reports.RoundReportView.as_view(), name="round_report"),
]

#: The villagers' ballot, under the "vote" namespace at /vote/ (R-A5).
vote_urlpatterns = [path("", public.BallotView.as_view(), name="ballot")]
