"""Figures as the dashboard writes them: percentages like 87.5%, months like 2026年11月."""

from django import template
from django.template.defaultfilters import floatformat

from overview.dashboard import month_label

register = template.Library()


@register.filter
def percent(value) -> str:
    """87.5 → "87.5%", 100.0 → "100%", None (no whole to divide by) → "—"."""
    if value is None or value == "":
        return "—"
    return f"{floatformat(value, -1)}%"


@register.filter(name="month_label")
def month_label_filter(value) -> str:
    return month_label(value) if value else ""
