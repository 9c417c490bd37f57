"""Leave's writes, by concern: attendance, leave, oversight (visits, inspections, circulars)."""

from leave.services.attendance import (
    MAX_NOTE,
    UNREPORTED_FILLS,
    calendar_correct,
    day_correct,
    day_set,
    default_status,
    month_confirm,
    month_fill_defaults,
    month_fill_unreported,
    month_submit,
    settable_statuses,
)
from leave.services.bulk import leave_approve_many
from leave.services.leave import (
    EARLY_NOTE,
    LATE_NOTE,
    leave_begin_due,
    leave_close,
    leave_decide,
    leave_report_back,
    leave_request,
    leave_withdraw,
)
from leave.services.oversight import (
    circular_issue,
    inspection_record,
    visit_record,
)

__all__ = [
    "EARLY_NOTE",
    "LATE_NOTE",
    "MAX_NOTE",
    "UNREPORTED_FILLS",
    "calendar_correct",
    "circular_issue",
    "day_correct",
    "day_set",
    "default_status",
    "inspection_record",
    "leave_approve_many",
    "leave_begin_due",
    "leave_close",
    "leave_decide",
    "leave_report_back",
    "leave_request",
    "leave_withdraw",
    "month_confirm",
    "month_fill_defaults",
    "month_fill_unreported",
    "month_submit",
    "settable_statuses",
    "visit_record",
]
