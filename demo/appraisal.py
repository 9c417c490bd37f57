"""The demo county's appraisals: last year's cadres appraised and finalised, this year's round open (R-A1 … R-A5).

Everything goes through the real services and flow tasks, as the rest of the demo does; a part whose round
already exists (by title) is skipped, so building again adds nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext

from appraisal import services
from appraisal.flows import AppraisalFlow
from appraisal.models import Appraisal, AppraisalRound, AppraisalState, Grade
from demo.base import (
    COUNTY_CODE,
    DEMO_CADRE_UNIT,
    DEMO_DONE_CADRE_UNIT,
    DEMO_TOWNSHIP,
    SEED,
    Build,
    demo_at,
    execute_task,
    round_context,
)
from dispatch import services as dispatch_services
from dispatch.flows import DispatchFlow
from dispatch.models import Application, Dispatch, Pairing, TrainingBatch
from leave.calendar import Day, days_between, month_bounds
from leave.ledger import ledger_write
from leave.models import DaySource, DayStatus
from workflows.dates import add_months
from workflows.models import Cadre, County, Township, Unit, User, Village

LAST_TITLE = "{year}年度驻村干部考评"
#: Cadres of last year's round per township, and of this year's (the demo township gets three). Each costs
#: the demo build about a fifth of a second: these numbers are what keeps it quick.
LAST_PER_TOWNSHIP = 2
THIS_PER_TOWNSHIP = 1
THIS_IN_DEMO_TOWNSHIP = 3

_INSURER = "中国人寿保险股份有限公司汤阴支公司"
_ALLOWANCE = Decimal("700")
_NOTE = "政治素质好,熟悉农村工作,本人自愿到村工作。"
_TRAINING = "驻村蹲点工作内容、方法、要求;乡村振兴和农村政策;群众工作方法"


@dataclass(frozen=True)
class _Profile:
    """How a cadre's year went: the two scores' ranges and the villagers' vote shares (R-A2)."""

    township: tuple[int, int]
    unit: tuple[int, int]
    excellent: tuple[float, float]
    basically: tuple[float, float]
    incompetent: tuple[float, float]
    absences: int = 0


# Ranges chosen so that the weighted score lands in the profile's grade whatever the draw (40/30/30, 90/75/60).
_PROFILES = {
    "excellent": _Profile((92, 96), (91, 95), (0.72, 0.85), (0.0, 0.03), (0.0, 0.0)),
    "one_absence": _Profile((90, 93), (91, 94), (0.72, 0.82), (0.0, 0.03), (0.0, 0.0), absences=1),
    "competent": _Profile((80, 88), (80, 88), (0.25, 0.45), (0.04, 0.10), (0.0, 0.03)),
    "basically": _Profile((66, 71), (65, 70), (0.05, 0.10), (0.30, 0.40), (0.05, 0.10)),
    "three_absences": _Profile((72, 78), (76, 82), (0.10, 0.20), (0.10, 0.15), (0.02, 0.05), absences=3),
}

_TOWNSHIP_COMMENTS = {
    "excellent": [
        "驻村期间吃住在村,带领村“两委”发展特色种植,村集体经济收入明显增长,群众认可度高。",
        "工作扎实、作风务实,积极协调项目资金,推动村内道路硬化和人居环境整治,成效突出。",
    ],
    "one_absence": ["工作思路清晰,帮扶成效明显;驻村期间有1个工作日无故不在村,已提醒改正。"],
    "competent": [
        "能够按要求驻村开展工作,认真落实各项惠民政策,较好完成年度任务。",
        "遵守驻村纪律,积极参与村级事务,群众关系融洽,工作有一定成效。",
        "协助村“两委”开展矛盾纠纷排查调处,工作认真负责。",
    ],
    "basically": ["能完成基本工作任务,但主动性不足,入户走访次数偏少,工作成效一般。"],
    "three_absences": ["驻村期间有3个工作日无故不在村,经乡镇核实属实;其余时间能完成交办任务。"],
}
_UNIT_COMMENTS = {
    "excellent": [
        "定期向单位汇报驻村工作,积极争取单位帮扶资源,表现突出。",
        "发挥本单位行业优势为村办实事,单位领导班子一致认可。",
    ],
    "one_absence": ["帮扶措施有力,向单位汇报及时;个别时候驻村纪律有所松懈。"],
    "competent": ["能够按时汇报驻村工作情况,完成单位交办任务。", "工作态度端正,较好履行驻村职责。"],
    "basically": ["汇报工作不够及时,帮扶措施落实不够有力。"],
    "three_absences": ["驻村纪律意识不强,存在无故脱岗情况,单位已进行批评教育。"],
}
_CHANGED_REASON = (
    "经实地核查,该同志牵头的村级光伏项目未能按期建成并网,年度重点任务未全部完成;经县委组织部部务会研究,审定为称职。"
)
_CAP_REASON = "本次考评优秀名额已满,经县委组织部部务会研究,审定为称职。"
_PAPER_NOTE = "在村党员群众大会上现场评议,乡镇党委派员监票、计票。"
_LEAVE_NOTE = "事假,已经乡镇党委批准"
_ABSENT_NOTE = "乡镇随机抽查时不在村,未请假,经核实属实"


