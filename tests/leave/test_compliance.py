"""Days in the village against the monthly and term-year targets, at-risk lists and absences (R-M1, R-M3)."""

import datetime

import pytest

from leave.calendar import month_days
from leave.models import DayStatus
from leave.selectors import attendance as selectors
from leave.services import attendance
from tests.leave import approved_leave, attendance_world, days, freeze, more_stationed, record

D = datetime.date
JULY = D(2026, 7, 1)
MID_JULY = D(2026, 7, 15)  # 11 working days of July so far, 12 still ahead (July 2026 has 23)


@pytest.fixture
def att(world):
    return attendance_world(world)


def _month(dispatch, month, today):
    return selectors.month_progress([dispatch], month, month_days(month, selectors.county_id_of(dispatch)), today)[
        dispatch.pk
    ]


def _year(dispatch, today):
    return selectors.year_progress([dispatch], today, selectors.county_id_of(dispatch))[dispatch.pk]


def _fill_to(dispatch, month, today, monkeypatch, by):
    freeze(monkeypatch, today)
    attendance.month_fill_defaults(dispatch=dispatch, month=month, by=by)


# --- The monthly target (R-M1) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "target"),
    [
        (D(2026, 7, 1), 22),  # 23 working days: the setting applies
        (D(2026, 10, 1), 18),  # National Day: only 18 working days, "holidays aside"
        (D(2026, 3, 1), 19),  # the term's first month from 03-05: 19 working days inside the term
        (D(2027, 3, 1), 4),  # the term's last month, to 03-04 (2027 by the weekend fallback)
    ],
)
def test_r_m1_monthly_target_is_the_setting_or_the_working_days_in_the_term(att, month, target):
    assert _month(att["d_a"], month, D(2026, 11, 26)).target == target


def test_r_m1_monthly_target_follows_the_setting(att, settings):
    settings.POLICY = {**settings.POLICY, "MIN_DAYS_IN_VILLAGE_PER_MONTH": 20}
    assert _month(att["d_a"], JULY, MID_JULY).target == 20
    assert _month(att["d_a"], D(2026, 10, 1), MID_JULY).target == 18


def test_r_m1_exactly_reachable_is_not_at_risk_one_day_less_is(att, monkeypatch):
    """R-M1: 10 present + 12 working days ahead = 22: not at risk; a second absence makes it 21: at risk."""
    _fill_to(att["d_a"], JULY, MID_JULY, monkeypatch, att["people"]["cadre_a"])
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 7, 8), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    progress = _month(att["d_a"], JULY, MID_JULY)
    assert (progress.present, progress.possible, progress.target) == (10, 12, 22)
    assert progress.standing == selectors.Standing.ON_TRACK and not progress.at_risk
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 7, 9), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    progress = _month(att["d_a"], JULY, MID_JULY)
    assert (progress.present, progress.possible) == (9, 12)
    assert progress.at_risk and progress.shortfall == 13


def test_r_m1_approved_leave_ahead_is_no_longer_possible(att, monkeypatch):
    _fill_to(att["d_a"], JULY, MID_JULY, monkeypatch, att["people"]["cadre_a"])
    approved_leave(att["d_a"], D(2026, 7, 20), D(2026, 7, 24))
    progress = _month(att["d_a"], JULY, MID_JULY)
    assert (progress.present, progress.possible, progress.leave) == (11, 7, 5)
    assert progress.at_risk  # 11 + 7 < 22


def test_past_days_nobody_entered_are_unreported_not_possible_r_m1(att):
    """R-M1: mid-July with nothing recorded: 11 working days unreported, only the 12 ahead are possible."""
    progress = _month(att["d_a"], JULY, MID_JULY)
    assert (progress.present, progress.possible, progress.unrecorded) == (0, 12, 11)
    assert progress.standing == selectors.Standing.AT_RISK


def test_an_ended_month_nobody_entered_is_missed_not_pending_r_m1(att):
    progress = _month(att["d_a"], JULY, D(2026, 8, 3))
    assert (progress.present, progress.possible, progress.unrecorded, progress.over) == (0, 0, 23, True)
    assert progress.standing == selectors.Standing.MISSED and progress.standing_label == "未达标"


def test_today_not_entered_yet_is_unreported_and_no_longer_possible_r_m1(att, monkeypatch):
    """R-M1: only the days after today are possible; today counts as unreported until it is entered."""
    _fill_to(att["d_a"], JULY, MID_JULY - datetime.timedelta(days=1), monkeypatch, att["people"]["cadre_a"])
    progress = _month(att["d_a"], JULY, MID_JULY)
    assert (progress.present, progress.possible, progress.unrecorded) == (10, 12, 1)


