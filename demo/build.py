"""Build the whole demo county in one transaction: tiers and people, this year's round, appraisals, the term so far."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from demo.appraisal import appraisal_demo_build
from demo.county import county_build, plan_county
from demo.dispatch import dispatch_demo_build
from demo.leave import leave_demo_build
from workflows.models import County


@dataclass
class DemoResult:
    """What the build found and what it added."""

    county: County
    created: dict[str, int]


def demo_county_build(*, today: datetime.date | None = None) -> DemoResult:
    """Create whatever of the demo county is missing; a second run adds nothing (R-O1, R-O2, R-O3, R-S1)."""
    today = today or timezone.localdate()
    plan = plan_county(today)
    with transaction.atomic():
        county, created = county_build(plan=plan, today=today)
        created.update(dispatch_demo_build(county=county, plan=plan, today=today))
        for part in (appraisal_demo_build, leave_demo_build):
            for key, count in part(county=county, today=today).items():
                created[key] = created.get(key, 0) + count
    return DemoResult(county=county, created=created)
