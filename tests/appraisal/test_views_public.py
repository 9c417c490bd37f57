"""The villagers' ballot at /vote/ through the client: one secret vote per code, refusals alike (R-A5)."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from appraisal import ballots, services
from appraisal.models import Grade, OnlineTally
from tests.appraisal.conftest import close_vote
from workflows.models import AuditEvent

URL = "/vote/"
REFUSED = "投票码无效、已使用,或本次评议已经结束。"
SLOWED = REFUSED + "本网络输错的投票码较多,请仔细核对,{wait}后再试。"


def _slowed(settings, *, free, first=5, most=120, window=3600):
    settings.BALLOT_WRONG_CODES_FREE = free
    settings.BALLOT_WRONG_CODES_FIRST_WAIT_SECONDS = first
    settings.BALLOT_WRONG_CODES_MAX_WAIT_SECONDS = most
    settings.BALLOT_WRONG_CODES_WINDOW_SECONDS = window


MESSAGE_BLOCK = re.compile(r'<div class="msg[^"]*" role="alert" data-testid="message">(.*?)</div>', re.S)
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture(autouse=True)
def clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def codes(round_world):
    batch = services.ballots_issue(
        round_=round_world["round"], village=round_world["village_a"], count=3, by=round_world["people"]["town_a"]
    )
    return services.ballot_sheet_codes(batch=batch, by=round_world["people"]["town_a"])


def _later(time_machine, *, seconds: int) -> None:
    """Move the suite's clock on (it keeps ticking from there)."""
    time_machine.move_to(timezone.now() + datetime.timedelta(seconds=seconds), tick=True)


def _text(response) -> str:
    return response.content.decode()


def _message(response) -> str:
    found = MESSAGE_BLOCK.search(_text(response))
    return found.group(1).strip() if found else ""


def _open(client, code, **extra):
    return client.post(URL, {"step": "open", "code": code}, **extra)


def _cast(client, code, choices, **extra):
    return client.post(URL, {"step": "cast", "code": code, **{f"grade_{pk}": g for pk, g in choices.items()}}, **extra)


def _tallies(appraisal) -> dict[str, int]:
    return dict(OnlineTally.objects.filter(appraisal=appraisal).values_list("grade", "count"))


def test_ballot_is_mounted_at_vote_r_a5():
    assert reverse("vote:ballot") == URL


def test_get_shows_the_code_prefilled_and_formatted_without_checking_it_r_a5(client, codes):
    known = client.get(URL, {"c": codes[0].lower()})
    unknown = client.get(URL, {"c": "ZZZZZZZZZZZZ"})
    assert known.status_code == unknown.status_code == 200
    assert f'value="{ballots.formatted(codes[0])}"' in _text(known)
    assert "下一步" in _text(known)
    # The same page either way: the code is put back in the field, nothing else differs.
    assert CSRF_INPUT.sub("", _text(known)).replace(ballots.formatted(codes[0]), "X") == CSRF_INPUT.sub(
        "", _text(unknown)
    ).replace("ZZZZ-ZZZZ-ZZZZ", "X")


def test_page_works_anonymously_on_a_phone_with_no_store_r_a5(client, codes):
    response = client.get(URL)
    body = _text(response)
    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in body
    assert 'lang="zh-CN"' in body and "<style>" in body
    assert "no-store" in response["Cache-Control"]
    # Standalone: no frame of the site, nothing fetched from elsewhere.
    assert "vf-page" not in body and "http://" not in body and "https://" not in body and "<script" not in body
    assert 'name="csrfmiddlewaretoken"' in body
    # Under "no-referrer" a browser posts Origin: null, which the CSRF check refuses: the vote would never go through.
    assert response["Referrer-Policy"] == "same-origin" and 'name="referrer"' not in body


def test_page_is_chinese_whatever_language_the_phone_asks_for_r_a5(client):
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "输入投票码" in _text(response)


def test_valid_code_opens_the_ballot_of_its_village_r_a5(client, round_world, codes):
    response = _open(client, ballots.formatted(codes[0]).lower())
    body = _text(response)
    assert response.status_code == 200
    assert round_world["cadre_a"].name in body and round_world["unit_a"].name in body
    assert round_world["village_a"].name in body and round_world["cadre_b"].name not in body
    for label in ("优秀", "称职", "基本称职", "不称职"):
        assert f"> {label}</label>" in body
    assert f'name="grade_{round_world["appraisal_a"].pk}"' in body
    assert f'<input type="hidden" name="code" value="{codes[0]}">' in body
    assert "不记名" in body and "不能更改" in body and "提交投票" in body
    assert "no-store" in response["Cache-Control"]