@dataclass
class _Slot:
    """One cadre of a cohort: where, from when, and how the year went."""

    cadre: Cadre
    village: Village
    stationed_on: datetime.date
    profile: str = "competent"
    dispatch: Dispatch | None = None
    appraisal: Appraisal | None = None


def appraisal_demo_build(*, county: County, today: datetime.date) -> dict[str, int]:
    """Last year's cadres appraised and finalised, this year's round open for the next ones (R-A1 … R-A5)."""
    ctx = round_context(county, today)
    created = dict.fromkeys(
        [
            "appraisal_pairings",
            "appraisal_training_batches",
            "appraisal_dispatches",
            "appraisal_attendance_days",
            "appraisal_rounds",
            "appraisals",
            "appraisal_ballot_batches",
            "appraisal_ballot_codes",
            "appraisal_paper_sessions",
        ],
        0,
    )
    units = {u.pk: u for u in Unit.objects.filter(county=county)}
    last_title = LAST_TITLE.format(year=today.year - 1)
    if not AppraisalRound.objects.filter(county=county, title=last_title).exists():
        build = Build(county, today, ctx, random.Random(f"{SEED}:appraisal:last"), created, units=units)
        _build_last_year(build, last_title)
    this_title = LAST_TITLE.format(year=today.year)
    if not AppraisalRound.objects.filter(county=county, title=this_title).exists():
        build = Build(county, today, ctx, random.Random(f"{SEED}:appraisal:this"), created, units=units)
        _build_this_year(build, this_title)
    return created


# --- Who goes where ----------------------------------------------------------------------------------


def _free_cadres(county: County) -> list[Cadre]:
    """Cadres never dispatched and not applying: the only ones a past or a near-ending term can be given to."""
    return list(
        Cadre.objects.filter(unit__county=county)
        .exclude(pk__in=Dispatch.objects.values("cadre_id"))
        .exclude(pk__in=Application.objects.values("cadre_id"))
        .select_related("user", "unit")
        .order_by("user__username")
    )


def _free_villages(county: County, year: int) -> dict[int, list[Village]]:
    """Per township, villages that never had a cadre and have none on the way this year, by code.

    So no term given here overlaps another in the same village, last year's cohort's included.
    """
    busy = Q(pk__in=Dispatch.objects.values("village_id")) | Q(
        pk__in=Pairing.objects.filter(year=year).values("village_id")
    )
    result: dict[int, list[Village]] = {}
    for village in (
        Village.objects.filter(township__county=county).exclude(busy).select_related("township").order_by("code")
    ):
        result.setdefault(village.township_id, []).append(village)
    return result


class _Picker:
    """Cadres of the county taken in turn from the units, at random within a unit, each once."""

    def __init__(self, rng: random.Random, cadres: list[Cadre]) -> None:
        self.rng = rng
        self.by_unit: dict[int, list[Cadre]] = {}
        for cadre in cadres:
            self.by_unit.setdefault(cadre.unit_id, []).append(cadre)
        self.order = sorted(self.by_unit)
        rng.shuffle(self.order)
        self.turn = 0

    def take(self, cadre: Cadre) -> Cadre:
        self.by_unit[cadre.unit_id].remove(cadre)
        return cadre

    def named(self, username: str) -> Cadre | None:
        found = next((c for cs in self.by_unit.values() for c in cs if c.user.username == username), None)
        return self.take(found) if found else None

    def of_unit(self, unit_name: str) -> Cadre | None:
        pool = next((cs for cs in self.by_unit.values() if cs and cs[0].unit.name == unit_name), [])
        return self.take(self.rng.choice(pool)) if pool else None

    def any(self) -> Cadre | None:
        for _ in range(len(self.order)):
            pool = self.by_unit[self.order[self.turn % len(self.order)]]
            self.turn += 1
            if pool:
                return self.take(self.rng.choice(pool))
        return None


