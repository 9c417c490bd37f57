"""The dispatch process's records: for now, the org dept's pairing of units with villages (R-S6)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.models import Unit, Village


class Pairing(models.Model):
    """The org dept pairs a unit with a village that the unit sends cadres to, for a year (R-S6)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("单位"))
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="pairings", verbose_name=_("村"))
    year = models.PositiveSmallIntegerField(_("年度"))
    created_at = models.DateTimeField(_("结对时间"), auto_now_add=True)

    tier_paths = {"unit": "unit_id", "township": "village__township_id", "county": "unit__county_id"}

    class Meta:
        verbose_name = _("单位结对村")
        verbose_name_plural = _("单位结对村")
        ordering = ["year", "unit", "village"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "village", "year"], name="one_pairing_per_unit_village_year")
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.village}({self.year})"
