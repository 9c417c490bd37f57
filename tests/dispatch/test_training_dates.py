"""Training completion is recorded only once the course has run: not before it starts, not in the future (R-S8)."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dispatch import services
from dispatch.models import Dispatch, DispatchState
from tests.dispatch.test_quota_coverage_training import advance
from workflows.models import AuditEvent

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
STARTS, ENDS = datetime.date(2026, 12, 6), datetime.date(2026, 12, 10)


@pytest.fixture
def trainee(world):
    """An approved cadre enrolled in a batch of 12-06 to 12-10."""
    org = world["people"]["org"]
    batch = services.training_batch_create(
        county=world["county"],
        year=2026,
        name="2026年第二期岗前培训班",
        starts_on=STARTS,
        ends_on=ENDS,
        content="农村政策",
        by=org,
    )
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    [dispatch] = services.dispatch_enrol(dispatches=[approved], batch=batch, by=org)
    return dispatch


def _on(time_machine, day: datetime.date) -> None:
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI))


def _refused(world, trainee, completed_on, message):
    with pytest.raises(ValidationError) as info:
        services.dispatch_complete_training(dispatches=[trainee], completed_on=completed_on, by=world["people"]["org"])
    assert message in " ".join(info.value.messages)
    assert Dispatch.objects.get(pk=trainee.pk).training_completed_on is None
    assert not AuditEvent.objects.filter(action="dispatch.training_completed").exists()


def test_r_s8_a_completion_dated_before_the_batch_starts_is_refused(world, trainee, time_machine):
    _on(time_machine, datetime.date(2026, 12, 3))
    _refused(world, trainee, datetime.date(2026, 12, 3), "结业日期不能早于开班日期。")


def test_r_s8_a_completion_dated_in_the_future_is_refused(world, trainee, time_machine):
    _on(time_machine, datetime.date(2026, 12, 3))
    _refused(world, trainee, ENDS, "结业日期 2026-12-10 晚于今天(2026-12-03)")


def test_r_s8_a_completion_during_the_course_up_to_today_is_recorded(world, trainee, time_machine):
    _on(time_machine, datetime.date(2026, 12, 11))
    [done] = services.dispatch_complete_training(dispatches=[trainee], completed_on=ENDS, by=world["people"]["org"])
    assert Dispatch.objects.get(pk=done.pk).training_completed_on == ENDS


def test_r_s8_the_batch_page_offers_no_completion_before_the_course_starts_and_refuses_one(
    client, world, trainee, time_machine
):
    _on(time_machine, datetime.date(2026, 12, 3))
    client.force_login(world["people"]["org"])
    url = reverse("dispatch:training_batch", args=[trainee.training_batch_id])
    page = client.get(url).content.decode()
    assert "本期培训 2026-12-06 开班,培训结束后才能登记结业" in page and 'name="completed_on"' not in page
    response = client.post(url, {"action": "complete", "dispatches": [trainee.pk], "completed_on": "2026-12-03"})
    assert response.status_code == 200
    assert "结业日期不能早于开班日期。" in response.content.decode()
    assert Dispatch.objects.get(pk=trainee.pk).training_completed_on is None


def test_r_s8_the_batch_page_proposes_a_completion_date_no_later_than_today(client, world, trainee, time_machine):
    _on(time_machine, datetime.date(2026, 12, 8))
    client.force_login(world["people"]["org"])
    page = client.get(reverse("dispatch:training_batch", args=[trainee.training_batch_id])).content.decode()
    assert 'min="2026-12-06" max="2026-12-08" value="2026-12-08"' in page
