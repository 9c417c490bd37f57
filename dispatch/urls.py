"""The dispatch app's pages: the unit's, the org dept's, then the township's."""

from django.urls import path

from dispatch.views import bulk, org, township, unit

urlpatterns = [
    path("", unit.DispatchListView.as_view(), name="list"),
    path("nominate/", unit.NominateView.as_view(), name="nominate"),
    path("approve/", bulk.NominationsBulkView.as_view(), name="bulk_approve"),
    path("<int:pk>/", unit.DispatchDetailView.as_view(), name="detail"),
    path("<int:pk>/withdraw/", unit.withdraw, name="withdraw"),
    path("<int:pk>/recall/", unit.recall_propose, name="recall_propose"),
    path("org/pairings/", org.PairingsView.as_view(), name="pairings"),
    path("org/pairings/<int:pk>/remove/", org.pairing_remove, name="pairing_remove"),
    path("org/quotas/enforce/", org.QuotaEnforceView.as_view(), name="quota_enforce"),
    path("org/sanctions/<int:pk>/revoke/", org.SanctionRevokeView.as_view(), name="sanction_revoke"),
    path("org/eligibility/", org.EligibilityView.as_view(), name="eligibility"),
    path("org/coverage/", org.CoverageView.as_view(), name="coverage"),
    path("org/training/", org.TrainingListView.as_view(), name="training"),
    path("org/training/new/", org.TrainingCreateView.as_view(), name="training_new"),
    path("org/training/<int:pk>/", org.TrainingBatchView.as_view(), name="training_batch"),
    path("township/team/", township.TeamView.as_view(), name="team"),
    path("township/team/groups/new/", township.WorkGroupFormView.as_view(), name="work_group_create"),
    path("township/team/groups/<int:pk>/", township.WorkGroupFormView.as_view(), name="work_group_edit"),
    path("apply/", township.ApplyView.as_view(), name="apply"),
    path("applications/", township.ApplicationsView.as_view(), name="applications"),
    path("applications/<int:pk>/", township.ApplicationDecideView.as_view(), name="application_decide"),
]
