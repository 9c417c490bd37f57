"""App config for the year-end appraisal (R-A1 … R-A5)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    name = "appraisal"
    verbose_name = _("考评")