def test_casting_counts_one_vote_and_the_code_cannot_vote_again_r_a5(client, round_world, codes):
    appraisal = round_world["appraisal_a"]
    response = _cast(client, codes[0], {appraisal.pk: Grade.EXCELLENT})
    assert response.status_code == 200 and "投票成功" in _text(response)
    assert _tallies(appraisal) == {
        Grade.EXCELLENT: 1,
        Grade.COMPETENT: 0,
        Grade.BASICALLY_COMPETENT: 0,
        Grade.INCOMPETENT: 0,
    }
    again = _cast(client, codes[0], {appraisal.pk: Grade.INCOMPETENT})
    assert _message(again) == REFUSED
    assert _message(_open(client, codes[0])) == REFUSED
    assert _tallies(appraisal)[Grade.EXCELLENT] == 1 and _tallies(appraisal)[Grade.INCOMPETENT] == 0


def test_a_cadre_left_out_asks_again_and_is_not_a_failure_r_a5(client, round_world, codes, settings):
    _slowed(settings, free=0)
    appraisal = round_world["appraisal_a"]
    for _ in range(3):
        response = _cast(client, codes[0], {})
        assert response.status_code == 200 and _message(response) == "请为每位干部选择一个等次。"
        assert round_world["cadre_a"].name in _text(response)
    assert sum(_tallies(appraisal).values()) == 0
    assert "投票成功" in _text(_cast(client, codes[0], {appraisal.pk: Grade.COMPETENT}))


def test_unknown_used_and_closed_codes_get_the_same_answer_r_a5(client, round_world, codes):
    appraisal = round_world["appraisal_a"]
    _cast(client, codes[0], {appraisal.pk: Grade.EXCELLENT})
    answers = {
        "unknown": _open(client, "ZZZZ-ZZZZ-ZZZZ"),
        "used": _open(client, codes[0]),
        "used, cast": _cast(client, codes[0], {appraisal.pk: Grade.EXCELLENT}),
        "tampered grade": _cast(client, codes[1], {appraisal.pk: "best"}),
        "tampered cadre": _cast(
            client, codes[1], {appraisal.pk: Grade.EXCELLENT, round_world["appraisal_b"].pk: Grade.EXCELLENT}
        ),
    }
    close_vote(round_world["round"], round_world["people"]["org"])
    answers["closed"] = _open(client, codes[2])
    answers["closed, cast"] = _cast(client, codes[2], {appraisal.pk: Grade.EXCELLENT})
    assert {why: (r.status_code, _message(r)) for why, r in answers.items()} == {why: (403, REFUSED) for why in answers}
    pages = {CSRF_INPUT.sub("", _text(r)) for r in answers.values()}
    assert len(pages) == 1
    # Nothing of what was typed comes back.
    assert codes[0] not in pages.pop()
    assert sum(_tallies(appraisal).values()) == 1


