"""Training batches and who waits for one (R-S8)."""

from __future__ import annotations

from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from dispatch.models import (
    Dispatch,
    DispatchState,
    TrainingBatch,
)
from workflows.models import County


def training_batches_in(county: County) -> QuerySet[TrainingBatch]:
    """The county's training batches with how many cadres were enrolled and have completed (R-S8)."""
    return (
        TrainingBatch.objects.filter(county=county)
        .annotate(
            enrolled=Count("dispatches"),
            completed=Count("dispatches", filter=Q(dispatches__training_completed_on__isnull=False)),
        )
        .order_by("-starts_on", "-pk")
    )


def approved_awaiting_training(county: County) -> QuerySet[Dispatch]:
    """Approved dispatches of the county not yet in a training batch, reserve cadres first (R-S3, R-S8)."""
    return (
        Dispatch.objects.filter(unit__county=county, state=DispatchState.APPROVED)
        .select_related("cadre", "unit", "village__township")
        .order_by("-cadre__is_reserve", "-cadre__is_key_cultivation", "unit__code", "cadre__name")
    )


def batch_members(batch: TrainingBatch) -> QuerySet[Dispatch]:
    """The cadres placed in a training batch, reserve cadres first (R-S8)."""
    return (
        Dispatch.objects.filter(training_batch=batch)
        .select_related("cadre", "unit", "village__township")
        .order_by("-cadre__is_reserve", "-cadre__is_key_cultivation", "unit__code", "cadre__name")
    )
