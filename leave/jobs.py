"""The leave process's daily jobs, for the scheduler or cron (issue 13)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from leave.services import leave as leaves


def leave_begin(*, on: datetime.date) -> str:
    """Start approved leave whose first day has come (R-M2); a second run the same day does nothing."""
    begun = leaves.leave_begin_due(on=on)
    return _("共 %(n)s 条请假开始休假。") % {"n": len(begun)}
