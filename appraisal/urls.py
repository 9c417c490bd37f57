"""The appraisal pages, gathered from the page modules of each area; the villagers' ballot lives at /vote/."""

from appraisal import views_org, views_record, views_reports

urlpatterns = [*views_org.urlpatterns, *views_record.urlpatterns, *views_reports.urlpatterns]