def _plan_slots(
    build: Build, *, months_ago: int, days_more: int, sizes: dict[int, int], first: dict[str, str]
) -> list[_Slot]:
    """Cadres and villages for a cohort stationed `months_ago` months and `days_more` days before today.

    `first` names who takes the demo township's first places: a login ("user") or a unit ("unit").
    """
    rng = build.rng
    picker = _Picker(rng, _free_cadres(build.county))
    villages = _free_villages(build.county, build.today.year)
    base = add_months(build.today, -months_ago) - datetime.timedelta(days=days_more)
    slots = []
    for township in Township.objects.filter(county=build.county).order_by("code"):
        free = villages.get(township.pk, [])
        chosen = sorted(rng.sample(free, min(sizes[township.pk], len(free))), key=lambda v: v.code)
        stationed_on = base + datetime.timedelta(days=int(township.code[-1]) % 3)
        for n, village in enumerate(chosen):
            cadre = None
            if township.code == DEMO_TOWNSHIP and n == 0:
                cadre = picker.named(first["user"]) if "user" in first else picker.of_unit(first["unit"])
            cadre = cadre or picker.any()
            if cadre is None:
                return slots
            slots.append(_Slot(cadre, village, stationed_on))
    return slots


# --- A term: pairing, nomination to stationing, the day ledger (R-S1, R-S7 … R-S9, R-M2a) -----------


def _training_batch(build: Build, year: int, stationed_on: datetime.date) -> TrainingBatch:
    name = f"{year}年{stationed_on.month}月驻村干部岗前培训班"
    batch = TrainingBatch.objects.filter(county=build.county, year=year, name=name).first()
    if batch is None:
        with demo_at(stationed_on - datetime.timedelta(days=40)):
            batch = dispatch_services.training_batch_create(
                county=build.county,
                year=year,
                name=name,
                starts_on=stationed_on - datetime.timedelta(days=12),
                ends_on=stationed_on - datetime.timedelta(days=8),
                content=_TRAINING,
                by=build.ctx.org,
            )
        build.count("appraisal_training_batches")
    return batch


def _station(build: Build, slots: list[_Slot], year: int, batch: TrainingBatch) -> None:
    """The cohort through the services and flow tasks, from pairing to stationing on each slot's day."""
    ctx = build.ctx
    dispatches = []
    for slot in slots:
        cadre, village = slot.cadre, slot.village
        unit = build.units[cadre.unit_id]
        if not Pairing.objects.filter(unit=unit, village=village, year=year).exists():
            with demo_at(batch.starts_on - datetime.timedelta(days=30)):
                dispatch_services.pairing_add(unit=unit, village=village, year=year, by=ctx.org)
            build.count("appraisal_pairings")
        with demo_at(batch.starts_on - datetime.timedelta(days=12), 9, 30):
            d = dispatch_services.dispatch_nominate(
                cadre=cadre, village=village, by=ctx.deputies[unit.pk], year=year, note=_NOTE
            )
        build.count("appraisal_dispatches")
        with demo_at(batch.starts_on - datetime.timedelta(days=10), 11):
            _approve(ctx.heads[unit.pk], d)
        dispatches.append(d)
    with demo_at(batch.starts_on - datetime.timedelta(days=2)):
        dispatch_services.dispatch_enrol(dispatches=dispatches, batch=batch, by=ctx.org)
    with demo_at(batch.ends_on, 17):
        dispatch_services.dispatch_complete_training(dispatches=dispatches, completed_on=batch.ends_on, by=ctx.org)
    for slot, d in zip(slots, dispatches, strict=True):
        with demo_at(slot.stationed_on - datetime.timedelta(days=2)):
            _arrange(ctx.deputies[d.unit_id], d, slot.stationed_on)
        slot.dispatch = _take_in(ctx.committees[slot.village.township_id], d, slot.stationed_on)