def test_eight_months_with_nothing_recorded_are_at_risk_not_on_track_r_m1(att):
    """R-M1: on 2026-11-05 nothing since 03-05: the term-year can reach at most the 119 days still ahead."""
    progress = _year(att["d_a"], D(2026, 11, 5))
    assert (progress.present, progress.target, progress.possible) == (0, 250, 119)
    assert progress.unrecorded > 160
    assert progress.standing == selectors.Standing.AT_RISK and progress.standing_label == "有风险"


def test_r_m1_a_short_month_is_met_on_its_working_days_and_missed_with_one_absence(att, monkeypatch):
    """R-M1: October 2026 asks 18 (its working days); after the month, 17 is missed, not at risk."""
    october = D(2026, 10, 1)
    _fill_to(att["d_a"], october, D(2026, 11, 2), monkeypatch, att["people"]["cadre_a"])
    progress = _month(att["d_a"], october, D(2026, 11, 2))
    assert (progress.present, progress.target, progress.standing) == (18, 18, selectors.Standing.MET)
    attendance.day_set(dispatch=att["d_a"], day=D(2026, 10, 10), status=DayStatus.ABSENT, by=att["people"]["town_a"])
    progress = _month(att["d_a"], october, D(2026, 11, 2))
    assert (progress.present, progress.over, progress.standing) == (17, True, selectors.Standing.MISSED)


def test_r_m1_partial_first_month_counts_from_the_stationing_day(att, monkeypatch):
    march = D(2026, 3, 1)
    _fill_to(att["d_a"], march, D(2026, 4, 1), monkeypatch, att["people"]["cadre_a"])
    progress = _month(att["d_a"], march, D(2026, 4, 1))
    assert (progress.first, progress.present, progress.target, progress.standing) == (
        D(2026, 3, 5),
        19,
        19,
        selectors.Standing.MET,
    )


def test_r_m1_weekend_days_in_the_village_count(att, monkeypatch):
    _fill_to(att["d_a"], JULY, MID_JULY, monkeypatch, att["people"]["cadre_a"])
    attendance.day_set(
        dispatch=att["d_a"],
        day=D(2026, 7, 11),
        status=DayStatus.IN_VILLAGE,
        by=att["people"]["cadre_a"],
        note="周末村里防汛",
    )
    assert _month(att["d_a"], JULY, MID_JULY).present == 12


# --- The term-year (R-M1) -----------------------------------------------------------------------------


def _year_with_present(dispatch, present: int, yesterday: datetime.date) -> None:
    """Record every day of the term up to yesterday: the first `present` in the village, the rest rest days."""
    all_days = days(dispatch.stationed_on, yesterday)
    record(dispatch, all_days[0], all_days[present - 1], DayStatus.IN_VILLAGE)
    record(dispatch, all_days[present], all_days[-1], DayStatus.HOLIDAY)


@pytest.mark.parametrize(("present", "at_risk"), [(220, False), (219, True)])
def test_r_m1_year_at_risk_when_even_every_remaining_day_cannot_reach_250(att, present, at_risk):
    """R-M1: on 2027-02-02, 30 days remain after today to 03-04; rest days count toward the year, so all 30 are
    possible; today, not entered yet, is not."""
    today = D(2027, 2, 2)
    _year_with_present(att["d_a"], present, today - datetime.timedelta(days=1))
    progress = _year(att["d_a"], today)
    assert (progress.first, progress.last, progress.target) == (D(2026, 3, 5), D(2027, 3, 4), 250)
    assert (progress.present, progress.possible) == (present, 30)
    assert progress.at_risk is at_risk


def test_r_m1_the_year_after_the_term_is_met_or_missed(att):
    _year_with_present(att["d_a"], 250, D(2027, 3, 4))
    assert _year(att["d_a"], D(2027, 3, 10)).standing == selectors.Standing.MET


def test_r_m1_year_target_follows_the_setting(att, settings):
    settings.POLICY = {**settings.POLICY, "MIN_DAYS_IN_VILLAGE_PER_YEAR": 200}
    assert _year(att["d_a"], D(2026, 6, 1)).target == 200


