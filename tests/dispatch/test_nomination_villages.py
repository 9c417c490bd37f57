"""The nomination form offers only villages that can take another cadre, and says why the others are left out (R-S6)."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from dispatch import selectors, services
from dispatch.forms import NominateForm
from dispatch.models import Dispatch, DispatchState
from tests.dispatch.test_quota_coverage_training import YEAR, advance, new_cadre


def _policy(**changes):
    return override_settings(POLICY={**settings.POLICY, **changes})


def _offered(world, unit="unit_a"):
    form = NominateForm(unit=world[unit], year=YEAR)
    return form, [v.name for v in form.fields["village"].queryset]


def test_r_s6_a_village_with_an_active_dispatch_is_left_out_and_the_form_says_who_holds_it(world):
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    form, offered = _offered(world)
    assert offered == ["西官庄村"]
    help_text = str(form.fields["village"].help_text)
    assert "已有选派干部,不能再推荐" in help_text and "东官庄村【李卫东 · " in help_text


def test_r_s6_when_every_paired_village_is_taken_the_form_says_there_is_none_and_whom_to_ask(world):
    advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
    advance(world["plain_a"], world["village_a2"], DispatchState.TRAINING)
    form, offered = _offered(world)
    assert offered == []
    assert "暂无可推荐的村" in str(form.fields["village"].help_text)
    assert "请联系县委组织部增加结对" in str(form.fields["village"].help_text)


@pytest.mark.parametrize("state", [DispatchState.REJECTED, DispatchState.WITHDRAWN, DispatchState.RECALLED])
def test_r_s6_a_village_whose_dispatch_ended_is_offered_again(world, state):
    advance(world["cadre_a"], world["village_a"], state)
    assert _offered(world)[1] == ["东官庄村", "西官庄村"]


def test_r_s6_with_two_allowed_a_village_is_offered_until_it_has_two(world):
    with _policy(ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND=True):
        advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
        assert _offered(world)[1] == ["东官庄村", "西官庄村"]
        advance(world["plain_a"], world["village_a"], DispatchState.NOMINATED)
        form, offered = _offered(world)
        assert offered == ["西官庄村"]
        with pytest.raises(ValidationError, match="东官庄村 本年度已有 2 名选派干部,已达上限"):
            services.dispatch_nominate(
                cadre=new_cadre(world["unit_a"], "钱第三"),
                village=world["village_a"],
                by=world["people"]["head_a"],
                year=YEAR,
            )
    assert Dispatch.objects.filter(village=world["village_a"]).count() == 2


@pytest.mark.parametrize("allow_two", [False, True])
def test_r_s6_the_form_offers_exactly_the_villages_the_service_accepts(world, allow_two):
    """One selector answers both: every village offered is accepted, every village left out is refused."""
    with _policy(ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND=allow_two):
        advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
        advance(world["plain_a"], world["village_a"], DispatchState.NOMINATED) if allow_two else None
        offered = set(NominateForm(unit=world["unit_a"], year=YEAR).fields["village"].queryset)
        paired = set(selectors.paired_villages(world["unit_a"], YEAR))
        for i, village in enumerate(sorted(paired, key=lambda v: v.pk)):
            cadre = new_cadre(world["unit_a"], f"试推{i}")
            try:
                services.dispatch_nominate(cadre=cadre, village=village, by=world["people"]["head_a"], year=YEAR)
                accepted = True
            except ValidationError:
                accepted = False
            assert accepted == (village in offered), village.name


def test_r_s6_the_nomination_page_lists_only_open_villages_and_explains_the_rest(client, world):
    advance(world["cadre_a"], world["village_a"], DispatchState.STATIONED)
    client.force_login(world["people"]["head_a"])
    response = client.get(reverse("dispatch:nominate"))
    assert response.status_code == 200
    choices = [label for value, label in response.context["form"].fields["village"].choices if value]
    assert choices == ["菜园镇 · 西官庄村"]
    assert "东官庄村【李卫东 · 驻村中】" in response.content.decode()


def test_r_s6_a_village_taken_between_showing_the_form_and_submitting_it_is_refused_with_the_reason(client, world):
    client.force_login(world["people"]["head_a"])
    shown = client.get(reverse("dispatch:nominate")).context["form"].fields["village"].choices
    assert "菜园镇 · 东官庄村" in [label for value, label in shown]
    advance(world["plain_a"], world["village_a"], DispatchState.NOMINATED)
    response = client.post(
        reverse("dispatch:nominate"), {"cadre": world["cadre_a"].pk, "village": world["village_a"].pk}
    )
    assert response.status_code == 200
    assert not Dispatch.objects.filter(cadre=world["cadre_a"]).exists()
    text = response.content.decode()
    assert "所选的村现在不能推荐" in text and "东官庄村【赵普通 · 已推荐,待审批】" in text
