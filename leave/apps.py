"""App config for attendance and leave while stationed (R-M1 … R-M3)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeaveConfig(AppConfig):
    name = "leave"
    verbose_name = _("考勤与请假")
