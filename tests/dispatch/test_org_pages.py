"""The org dept's pages through the client: who opens them, what they show, what POSTs change (R-S5, R-S6, R-S8)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dispatch import services
from dispatch.models import Dispatch, DispatchState, Pairing, Quota, QuotaSanction, TrainingBatch
from tests.dispatch.test_quota_coverage_training import BATCH_END, DEADLINE, YEAR, advance, batch_for, new_cadre
from tests.factories import TownshipFactory, UnitFactory, UserFactory, VillageFactory, VillageIncomeFactory, appoint
from workflows.models import AuditEvent, Role

ENFORCED_ON = datetime.date(2026, 7, 1)


def _page(client, user, name, *args, query=""):
    client.force_login(user)
    return client.get(reverse(name, args=args) + query)


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def batch(world):
    return batch_for(world["county"])


@pytest.fixture
def org_urls(batch):
    """Every org page, GET: the county's readers may open them (training_new is the org dept's form only)."""
    return [
        reverse("dispatch:pairings"),
        reverse("dispatch:coverage"),
        reverse("dispatch:training"),
        reverse("dispatch:training_batch", args=[batch.pk]),
        reverse("dispatch:training_new"),
    ]


# --- Who may open what (R-O4) ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_org_pages_refuse_units_townships_cadres_and_outsiders(client, world, org_urls, who):
    client.force_login(world["people"][who])
    assert {url: client.get(url).status_code for url in org_urls} == {url: 403 for url in org_urls}


@pytest.mark.parametrize("who", ["town_a", "cadre_a", "outsider"])
def test_r_o4_eligibility_page_refuses_those_without_a_unit_or_county(client, world, who):
    assert _page(client, world["people"][who], "dispatch:eligibility").status_code == 403


def test_r_o4_anonymous_visitors_are_sent_to_sign_in(client, org_urls):
    for url in [*org_urls, reverse("dispatch:eligibility")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_r_o4_org_dept_opens_every_org_page(client, world, org_urls):
    client.force_login(world["people"]["org"])
    assert {url: client.get(url).status_code for url in org_urls} == {url: 200 for url in org_urls}


def test_r_o4_auditor_reads_the_org_pages_without_any_form(client, world, batch, org_urls):
    client.force_login(world["people"]["auditor"])
    *readable, new = org_urls
    for url in readable:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response)
        assert 'name="action"' not in text and 'name="dispatches"' not in text, url
        assert reverse("dispatch:quota_enforce") not in text and reverse("dispatch:training_new") not in text, url
    assert client.get(new).status_code == 403
    assert client.get(reverse("dispatch:eligibility")).status_code == 200


def test_r_o4_auditor_posts_are_refused_and_change_nothing(client, world, batch):
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    services.quota_set(
        unit=world["unit_b"],
        year=YEAR,
        cadres=1,
        deadline=datetime.date(2020, 1, 1),
        by=world["people"]["org"],
        confirm_past_deadline=True,
    )
    pairing = Pairing.objects.get(unit=world["unit_b"], village=world["village_b"], year=YEAR)
    pairings_url = reverse("dispatch:pairings") + f"?year={YEAR}"
    before = (
        Pairing.objects.count(),
        list(Quota.objects.values_list("cadres", "enforced_at")),
        TrainingBatch.objects.count(),
    )
    client.force_login(world["people"]["auditor"])
    posts = [
        (pairings_url, {"action": "add", "unit": world["unit_b"].pk, "village": world["village_a"].pk}),
        (pairings_url, {"action": "quota", "unit": world["unit_b"].pk, "cadres": 3, "deadline": "2026-06-30"}),
        (reverse("dispatch:pairing_remove", args=[pairing.pk]), {}),
        (reverse("dispatch:quota_enforce"), {}),
        (
            reverse("dispatch:training_new"),
            {"year": YEAR, "name": "第二期", "starts_on": "2026-04-01", "ends_on": "2026-04-02", "content": "政策"},
        ),
        (reverse("dispatch:training_batch", args=[batch.pk]), {"action": "enrol", "dispatches": [approved.pk]}),
    ]
    assert [client.post(url, data).status_code for url, data in posts] == [403] * len(posts)
    assert (
        Pairing.objects.count(),
        list(Quota.objects.values_list("cadres", "enforced_at")),
        TrainingBatch.objects.count(),
    ) == before
    assert not QuotaSanction.objects.exists()
    assert Dispatch.objects.get(pk=approved.pk).state == DispatchState.APPROVED


def test_r_s5_r_o4_the_deadline_check_page_is_the_org_depts_and_opening_it_records_nothing(client, world):
    services.quota_set(
        unit=world["unit_b"],
        year=YEAR,
        cadres=1,
        deadline=DEADLINE,
        by=world["people"]["org"],
        confirm_past_deadline=True,
    )
    assert _page(client, world["people"]["org"], "dispatch:quota_enforce").status_code == 200
    for who in ["auditor", "head_b", "town_a", "cadre_a"]:
        assert _page(client, world["people"][who], "dispatch:quota_enforce").status_code == 403, who
    assert Quota.objects.get().enforced_at is None and not QuotaSanction.objects.exists()


# --- Pairing and quota page (R-S5, R-S6) ----------------------------------------------------------


def test_r_s5_r_s6_pairing_page_shows_each_unit_with_villages_quota_counts_and_sanction(client, world):
    org = world["people"]["org"]
    world["village_a"].is_weak_leadership = True
    world["village_a"].save()
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    advance(world["plain_a"], world["village_a2"], DispatchState.NOMINATED)
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=3, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_enforce(on=ENFORCED_ON, by=org, county=world["county"])
    UnitFactory(county=world["county"], name="县审计局")  # no pairing, no quota: still a row

    response = _page(client, org, "dispatch:pairings", query=f"?year={YEAR}")
    assert response.status_code == 200
    text = _text(response)
    rows = {r["unit"].name: r for r in response.context["rows"]}
    assert list(rows) == ["县农业农村局", "县教育局", "县审计局"]
    a = rows["县农业农村局"]
    assert [p.village.name for p in a["pairings"]] == ["东官庄村", "西官庄村"]
    assert (a["quota"].cadres, a["quota"].sent, a["quota"].pending) == (3, 1, 1)
    assert rows["县审计局"]["quota"] is None and rows["县审计局"]["pairings"] == []
    assert "班子软弱涣散村" in text and "2026-06-30" in text
    today = timezone.localdate()
    sanction_of_a = a["year_sanction"]
    assert sanction_of_a is not None and sanction_of_a.starts_on == ENFORCED_ON
    if sanction_of_a.starts_on <= today <= sanction_of_a.ends_on:
        assert "2026 年度未完成,处理期内" in text and "2026-07-01 — 2029-06-30" in text


def test_r_s6_org_dept_adds_a_pairing_with_target_villages_offered_first(client, world):
    org = world["people"]["org"]
    plain = VillageFactory(township=world["town_b"], name="北关村")
    weak = VillageFactory(township=world["town_b"], name="南关村", is_election_difficult=True)
    response = _page(client, org, "dispatch:pairings", query=f"?year={YEAR}")
    choices = [label for value, label in response.context["pairing_form"].fields["village"].choices if value]
    assert choices[0] == "宜沟镇 · 南关村【换届选举重难点村】"
    assert choices.index("宜沟镇 · 南关村【换届选举重难点村】") < choices.index("宜沟镇 · 北关村")

    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {"action": "add", "unit": world["unit_b"].pk, "village": weak.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dispatch:pairings") + f"?year={YEAR}#messages"
    assert Pairing.objects.filter(unit=world["unit_b"], village=weak, year=YEAR).exists()
    assert not Pairing.objects.filter(village=plain).exists()
    assert AuditEvent.objects.filter(action="pairing.add", actor=org).exists()
    assert "已将 南关村 与 县教育局 结对" in _text(client.get(response["Location"]))


def test_r_s6_r_o4_a_village_of_another_county_cannot_be_chosen(client, world):
    other = VillageFactory(township=TownshipFactory(name="道口镇"), name="东关村")
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {"action": "add", "unit": world["unit_b"].pk, "village": other.pk},
    )
    assert response.status_code == 200
    assert not Pairing.objects.filter(village=other).exists()


def test_r_s6_org_dept_removes_an_unused_pairing(client, world):
    pairing = Pairing.objects.get(unit=world["unit_a"], village=world["village_a2"], year=YEAR)
    client.force_login(world["people"]["org"])
    response = client.post(reverse("dispatch:pairing_remove", args=[pairing.pk]), follow=True)
    assert response.status_code == 200
    assert not Pairing.objects.filter(pk=pairing.pk).exists()
    assert "已取消 县农业农村局 与 西官庄村 的结对" in _text(response)


def test_r_s6_removing_a_pairing_in_use_is_refused_with_the_reason(client, world):
    advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
    pairing = Pairing.objects.get(unit=world["unit_a"], village=world["village_a"], year=YEAR)
    client.force_login(world["people"]["org"])
    response = client.post(reverse("dispatch:pairing_remove", args=[pairing.pk]), follow=True)
    assert "该结对村已有本单位在派干部,不能取消结对" in _text(response)
    assert Pairing.objects.filter(pk=pairing.pk).exists()


def test_r_s5_org_dept_sets_a_quota_through_the_page(client, world):
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {
            "action": "quota",
            "unit": world["unit_a"].pk,
            "cadres": 2,
            "deadline": "2026-06-30",
            "confirm_past_deadline": "on",
        },
    )
    assert response.status_code == 302
    quota = Quota.objects.get(unit=world["unit_a"], year=YEAR)
    assert (quota.cadres, quota.deadline) == (2, DEADLINE)


def test_r_s5_a_quota_below_one_is_shown_back_with_the_reason_and_not_saved(client, world):
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {"action": "quota", "unit": world["unit_a"].pk, "cadres": 0, "deadline": "2026-06-30"},
    )
    assert response.status_code == 200
    assert "选派名额至少为 1 名。" in _text(response)
    assert not Quota.objects.exists()


def test_r_s5_a_quota_already_enforced_cannot_be_changed_on_the_page(client, world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    services.quota_enforce(on=ENFORCED_ON, by=org, county=world["county"])
    client.force_login(org)
    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {"action": "quota", "unit": world["unit_a"].pk, "cadres": 5, "deadline": "2026-09-30"},
    )
    assert response.status_code == 200
    assert "该年度选派任务已到期核查,不能再修改。" in _text(response)
    assert Quota.objects.get().cadres == 1


def test_r_s5_enforcement_asks_first_listing_the_units_it_will_sanction_then_records_on_confirmation(client, world):
    org, today = world["people"]["org"], timezone.localdate()
    year, deadline = today.year, today - datetime.timedelta(days=1)
    advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED, year=year)
    met = services.quota_set(
        unit=world["unit_a"], year=year, cadres=1, deadline=deadline, by=org, confirm_past_deadline=True
    )
    short = services.quota_set(
        unit=world["unit_b"], year=year, cadres=2, deadline=deadline, by=org, confirm_past_deadline=True
    )
    client.force_login(org)
    url = reverse("dispatch:quota_enforce") + f"?county={world['county'].pk}&year={year}"
    page = client.get(url)
    assert [c.quota.unit.name for c in page.context["short"]] == ["县教育局"]
    assert [c.quota.unit.name for c in page.context["met"]] == ["县农业农村局"]
    text = _text(page)
    assert "将记录处理的单位" in text and "县教育局" in text and "确认核查,记录 1 个单位的处理" in text
    assert not QuotaSanction.objects.exists() and Quota.objects.filter(enforced_at__isnull=False).count() == 0

    # A POST that is not the confirmation only leads back to the list.
    assert client.post(url, {"quota": [met.pk, short.pk]}).status_code == 302
    assert not QuotaSanction.objects.exists()

    response = client.post(url, {"confirm": "yes", "quota": [met.pk, short.pk]}, follow=True)
    text = _text(response)
    assert "以下单位未完成选派任务" in text and "县教育局" in text and "实派 0 名" in text
    sanction = QuotaSanction.objects.get()
    assert (sanction.unit, sanction.starts_on) == (world["unit_b"], today)
    assert "没有截止日期已过、尚未核查的选派任务" in _text(client.get(url))


def test_r_s5_a_confirmation_of_a_list_that_changed_meanwhile_records_nothing_and_says_so(client, world):
    org = world["people"]["org"]
    first = services.quota_set(
        unit=world["unit_a"], year=YEAR, cadres=1, deadline=DEADLINE, by=org, confirm_past_deadline=True
    )
    client.force_login(org)
    url = reverse("dispatch:quota_enforce") + f"?county={world['county'].pk}&year={YEAR}"
    # Shown only the first quota; a second falls due before the org dept confirms.
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, by=org, confirm_past_deadline=True)
    response = client.post(url, {"confirm": "yes", "quota": [first.pk]})
    assert response.status_code == 409
    assert "待核查的选派任务已有变化" in _text(response) and "县教育局" in _text(response)
    assert not QuotaSanction.objects.exists() and not Quota.objects.filter(enforced_at__isnull=False).exists()


def test_r_s5_a_second_confirmation_of_the_same_list_is_told_it_was_already_checked(client, world):
    org = world["people"]["org"]
    quota = services.quota_set(
        unit=world["unit_b"], year=YEAR, cadres=1, deadline=DEADLINE, by=org, confirm_past_deadline=True
    )
    client.force_login(org)
    url = reverse("dispatch:quota_enforce") + f"?county={world['county'].pk}&year={YEAR}"
    assert client.post(url, {"confirm": "yes", "quota": [quota.pk]}).status_code == 302
    again = client.post(url, {"confirm": "yes", "quota": [quota.pk]})
    assert again.status_code == 409 and "可能已由他人核查" in _text(again)
    assert QuotaSanction.objects.count() == 1


def test_r_s5_a_deadline_in_the_past_is_refused_on_the_page_until_confirmed(client, world):
    client.force_login(world["people"]["org"])
    url = reverse("dispatch:pairings") + f"?year={YEAR}"
    data = {"action": "quota", "unit": world["unit_a"].pk, "cadres": 2, "deadline": "2026-06-30"}
    refused = client.post(url, data)
    assert refused.status_code == 200
    text = _text(refused)
    assert "截止日期 2026-06-30 已经过去(今天是 2026-11-26)" in text
    assert text.count("截止日期 2026-06-30 已经过去") == 1
    assert "<vf-field-checkbox" in text and 'name="confirm_past_deadline"' in text and "确认截止日期已过" in text
    assert not Quota.objects.exists()

    saved = client.post(url, {**data, "confirm_past_deadline": "on"})
    assert saved.status_code == 302 and saved["Location"].endswith("#messages")
    assert Quota.objects.get().deadline == DEADLINE
    event = AuditEvent.objects.get(action="quota.set")
    assert event.data["past_deadline_confirmed"] is True


def test_r_s5_an_invalid_quota_comes_back_at_its_form_with_the_error_shown_once(client, world):
    client.force_login(world["people"]["org"])
    page = _text(client.get(reverse("dispatch:pairings") + f"?year={YEAR}"))
    assert 'action="?year=2026#quota"' in page and 'id="quota"' in page
    response = client.post(
        reverse("dispatch:pairings") + f"?year={YEAR}",
        {"action": "quota", "unit": world["unit_a"].pk, "cadres": 0, "deadline": "2026-12-31"},
    )
    text = _text(response)
    assert text.count("选派名额至少为 1 名。") == 1 and 'data-testid="form-errors"' in text
    assert "vf-form__errors" not in text


def _grow_county(world, *, townships=3, villages=4):
    """Add townships, villages of every category, units with heads, pairings, quotas and dispatches."""
    org, county = world["people"]["org"], world["county"]
    for t in range(townships):
        town = TownshipFactory(county=county, name=f"新镇{t}")
        appoint(UserFactory(username=f"town_new{t}"), Role.TOWNSHIP_COMMITTEE, town)
        unit = UnitFactory(county=county, name=f"县新局{t}")
        appoint(UserFactory(username=f"head_new{t}"), Role.UNIT_HEAD, unit)
        services.quota_set(unit=unit, year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
        for v in range(villages):
            village = VillageFactory(
                township=town,
                name=f"新村{t}-{v}",
                is_weak_leadership=v % 4 == 0,
                is_election_difficult=v % 4 == 1,
                is_old_revolutionary=v % 4 == 2,
                is_ethnic_minority=v % 4 == 3,
            )
            VillageIncomeFactory(village=village, year=2025, total_income=10000 * v, subsidies=0)
            services.pairing_add(unit=unit, village=village, year=YEAR, by=org)
        stationed, nominated = town.villages.order_by("code")[:2]
        advance(new_cadre(unit, f"驻村干部{t}"), stationed, DispatchState.STATIONED)
        advance(new_cadre(unit, f"推荐干部{t}"), nominated, DispatchState.NOMINATED)
    services.quota_enforce(on=ENFORCED_ON, by=org, county=county)


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["dispatch:pairings", "dispatch:coverage"])
def test_r_s5_r_s6_org_page_queries_do_not_grow_with_the_county(client, world, name):
    url = reverse(name) + f"?year={YEAR}"
    client.force_login(world["people"]["org"])
    client.get(url)  # warm caches (content types, site menus) once
    small = _count_queries(client, url)
    _grow_county(world)
    page = client.get(url)
    assert "新镇2" in _text(page) or "县新局2" in _text(page)
    assert _count_queries(client, url) == small


# --- Award eligibility (R-S5) ---------------------------------------------------------------------


@pytest.fixture
def sanctioned(world):
    org = world["people"]["org"]
    services.quota_set(unit=world["unit_b"], year=YEAR, cadres=2, deadline=DEADLINE, confirm_past_deadline=True, by=org)
    [sanction] = services.quota_enforce(on=ENFORCED_ON, by=org, county=world["county"])
    return sanction


def test_r_s5_eligibility_page_says_why_a_unit_may_not_be_considered(client, world, sanctioned):
    response = _page(
        client, world["people"]["org"], "dispatch:eligibility", query=f"?unit={world['unit_b'].pk}&on=2027-01-15"
    )
    assert response.status_code == 200
    text = _text(response)
    assert 'data-eligible="no"' in text
    assert "县教育局 于 2027年1月15日 不得参评县级以上党建先进单位和文明单位" in text
    assert "未完成 2026 年度选派任务:名额 2 名,截至 2026年6月30日 实派 0 名" in text
    assert "2026年7月1日 至 2029年6月30日" in text


@pytest.mark.parametrize(
    "day, verdict", [("2026-06-30", "yes"), ("2026-07-01", "no"), ("2029-06-30", "no"), ("2029-07-01", "yes")]
)
def test_r_s5_eligibility_page_around_the_sanction_dates(client, world, sanctioned, day, verdict):
    response = _page(
        client, world["people"]["auditor"], "dispatch:eligibility", query=f"?unit={world['unit_b'].pk}&on={day}"
    )
    assert f'data-eligible="{verdict}"' in _text(response)


def test_r_s5_eligibility_page_lists_current_sanctions(client, world, sanctioned):
    response = _page(client, world["people"]["org"], "dispatch:eligibility")
    in_force = sanctioned.starts_on <= timezone.localdate() <= sanctioned.ends_on
    assert (sanctioned in list(response.context["sanctions"])) is in_force


def test_r_s5_r_o4_a_unit_head_checks_only_their_own_unit(client, world, sanctioned):
    head_b = world["people"]["head_b"]
    response = _page(client, head_b, "dispatch:eligibility", query="?on=2027-01-15&unit=" + str(world["unit_b"].pk))
    assert 'data-eligible="no"' in _text(response)
    own = _page(client, head_b, "dispatch:eligibility")
    assert own.status_code == 200 and own.context["result"]["unit"] == world["unit_b"]
    other = _page(client, head_b, "dispatch:eligibility", query=f"?unit={world['unit_a'].pk}")
    assert other.status_code == 403


# --- Coverage page (R-S6) -------------------------------------------------------------------------


def test_r_s6_coverage_page_shows_uncovered_targets_and_what_is_on_the_way(client, world):
    world["village_a"].is_weak_leadership = True
    world["village_a"].save()
    world["village_a2"].is_ethnic_minority = True
    world["village_a2"].save()
    VillageIncomeFactory(village=world["village_b"], year=2025, total_income=0, subsidies=0)
    covered = VillageFactory(township=world["town_b"], name="南关村", is_election_difficult=True)
    advance(world["cadre_b"], covered, DispatchState.STATIONED)
    advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)

    response = _page(client, world["people"]["auditor"], "dispatch:coverage", query=f"?year={YEAR}")
    assert response.status_code == 200
    assert [v.name for v in response.context["uncovered"]] == ["东官庄村", "西街村"]
    assert {v.name: v.on_the_way for v in response.context["uncovered"]} == {"东官庄村": True, "西街村": False}
    assert [v.name for v in response.context["possible"]] == ["西官庄村"]
    assert response.context["totals"] == {
        "targets": 3,
        "targets_covered": 1,
        "uncovered": 2,
        "possible": 1,
        "possible_covered": 0,
    }
    text = _text(response)
    assert "已推荐,在途" in text and "空壳村" in text and "少数民族村" in text


# --- Training pages (R-S8) ------------------------------------------------------------------------


def test_r_s8_org_dept_opens_a_batch_through_the_page(client, world):
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:training_new"),
        {
            "year": YEAR,
            "name": "2026年第二期岗前培训班",
            "starts_on": "2026-04-01",
            "ends_on": "2026-04-03",
            "content": "驻村工作方法;农村政策",
        },
    )
    batch = TrainingBatch.objects.get(name="2026年第二期岗前培训班")
    assert response.status_code == 302 and response["Location"] == reverse("dispatch:training_batch", args=[batch.pk])
    assert batch.county == world["county"]
    assert "2026年第二期岗前培训班" in _text(client.get(reverse("dispatch:training")))


def test_r_s8_a_batch_ending_before_it_starts_is_shown_back(client, world):
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:training_new"),
        {"year": YEAR, "name": "错误班次", "starts_on": "2026-04-03", "ends_on": "2026-04-01", "content": "政策"},
    )
    assert response.status_code == 200
    assert "结业日期不能早于开班日期。" in _text(response)
    assert not TrainingBatch.objects.exists()


def test_r_s8_enrol_and_record_completion_through_the_batch_page(client, world, batch):
    reserve = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    plain = advance(world["plain_a"], world["village_a2"], DispatchState.APPROVED)
    url = reverse("dispatch:training_batch", args=[batch.pk])
    client.force_login(world["people"]["org"])
    page = client.get(url)
    assert list(page.context["candidates"]) == [reserve, plain]  # reserve cadre first (R-S3)

    response = client.post(url, {"action": "enrol", "dispatches": [reserve.pk, plain.pk]})
    assert response.status_code == 302
    assert set(Dispatch.objects.filter(training_batch=batch).values_list("state", flat=True)) == {"training"}

    response = client.post(url, {"action": "complete", "dispatches": [reserve.pk], "completed_on": "2026-03-03"})
    assert response.status_code == 302
    assert Dispatch.objects.get(pk=reserve.pk).training_completed_on == BATCH_END
    assert Dispatch.objects.get(pk=plain.pk).training_completed_on is None
    text = _text(client.get(url))
    assert "李卫东" in text and "2026-03-03" in text and "未结业" in text and "岗前培训" in text


def test_r_s8_enrolling_a_nomination_not_yet_approved_is_refused_on_the_page(client, world, batch):
    nominated = advance(world["cadre_a"], world["village_a"], DispatchState.NOMINATED)
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:training_batch", args=[batch.pk]), {"action": "enrol", "dispatches": [nominated.pk]}
    )
    assert response.status_code == 200
    assert "已推荐,待审批" in _text(response)
    stored = Dispatch.objects.get(pk=nominated.pk)
    assert (stored.state, stored.training_batch) == (DispatchState.NOMINATED, None)


def test_r_s8_completion_of_a_cadre_not_in_the_batch_is_refused_on_the_page(client, world, batch):
    approved = advance(world["cadre_a"], world["village_a"], DispatchState.APPROVED)
    client.force_login(world["people"]["org"])
    response = client.post(
        reverse("dispatch:training_batch", args=[batch.pk]),
        {"action": "complete", "dispatches": [approved.pk], "completed_on": "2026-03-03"},
    )
    assert response.status_code == 200
    assert 'data-testid="completion-errors"' in _text(response)
    assert Dispatch.objects.get(pk=approved.pk).training_completed_on is None


def test_r_s8_completion_twice_is_refused_with_the_reason(client, world, batch):
    d = advance(world["cadre_a"], world["village_a"], DispatchState.TRAINING)
    url = reverse("dispatch:training_batch", args=[batch.pk])
    client.force_login(world["people"]["org"])
    response = client.post(url, {"action": "complete", "dispatches": [d.pk], "completed_on": "2026-03-03"})
    assert response.status_code == 302
    services.dispatch_record_arrangements(
        dispatch=d,
        by=world["people"]["head_a"],
        insurer="中国人寿",
        insurance_policy_no="PA-9",
        insurance_starts_on=datetime.date(2026, 3, 1),
        insurance_ends_on=datetime.date(2027, 3, 31),
        party_relation_transferred_on=datetime.date(2026, 3, 4),
        living_allowance_yuan=600,
    )
    services.dispatch_station(dispatch=d, by=world["people"]["town_a"], on=datetime.date(2026, 3, 5))
    response = client.post(url, {"action": "complete", "dispatches": [d.pk], "completed_on": "2026-03-09"})
    assert response.status_code == 200
    assert "李卫东 不在岗前培训中。" in _text(response)
    assert Dispatch.objects.get(pk=d.pk).training_completed_on == BATCH_END