def test_r_m1_a_longer_term_has_term_years_the_short_last_one_pro_rated(att, settings):
    """R-M1, R-S7: an 18-month term: term-year 2 runs 2027-03-05 … 09-04 and asks ceil(250 × 184 / 366) = 126."""
    settings.POLICY = {**settings.POLICY, "TERM_MONTHS": 18}
    (dispatch,) = more_stationed(att, att["town_a"], 1)
    assert dispatch.term_ends_on == D(2027, 9, 4)
    record(dispatch, D(2027, 2, 27), D(2027, 3, 4), DayStatus.IN_VILLAGE)  # 6 days, term-year 1
    record(dispatch, D(2027, 3, 5), D(2027, 3, 12), DayStatus.IN_VILLAGE)  # 8 days, term-year 2
    first = _year(dispatch, D(2027, 1, 10))
    assert (first.first, first.last, first.target, first.present) == (D(2026, 3, 5), D(2027, 3, 4), 250, 6)
    second = _year(dispatch, D(2027, 6, 1))
    assert (second.first, second.last, second.target, second.present) == (D(2027, 3, 5), D(2027, 9, 4), 126, 8)


# --- Absences at both ends (R-M3) ------------------------------------------------------------------------


def test_r_m3_absences_are_listed_per_cadre_for_the_township_and_the_county(att, monkeypatch):
    freeze(monkeypatch, MID_JULY)
    for day in (D(2026, 7, 8), D(2026, 7, 9)):
        attendance.day_set(dispatch=att["d_a"], day=day, status=DayStatus.ABSENT, by=att["people"]["town_a"])
    attendance.day_set(dispatch=att["d_b"], day=D(2026, 7, 10), status=DayStatus.ABSENT, by=att["people"]["town_b"])
    attendance.day_set(dispatch=att["d_b"], day=D(2026, 6, 10), status=DayStatus.ABSENT, by=att["people"]["town_b"])

    grid = selectors.township_month_grid(att["town_a"], JULY, today=MID_JULY)
    assert [(r.dispatch.pk, r.absences) for r in grid.with_absences] == [
        (att["d_a"].pk, [D(2026, 7, 8), D(2026, 7, 9)])
    ]
    report = selectors.county_compliance(att["county"], JULY, today=MID_JULY)
    assert {c.dispatch.pk: c.absences for c in report.with_absences} == {
        att["d_a"].pk: [D(2026, 7, 8), D(2026, 7, 9)],
        att["d_b"].pk: [D(2026, 7, 10)],
    }
    by_township = {t.township.pk: t for t in report.townships}
    assert (by_township[att["town_a"].pk].absences, by_township[att["town_b"].pk].absences) == (2, 1)
    assert next(c for c in report.cadres if c.dispatch.pk == att["d_b"].pk).year.absent == 2
    assert selectors.cadre_month(att["d_a"], JULY, today=MID_JULY).absences == [D(2026, 7, 8), D(2026, 7, 9)]


# --- The county's figures (R-M1) ---------------------------------------------------------------------------


def test_r_m1_county_compliance_sums_per_township_and_lists_at_risk_cadres(att, monkeypatch):
    _fill_to(att["d_a"], JULY, MID_JULY, monkeypatch, att["people"]["cadre_a"])
    _fill_to(att["d_plain"], JULY, MID_JULY, monkeypatch, att["people"]["town_a"])
    approved_leave(att["d_plain"], D(2026, 7, 16), D(2026, 7, 24))  # 7 working days ahead
    report = selectors.county_compliance(att["county"], JULY, today=MID_JULY)
    town_a = next(t for t in report.townships if t.township.pk == att["town_a"].pk)
    assert (town_a.cadres, town_a.present, town_a.target, town_a.at_risk, town_a.unrecorded) == (2, 22, 44, 1, 0)
    town_b = next(t for t in report.townships if t.township.pk == att["town_b"].pk)
    assert (town_b.cadres, town_b.present, town_b.unrecorded) == (1, 0, 11)
    # d_b recorded nothing: its 11 past working days are not possible, 12 ahead cannot reach 22 (R-M1).
    assert {c.dispatch.pk for c in report.at_risk_month} == {att["d_plain"].pk, att["d_b"].pk}
    # Nobody recorded March to June: 232 days ahead cannot reach 250 for anyone.
    assert {c.dispatch.pk for c in report.at_risk_year} == {att["d_a"].pk, att["d_plain"].pk, att["d_b"].pk}


def test_r_m1_compliance_lists_only_cadres_whose_term_overlaps_the_month(att):
    report = selectors.county_compliance(att["county"], D(2026, 2, 1), today=MID_JULY)
    assert report.cadres == [] and sum(t.cadres for t in report.townships) == 0
