"""Links to a cadre's record, certificate and promotion answer, shown only to those whose pages would open (R-A4)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from appraisal import selectors
from appraisal.views.record import may_certify
from workflows.models import Cadre
from workflows.permissions import may_view

register = template.Library()


@register.inclusion_tag("appraisal/record/_links.html", takes_context=True)
def record_links(context, cadre: Cadre | None) -> dict:
    """The record page for whoever may read the cadre; the certificate for whoever may have it, once it may be had."""
    user = context["request"].user
    if cadre is None or not may_view(user, cadre):
        return {"record_url": None}
    own = cadre.user_id == user.pk
    certify = may_certify(user, cadre)
    return {
        "record_url": reverse("appraisal:my_record") if own else reverse("appraisal:cadre_record", args=[cadre.pk]),
        "own": own,
        "can_certify": certify,
        "certificate_url": reverse("appraisal:certificate", args=[cadre.pk]),
        "certifiable": certify and bool(selectors.certified(selectors.experience_of(cadre))),
    }
