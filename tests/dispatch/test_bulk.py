"""Nominations approved many at once: each its own approval, audit event and flow step (R-S1, R-S3, R-S4, R-O4)."""

import pytest
from django.urls import reverse

from dispatch import services
from dispatch.flows import DispatchFlow
from dispatch.models import Dispatch, DispatchState, Exclusion, Pairing
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.flows import open_task
from workflows.models import AuditEvent

S = DispatchState
URL = reverse("dispatch:bulk_approve")
YEAR = 2026


@pytest.fixture
def w(world):
    """Nominations waiting: unit_a's reserve cadre_a and two plain cadres, unit_b's cadre_b."""
    w = dict(world)
    p = w["people"]
    w["village_a3"] = VillageFactory(township=w["town_a"], name="南关村")
    Pairing.objects.create(unit=w["unit_a"], village=w["village_a3"], year=YEAR)
    w["plain_a2"] = CadreFactory(unit=w["unit_a"], user=UserFactory(username="plain_a2", name="钱平常"))
    w["n_plain"] = _nominate(w["plain_a"], w["village_a2"], p["deputy_a"])
    w["n_plain2"] = _nominate(w["plain_a2"], w["village_a3"], p["deputy_a"])
    w["n_b"] = _nominate(w["cadre_b"], w["village_b"], p["head_b"])
    return w


def _nominate(cadre, village, by, **kwargs):
    return services.dispatch_nominate(cadre=cadre, village=village, by=by, year=YEAR, **kwargs)


def _state(dispatch):
    return Dispatch.objects.get(pk=dispatch.pk).state


def _events(action, dispatch):
    return AuditEvent.objects.filter(action=action, object_id=str(dispatch.pk))


def test_r_s1_unit_head_approves_several_nominations_at_once_each_audited_and_its_task_done(w):
    head = w["people"]["head_a"]
    result = services.dispatch_approve_many(pks=[w["n_plain"].pk, w["n_plain2"].pk], by=head, comment="同意")
    assert sorted(i.pk for i in result.done) == sorted([w["n_plain"].pk, w["n_plain2"].pk]) and result.refused == []
    for d in (w["n_plain"], w["n_plain2"]):
        assert _state(d) == S.APPROVED
        event = _events("dispatch.approve", d).get()
        assert event.actor == head and event.reason == "同意"
        assert open_task(DispatchFlow, "approve", d) is None


def test_r_s3_a_plain_cadre_is_not_approved_in_bulk_while_a_reserve_cadre_waits(w):
    head = w["people"]["head_a"]
    reserve = _nominate(w["cadre_a"], w["village_a"], head)
    result = services.dispatch_approve_many(pks=[w["n_plain"].pk], by=head)
    assert result.done == []
    assert "李卫东" in result.refused[0].message and "后备干部" in result.refused[0].message
    assert _state(w["n_plain"]) == S.NOMINATED
    assert open_task(DispatchFlow, "approve", w["n_plain"]) is not None

    # Selected together, the reserve cadre goes first and lifts the hold (R-S3).
    result = services.dispatch_approve_many(pks=[w["n_plain"].pk, reserve.pk], by=head)
    assert [i.pk for i in result.done] == [reserve.pk, w["n_plain"].pk]
    assert _state(reserve) == S.APPROVED and _state(w["n_plain"]) == S.APPROVED


def test_r_s4_an_excluded_cadre_is_refused_with_its_reason_and_the_others_go_through(w):
    head = w["people"]["head_a"]
    services.dispatch_withdraw(dispatch=w["n_plain2"], by=w["people"]["deputy_a"], reason="重新推荐")
    excluded = _nominate(
        w["plain_a2"],
        w["village_a3"],
        w["people"]["deputy_a"],
        exclusion=Exclusion.UNWILLING,
        exclusion_note="本人不愿意",
    )
    result = services.dispatch_approve_many(pks=[excluded.pk, w["n_plain"].pk], by=head)
    assert [i.pk for i in result.done] == [w["n_plain"].pk]
    assert "不宜选派" in result.refused[0].message
    assert _state(excluded) == S.NOMINATED