def _approve(head: User, d: Dispatch) -> None:
    execute_task(
        DispatchFlow,
        "approve",
        d,
        user=head,
        perform=lambda: dispatch_services.dispatch_approve(dispatch=d, by=head, comment="同意。"),
    )


def _arrange(deputy: User, d: Dispatch, on: datetime.date) -> None:
    terms = {
        "insurer": _INSURER,
        "insurance_policy_no": f"P{d.year}{COUNTY_CODE}{d.pk:05d}",
        "insurance_starts_on": on - datetime.timedelta(days=1),
        "insurance_ends_on": add_months(on, 13) - datetime.timedelta(days=2),
        "party_relation_transferred_on": on,
        "living_allowance_yuan": _ALLOWANCE,
    }
    execute_task(
        DispatchFlow,
        "arrange",
        d,
        user=deputy,
        perform=lambda: dispatch_services.dispatch_record_arrangements(dispatch=d, by=deputy, **terms),
    )


def _take_in(committee: User, d: Dispatch, on: datetime.date) -> Dispatch:
    with demo_at(on, 9):
        return execute_task(
            DispatchFlow,
            "station",
            d,
            user=committee,
            perform=lambda: dispatch_services.dispatch_station(dispatch=d, by=committee, on=on),
        )


def _calendar(build: Build, slots: list[_Slot], last: datetime.date) -> dict[datetime.date, Day]:
    """The county's days over all the cohort's terms, read once."""
    first = min(s.dispatch.stationed_on for s in slots)
    return {day.date: day for day in days_between(first, last, build.county.pk)}


