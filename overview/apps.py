"""App config for the readers of every process: the home page, the dashboard, the cross-process reports."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    name = "overview"
    verbose_name = _("总览")