def test_r_s1_a_nomination_withdrawn_meanwhile_is_skipped_and_said_so(w):
    services.dispatch_withdraw(dispatch=w["n_plain"], by=w["people"]["deputy_a"], reason="本人身体原因")
    result = services.dispatch_approve_many(pks=[w["n_plain"].pk, w["n_plain2"].pk], by=w["people"]["head_a"])
    assert [i.pk for i in result.done] == [w["n_plain2"].pk]
    assert "已由他人处理" in result.refused[0].message and "已撤回" in result.refused[0].message
    assert _state(w["n_plain"]) == S.WITHDRAWN and not _events("dispatch.approve", w["n_plain"]).exists()


def test_r_o4_another_units_nomination_is_refused_audited_and_unchanged(w):
    result = services.dispatch_approve_many(pks=[w["n_b"].pk], by=w["people"]["head_a"])
    assert result.done == [] and "无权" in result.refused[0].message
    assert _state(w["n_b"]) == S.NOMINATED
    assert _events("dispatch.approve.refused", w["n_b"]).count() == 1
    # The deputy, who nominates but does not approve, is refused too.
    result = services.dispatch_approve_many(pks=[w["n_plain"].pk], by=w["people"]["deputy_a"])
    assert result.done == [] and _state(w["n_plain"]) == S.NOMINATED


# --- The page ---------------------------------------------------------------------------------------


def test_r_o4_the_page_lists_the_heads_own_nominations_and_refuses_others(client, w):
    client.force_login(w["people"]["head_a"])
    response = client.get(URL)
    assert response.status_code == 200
    assert {row.pk for row in response.context["rows"]} == {w["n_plain"].pk, w["n_plain2"].pk}
    for role in ("deputy_a", "town_a", "org", "auditor", "cadre_a", "outsider"):
        client.force_login(w["people"][role])
        assert client.get(URL).status_code == 403, role


def test_r_s3_the_page_marks_a_nomination_held_by_a_waiting_reserve_cadre(client, w):
    _nominate(w["cadre_a"], w["village_a"], w["people"]["head_a"])
    client.force_login(w["people"]["head_a"])
    rows = {row.pk: row for row in client.get(URL).context["rows"]}
    assert "李卫东" in rows[w["n_plain"].pk].note
    assert [row.tags for row in rows.values() if row.cells[0] == "李卫东"] == [["后备"]]


def test_r_s1_the_page_confirms_then_approves_and_lists_the_refused_with_reasons(client, w):
    client.force_login(w["people"]["head_a"])
    pks = [str(w["n_plain"].pk), str(w["n_b"].pk)]
    response = client.post(URL, {"pk": pks, "action": "review"})
    assert response.status_code == 200 and response.context["unlisted"] == 1
    assert _state(w["n_plain"]) == S.NOMINATED
    response = client.post(URL, {"pk": pks, "action": "confirm", "comment": ""})
    assert response.status_code == 302
    response = client.get(response.url)
    result = response.context["result"]
    assert [i.pk for i in result.done] == [w["n_plain"].pk] and [i.pk for i in result.refused] == [w["n_b"].pk]
    page = response.content.decode()
    assert "已办理 1 项" in page and "1 项未办理" in page and "王秀英" in page
    assert _state(w["n_b"]) == S.NOMINATED


@pytest.mark.parametrize("pks", [[], ["abc"], ["1.5"], ["１"]])
def test_bad_selection_gives_a_message_and_changes_nothing(client, w, pks):
    client.force_login(w["people"]["head_a"])
    events = AuditEvent.objects.count()
    response = client.post(URL, {"pk": pks, "action": "confirm"})
    assert response.status_code == 400 and "勾选" in response.content.decode()
    assert AuditEvent.objects.count() == events and _state(w["n_plain"]) == S.NOMINATED


def test_the_home_page_and_the_dispatch_list_lead_to_the_page_for_unit_heads_only(client, w):
    client.force_login(w["people"]["head_a"])
    home = client.get(reverse("home:index")).content.decode()
    assert 'data-testid="bulk-links"' in home and f'href="{URL}"' in home
    assert 'data-testid="bulk-link"' in client.get(reverse("dispatch:list")).content.decode()
    for role in ("deputy_a", "org", "town_a"):
        client.force_login(w["people"][role])
        assert f'href="{URL}"' not in client.get(reverse("home:index")).content.decode(), role
        assert 'data-testid="bulk-link"' not in client.get(reverse("dispatch:list")).content.decode(), role
