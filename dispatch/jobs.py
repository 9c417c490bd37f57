"""The dispatch process's daily jobs, for the scheduler or cron (issue 13)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from dispatch import services


def quota_check(*, on: datetime.date) -> str:
    """Record the sanctions of quotas whose confirmed deadline has passed (R-S5); each quota once."""
    sanctions = services.quota_enforce(on=on, by=None, county=None)
    if not sanctions:
        return _("没有需要新增处理的单位。")
    return _("共 %(n)s 个单位未完成选派任务,已记录处理。") % {"n": len(sanctions)}