def _fill_ledger(build: Build, slot: _Slot, last: datetime.date, calendar: dict[datetime.date, Day]) -> None:
    """The term's days as the cadre reported them, a few days of leave and, for some, absences the township found.

    Working days in the village, a few away on reported business, about one rest day in five on duty in the
    village (250 days a year need some), the rest at rest (R-M1, R-M2a). Each month is entered at its end.
    """
    rng, d = build.rng, slot.dispatch
    days = [calendar[d.stationed_on + datetime.timedelta(days=n)] for n in range((last - d.stationed_on).days + 1)]
    if not days:
        return
    workdays = [day.date for day in days if day.is_workday]
    statuses = {
        day.date: DayStatus.IN_VILLAGE if day.is_workday or rng.random() < 0.2 else DayStatus.HOLIDAY for day in days
    }
    for day in rng.sample(workdays, min(len(workdays) // 40, len(workdays))):
        statuses[day] = DayStatus.OFFICIAL_BUSINESS
    leave: dict[datetime.date, str] = {}
    for _ in range(rng.randint(1, 2)):
        start = rng.randrange(max(len(workdays) - 3, 1))
        leave.update(dict.fromkeys(workdays[start : start + rng.randint(1, 3)], DayStatus.LEAVE))
    absent = [day for day in workdays if day not in leave]
    absent = dict.fromkeys(rng.sample(absent, min(_PROFILES[slot.profile].absences, len(absent))), DayStatus.ABSENT)
    for day in [*leave, *absent]:
        statuses.pop(day)
    committee = build.ctx.committees[slot.village.township_id]
    # Entered month by month at each month's end (the last one on the last day), the township's leave and
    # absences with it.
    month = d.stationed_on
    while month <= last:
        first, end = month_bounds(month)
        end = min(end, last)

        def within(found: dict[datetime.date, str], first=first, end=end) -> dict[datetime.date, str]:
            return {day: status for day, status in found.items() if first <= day <= end}

        with demo_at(end, 20):
            written = ledger_write(dispatch=d, statuses=within(statuses), source=DaySource.CADRE, by=d.cadre.user)
            written += ledger_write(
                dispatch=d, statuses=within(leave), source=DaySource.LEAVE, by=committee, note=_LEAVE_NOTE
            )
            written += ledger_write(
                dispatch=d,
                statuses=within(absent),
                source=DaySource.TOWNSHIP,
                by=committee,
                reason=_ABSENT_NOTE,
                note=_ABSENT_NOTE,
            )
        build.count("appraisal_attendance_days", written)
        month = end + datetime.timedelta(days=1)


# --- Scores and votes (R-A1, R-A5) ---------------------------------------------------------------------


def _score_township(build: Build, slot: _Slot, score: int, on: datetime.date) -> None:
    appraisal, committee = slot.appraisal, build.ctx.committees[slot.village.township_id]
    comment = build.rng.choice(_TOWNSHIP_COMMENTS[slot.profile])
    with demo_at(on, 10):
        execute_task(
            AppraisalFlow,
            "score_township",
            appraisal,
            user=committee,
            perform=lambda: services.township_score_enter(
                appraisal=appraisal, score=score, comment=comment, by=committee
            ),
        )


def _score_unit(build: Build, slot: _Slot, score: int, on: datetime.date) -> None:
    appraisal, head = slot.appraisal, build.ctx.heads[slot.cadre.unit_id]
    comment = build.rng.choice(_UNIT_COMMENTS[slot.profile])
    with demo_at(on, 15):
        execute_task(
            AppraisalFlow,
            "score_unit",
            appraisal,
            user=head,
            perform=lambda: services.unit_score_enter(appraisal=appraisal, score=score, comment=comment, by=head),
        )


def _scores(build: Build, slot: _Slot) -> tuple[int, int]:
    profile = _PROFILES[slot.profile]
    return build.rng.randint(*profile.township), build.rng.randint(*profile.unit)


def _votes(build: Build, slot: _Slot, total: int) -> list[str]:
    """The villagers' valid votes on one cadre, in the profile's shares, in the order they come in."""
    rng, profile = build.rng, _PROFILES[slot.profile]
    excellent = round(total * rng.uniform(*profile.excellent))
    basically = round(total * rng.uniform(*profile.basically))
    incompetent = round(total * rng.uniform(*profile.incompetent))
    votes = [Grade.EXCELLENT] * excellent + [Grade.BASICALLY_COMPETENT] * basically + [Grade.INCOMPETENT] * incompetent
    votes += [Grade.COMPETENT] * (total - len(votes))
    rng.shuffle(votes)
    return votes


def _vote_online(
    build: Build,
    slot: _Slot,
    round_: AppraisalRound,
    votes: list[str],
    issued: int,
    issued_on: datetime.date,
    days: int,
) -> None:
    """The township issues and prints codes for the village one morning; villagers cast some of them that
    afternoon and over the next `days` - 1 days (R-A5)."""
    committee = build.ctx.committees[slot.village.township_id]
    with demo_at(issued_on, 9):
        batch = services.ballots_issue(round_=round_, village=slot.village, count=issued, by=committee)
        codes = services.ballot_sheet_codes(batch=batch, by=committee)
    build.count("appraisal_ballot_batches")
    build.count("appraisal_ballot_codes", issued)
    for n, (code, grade) in enumerate(zip(codes, votes, strict=False)):
        with demo_at(issued_on + datetime.timedelta(days=n % days), 12 + n % 9, 7 * n % 60):
            services.ballot_cast(code=code, choices={slot.appraisal.pk: grade})


def _vote_on_paper(build: Build, slot: _Slot, votes: list[str], held_on: datetime.date) -> None:
    """The village meets on paper that day; the township enters the tallies that evening (R-A5)."""
    committee = build.ctx.committees[slot.village.township_id]
    invalid = build.rng.randint(0, 2)
    with demo_at(held_on, 17):
        services.paper_session_enter(
            appraisal=slot.appraisal,
            held_on=held_on,
            excellent=votes.count(Grade.EXCELLENT),
            competent=votes.count(Grade.COMPETENT),
            basically_competent=votes.count(Grade.BASICALLY_COMPETENT),
            incompetent=votes.count(Grade.INCOMPETENT),
            invalid=invalid,
            ballots_collected=len(votes) + invalid,
            by=committee,
            note=_PAPER_NOTE,
        )
    build.count("appraisal_paper_sessions")


def _open_round(
    build: Build,
    title: str,
    year: int,
    slots: list[_Slot],
    start: datetime.date,
    end: datetime.date,
    opened_on: datetime.date,
) -> AppraisalRound:
    with demo_at(opened_on, 9):
        round_ = services.round_open(
            county=build.county, title=title, year=year, term_ends_from=start, term_ends_to=end, by=build.ctx.org
        )
    build.count("appraisal_rounds")
    appraisals = {a.dispatch_id: a for a in round_.appraisals.all()}
    build.count("appraisals", len(appraisals))
    for slot in slots:
        slot.appraisal = appraisals[slot.dispatch.pk]
    return round_


# --- Last year: appraised and finalised (R-A1, R-A2, R-A2a, R-A3) --------------------------------------


def _build_last_year(build: Build, title: str) -> None:
    """About two cadres per township stationed 20 months ago, their term ended; the round run to the end."""
    rng, today, org, day = build.rng, build.today, build.ctx.org, datetime.timedelta(days=1)
    townships = list(Township.objects.filter(county=build.county).values_list("pk", flat=True))
    slots = _plan_slots(
        build,
        months_ago=20,
        days_more=0,
        sizes=dict.fromkeys(townships, LAST_PER_TOWNSHIP),
        first={"user": DEMO_DONE_CADRE_UNIT[0]},
    )
    if not slots:
        return
    # A few excellent (the demo login among them), one with an absence, one basically competent, one
    # capped by three absences, the rest competent.
    star = next((s for s in slots if s.cadre.user.username == DEMO_DONE_CADRE_UNIT[0]), None)
    others = [s for s in slots if s is not star]
    rng.shuffle(others)
    special = ["excellent", "excellent", "excellent", "one_absence", "basically", "three_absences"]
    for slot, profile in zip(others, special, strict=False):
        slot.profile = profile
    if star is not None:
        star.profile = "excellent"
    changed = others[0] if others and others[0].profile == "excellent" else None

    year = min(s.stationed_on for s in slots).year
    batch = _training_batch(build, year, min(s.stationed_on for s in slots))
    _station(build, slots, year, batch)
    calendar = _calendar(build, slots, max(s.dispatch.term_ends_on for s in slots))
    for slot in slots:
        _fill_ledger(build, slot, slot.dispatch.term_ends_on, calendar)

    # The round opens a few days after the last term ended (terms ended about eight months ago); scores and
    # votes come in over the next week, the vote closes, and the grades are finalised a few days later.
    ends = [s.dispatch.term_ends_on for s in slots]
    opened_on = max(ends) + 3 * day
    round_ = _open_round(build, title, today.year - 1, slots, min(ends) - 15 * day, max(ends) + 15 * day, opened_on)
    # Every village met on paper; half of them also had codes to vote online, the demo login's among them.
    online_too = rng.sample(others, min(max(len(slots) // 2 - 1, 0), len(others)))
    with_codes = {id(s) for s in [star, *online_too] if s is not None}
    for n, slot in enumerate(slots):
        township, unit = _scores(build, slot)
        _score_township(build, slot, township, opened_on + (1 + n % 4) * day)
        _score_unit(build, slot, unit, opened_on + (2 + n % 4) * day)
        online = rng.randint(3, 9) if id(slot) in with_codes else 0
        votes = _votes(build, slot, online + rng.randint(16, 45))
        if online:
            _vote_online(
                build, slot, round_, votes[:online], online + rng.randint(3, 10), opened_on + (3 + n % 3) * day, 3
            )
        _vote_on_paper(build, slot, votes[online:], opened_on + (5 + n % 3) * day)
    closed_on = opened_on + 9 * day
    with demo_at(closed_on, 10):
        services.round_close(round_=round_, by=org)

    for n, slot in enumerate(slots):
        appraisal = Appraisal.objects.get(pk=slot.appraisal.pk)
        grade, reason = appraisal.proposed_grade, ""
        if slot is changed:
            grade, reason = Grade.COMPETENT, _CHANGED_REASON
        elif grade == Grade.EXCELLENT:
            done, allowed = services.excellent_share(round_=round_, category=appraisal.category)
            if allowed is not None and done >= allowed:
                grade, reason = Grade.COMPETENT, _CAP_REASON
        _finalise(build, appraisal, grade, reason, closed_on + 4 * day, n)


def _finalise(build: Build, appraisal: Appraisal, grade: str, reason: str, on: datetime.date, n: int) -> None:
    """The org dept finalises the round's grades one after another on one afternoon, a minute apart."""
    org = build.ctx.org
    hour, minute = divmod(n, 60)
    with demo_at(on, 15 + hour, minute):
        execute_task(
            AppraisalFlow,
            "finalise",
            appraisal,
            user=org,
            perform=lambda: services.appraisal_finalise(appraisal=appraisal, grade=grade, by=org, reason=reason),
        )


# --- This year: the round open, scores and votes coming in (R-A1, R-A5) --------------------------------


def _build_this_year(build: Build, title: str) -> None:
    """Cadres stationed 11½ months ago, their term ending in the coming weeks; the round open for them.

    In the demo township one cadre of the demo unit waits for both scores, one for the unit's, one has
    both; codes are out in two of its villages and a paper session is in; elsewhere a mix.
    """
    rng, today, day = build.rng, build.today, datetime.timedelta(days=1)
    townships = list(Township.objects.filter(county=build.county).values_list("pk", "code"))
    sizes = {pk: THIS_IN_DEMO_TOWNSHIP if code == DEMO_TOWNSHIP else THIS_PER_TOWNSHIP for pk, code in townships}
    slots = _plan_slots(build, months_ago=11, days_more=15, sizes=sizes, first={"unit": DEMO_CADRE_UNIT[1]})
    if not slots:
        return
    year = min(min(s.stationed_on for s in slots).year, today.year - 1)
    batch = _training_batch(build, year, min(s.stationed_on for s in slots))
    yesterday = today - day
    _station(build, slots, year, batch)
    calendar = _calendar(build, slots, yesterday)
    for slot in slots:
        committee = build.ctx.committees[slot.village.township_id]
        with demo_at(min(slot.dispatch.stationed_on + 5 * day, yesterday), 10):
            dispatch_services.mentor_assign(dispatch=slot.dispatch, mentor=committee, by=committee)
        _fill_ledger(build, slot, min(yesterday, slot.dispatch.term_ends_on), calendar)

    # Opened twelve days ago; scores and votes have come in since, the last of them yesterday.
    round_ = _open_round(build, title, today.year, slots, today - 30 * day, today + 60 * day, today - 12 * day)
    # In the demo township: nothing yet, the township's score, both; elsewhere every stage, mostly both.
    demo = [s for s in slots if s.village.township.code == DEMO_TOWNSHIP]
    elsewhere = [s for s in slots if s not in demo]
    mix = (["both", "township", "unit", "none", "both"] * len(elsewhere))[: len(elsewhere)]
    rng.shuffle(mix)
    stages = {
        id(s): stage
        for s, stage in [*zip(demo, ["none", "township", "both"], strict=False), *zip(elsewhere, mix, strict=True)]
    }
    for n, slot in enumerate(slots):
        stage = stages[id(slot)]
        township, unit = _scores(build, slot)
        if stage in ("township", "both"):
            _score_township(build, slot, township, today - (10 - n % 7) * day)
        if stage in ("unit", "both"):
            _score_unit(build, slot, unit, today - (9 - n % 7) * day)
    # Codes out in two villages of the demo township, some used; a paper session held in a third.
    for n, slot in enumerate(demo[:2]):
        _vote_online(build, slot, round_, _votes(build, slot, rng.randint(12, 25)), 40, today - (6 - n) * day, 5)
    for slot in demo[2:3]:
        _vote_on_paper(build, slot, _votes(build, slot, rng.randint(25, 45)), today - 2 * day)


def appraisal_demo_counts(county: County) -> list[tuple[str, int]]:
    """The command's summary lines: each round's cadres, the grades finalised and those still open (R-A2)."""
    live = Appraisal.objects.filter(round__county=county).exclude(state=AppraisalState.CANCELLED)
    lines = [(gettext("年度考评"), live.count())]
    for round_ in AppraisalRound.objects.filter(county=county).order_by("year", "pk"):
        in_round = live.filter(round=round_)
        lines.append(("  " + round_.title, in_round.count()))
        grades = Counter(in_round.filter(state=AppraisalState.FINALISED).values_list("final_grade", flat=True))
        lines += [("    " + str(grade.label), grades[grade]) for grade in Grade if grades[grade]]
        waiting = in_round.filter(state=AppraisalState.OPEN).count()
        if waiting:
            lines.append(("    " + str(AppraisalState.OPEN.label), waiting))
    return lines