def test_wrong_codes_past_the_allowance_slow_the_address_and_say_how_long_r_a5(client, round_world, codes, settings):
    _slowed(settings, free=3)
    for n in range(3):
        assert _message(_open(client, f"WRONGCODE{n:03d}")) == REFUSED
    slowed = _open(client, "WRONGCODE003")
    assert slowed.status_code == 429 and slowed["Retry-After"] == "5"
    assert _message(slowed) == SLOWED.format(wait="5 秒")
    assert "no-store" in slowed["Cache-Control"]
    assert _cast(client, codes[1], {round_world["appraisal_b"].pk: Grade.EXCELLENT}).status_code == 429
    assert sum(_tallies(round_world["appraisal_a"]).values()) == 0
    other = _open(client, "WRONGCODE004", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 403 and _message(other) == REFUSED


def test_a_valid_code_is_never_refused_from_a_slowed_address_r_a5(client, round_world, codes, settings):
    """R-A5: one village Wi-Fi, many typing slips: the villagers with good codes still vote at once."""
    _slowed(settings, free=0, most=120)
    for n in range(12):
        assert _open(client, f"WRONGCODE{n:03d}").status_code == 429
    opened = _open(client, ballots.formatted(codes[0]))
    assert opened.status_code == 200 and round_world["cadre_a"].name in _text(opened)
    cast = _cast(client, codes[0], {round_world["appraisal_a"].pk: Grade.EXCELLENT})
    assert cast.status_code == 200 and "投票成功" in _text(cast)
    assert _tallies(round_world["appraisal_a"])[Grade.EXCELLENT] == 1


def test_the_wait_doubles_up_to_the_longest_and_ends_with_the_window_r_a5(client, codes, settings, time_machine):
    """R-A5: 5 s, 10 s, 20 s … capped at 2 min; the suite's clock moved past the window, the allowance is back."""
    _slowed(settings, free=2, first=5, most=120, window=3600)
    statuses = [_open(client, f"WRONGCODE{n:03d}") for n in range(9)]
    assert [r.status_code for r in statuses] == [403, 403] + [429] * 7
    assert [r["Retry-After"] for r in statuses[2:]] == ["5", "10", "20", "40", "80", "120", "120"]
    assert _message(statuses[6]) == SLOWED.format(wait="1 分 20 秒")
    assert _message(statuses[7]) == SLOWED.format(wait="2 分钟")
    _later(time_machine, seconds=3600 + 121)
    again = _open(client, "WRONGCODE100")
    assert again.status_code == 403 and _message(again) == REFUSED


def test_a_wrong_code_during_the_wait_counts_and_doubles_it_r_a5(client, codes, settings, time_machine):
    """R-A5: the wait runs from the last wrong code, which counts like any other."""
    _slowed(settings, free=1, first=30, most=120)
    assert _open(client, "WRONGCODE000").status_code == 403
    assert _open(client, "WRONGCODE001")["Retry-After"] == "30"
    _later(time_machine, seconds=10)
    assert _open(client, "WRONGCODE002")["Retry-After"] == "60"


def test_default_allowance_lets_a_village_mistype_a_hundred_codes_an_hour_r_a5(client, codes, settings):
    """R-A5: the defaults, sized for a village voting from one address: 100 wrong codes an hour, then 5 s."""
    assert (
        settings.BALLOT_WRONG_CODES_FREE,
        settings.BALLOT_WRONG_CODES_WINDOW_SECONDS,
        settings.BALLOT_WRONG_CODES_FIRST_WAIT_SECONDS,
        settings.BALLOT_WRONG_CODES_MAX_WAIT_SECONDS,
    ) == (100, 3600, 5, 120)
    assert {_open(client, f"WRONGCODE{n:03d}").status_code for n in range(100)} == {403}
    assert _open(client, "WRONGCODE100")["Retry-After"] == "5"


def test_behind_a_proxy_the_limit_follows_the_forwarded_address_r_a5(client, codes, settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    _slowed(settings, free=1)
    assert _open(client, "WRONGCODE000", HTTP_X_REAL_IP="10.0.0.7").status_code == 403
    assert _open(client, "WRONGCODE001", HTTP_X_REAL_IP="10.0.0.7").status_code == 429
    assert _open(client, "WRONGCODE002", HTTP_X_REAL_IP="10.0.0.8").status_code == 403
    assert _open(client, codes[0], HTTP_X_REAL_IP="10.0.0.7").status_code == 200


def test_good_codes_do_not_count_toward_the_limit_r_a5(client, round_world, settings):
    _slowed(settings, free=0)
    w = round_world
    batch = services.ballots_issue(round_=w["round"], village=w["village_a"], count=6, by=w["people"]["town_a"])
    codes = services.ballot_sheet_codes(batch=batch, by=w["people"]["town_a"])
    for code in codes:
        assert _open(client, code).status_code == 200
        assert "投票成功" in _text(_cast(client, code, {w["appraisal_a"].pk: Grade.COMPETENT}))
    assert _tallies(w["appraisal_a"])[Grade.COMPETENT] == 6
    assert _open(client, "WRONGCODE000").status_code == 429


def test_a_cache_that_cannot_count_makes_wrong_codes_wait_but_not_good_ones_r_a5(
    client, round_world, codes, monkeypatch
):
    from appraisal import throttle

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttle.cache, "add", broken)
    wrong = _open(client, "WRONGCODE000")
    assert wrong.status_code == 429 and wrong["Retry-After"] == "120"
    assert _open(client, codes[0]).status_code == 200


def test_csrf_stays_on_r_a5(codes):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(URL, {"step": "open", "code": codes[0]})
    assert response.status_code == 403 and "投票码无效" not in response.content.decode()


def test_voting_audits_neither_the_code_nor_the_grade_r_a5(client, round_world, codes):
    appraisal = round_world["appraisal_a"]
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    _open(client, "ZZZZ-ZZZZ-ZZZZ")
    _open(client, codes[0])
    _cast(client, codes[0], {appraisal.pk: Grade.BASICALLY_COMPETENT})
    _cast(client, codes[0], {appraisal.pk: Grade.BASICALLY_COMPETENT})
    events = list(AuditEvent.objects.filter(seq__gt=before))
    assert [e.action for e in events] == ["ballot.cast"]
    for event in events:
        written = " ".join(str(getattr(event, f.attname)) for f in AuditEvent._meta.fields)
        assert codes[0] not in written and ballots.formatted(codes[0]) not in written
        assert ballots.digest(codes[0]) not in written
        assert Grade.BASICALLY_COMPETENT not in written and "基本称职" not in written


def test_system_checks_raise_nothing_with_the_configured_cache_r_a5():
    """The wrong-code counters need no installed app, so no check refuses the LocMem cache."""
    from django.core import checks

    assert [m for m in checks.run_checks() if m.level >= checks.WARNING and not m.is_silenced()] == []
