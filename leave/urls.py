"""The stationed-management pages: attendance, leave, oversight and the reports, in one list."""

from django.urls import path

from leave.views import attendance, bulk, leave, oversight

urlpatterns = [
    path("", attendance.IndexRedirectView.as_view(), name="index"),
    path("attendance/calendar/", attendance.CalendarView.as_view(), name="calendar"),
    path("attendance/grid/", attendance.GridView.as_view(), name="grid"),
    path("attendance/compliance/", attendance.ComplianceView.as_view(), name="compliance"),
    path("attendance/correct/<int:dispatch>/<str:day>/", attendance.DayCorrectView.as_view(), name="day_correct"),
    path("attendance/holidays/", attendance.HolidaysView.as_view(), name="holidays"),
    path("leave/", leave.LeaveView.as_view(), name="leave"),
    path("leave/<int:pk>/withdraw/", leave.LeaveWithdrawView.as_view(), name="leave_withdraw"),
    path("leave/township/", leave.LeaveListView.as_view(), name="leave_list"),
    path("leave/bulk/", bulk.LeaveBulkView.as_view(), name="leave_bulk"),
    path("visits/", oversight.VisitsView.as_view(), name="visits"),
    path("visits/overview/", oversight.VisitsOverviewView.as_view(), name="visits_overview"),
    path("inspections/", oversight.InspectionsView.as_view(), name="inspections"),
    path("inspections/new/", oversight.InspectionCreateView.as_view(), name="inspection_new"),
    path("inspections/<int:pk>/", oversight.InspectionDetailView.as_view(), name="inspection"),
    path("circulars/", oversight.CircularsView.as_view(), name="circulars"),
    path("circulars/new/", oversight.CircularCreateView.as_view(), name="circular_new"),
    path("circulars/<int:pk>/", oversight.CircularDetailView.as_view(), name="circular"),
]
