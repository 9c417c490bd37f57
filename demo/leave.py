"""The demo county's management while stationed: the day ledger, leave, visits, inspections, circulars (R-M1 … R-M6).

Everything goes through the real services (the day ledger through its one write path, as the cadres' monthly
calendars are entered), each step run at the time it would have happened (`demo.base.demo_at`), in the
order of those times. A part already built is skipped, so building again adds nothing.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.conf import settings

from demo.base import DAY, DEMO_CADRE_UNIT, DEMO_TOWNSHIP, SEED, Build, demo_at, round_context
from dispatch import services as dispatch_services
from dispatch.models import Dispatch, DispatchState, Pairing, Recall, RecallReason
from dispatch.selectors import paired_villages_with_places
from leave.calendar import month_bounds
from leave.ledger import ledger_write
from leave.models import (
    AttendanceDay,
    AttendanceMonth,
    CircularKind,
    DaySource,
    DayStatus,
    InspectionKind,
    LeaveRequest,
    MonthState,
    Visit,
)
from leave.selectors import leave as leave_selectors
from leave.selectors.attendance import dispatches_in_month
from leave.services import attendance, oversight
from leave.services import leave as leaves
from workflows.models import County, Township, Unit, Village

_ABSENT_NOTE = "乡镇党委电话抽查及到村核实,当日不在村,未请假,也未报备。"
_AT_RISK_NOTE = "多次无故不在村,经乡镇党委核实,已约谈提醒。"
_LEAVE_REASONS = {
    "short": "家中老人住院需要陪护,请假两天。",
    "long": "本人需到市人民医院做手术,术后休养一周。",
    "approved": "孩子学校家长会及家中事务,请事假。",
    "now": "爱人分娩,请假照顾。",
    "back": "参加亲属婚礼。",
    "late": "回老家处理房屋修缮事宜。",
    "closed": "本人身体不适,到县医院检查。",
    "rejected": "外出旅游。",
    "withdrawn": "家中有事,需回去处理。",
}
_REJECT_COMMENT = "正值村“两委”换届筹备关键时期,不宜离村,请另行安排时间。"
_REVIEW_COMMENT = "情况属实,乡镇党委同意,报县委组织部审批。"
_HEAD_NOTES = "到村听取驻村干部工作汇报,走访脱贫户,协调解决村内道路硬化资金。"
_DEPUTY_NOTES = "到村调研驻村工作开展情况,与村“两委”班子座谈,督促落实驻村纪律。"
_INSPECTION_NOTES = "县委组织部会同纪委监委对部分乡镇驻村干部在岗情况进行暗访,不打招呼、直奔现场。"
_INSPECTION_ABSENT = "暗访时不在村,电话联系称在县城办私事,未请假。"
_CIRCULAR_TITLE = "关于驻村干部管理工作情况的通报"
_CIRCULAR_BODY = (
    "近期,县委组织部对全县驻村干部在岗履职情况进行了暗访。暗访发现,个别派出单位对驻村干部"
    "管理不严、关心指导不够,存在驻村干部无故不在岗、单位领导未按要求到村调研等问题。现予以通报,"
    "请被通报单位认真整改,于15日内将整改情况书面报县委组织部。"
)
_RECALL_APPROVED = (
    "incompetent",
    "驻村半年多来工作打不开局面,群众工作方法欠缺,经乡镇党委研究提出召回。",
    "同意召回,请派出单位按程序召回并另行选派。",
)
_RECALL_DECLINED = (
    "not_accepted",
    "部分村民反映该同志入户走访不多。",
    "经组织部调查核实,该同志工作总体扎实,群众反映属个别情况,不同意召回,请乡镇加强指导。",
)


def leave_demo_build(*, county: County, today: datetime.date) -> dict[str, int]:
    """The term so far: calendars entered and past months confirmed, leave in every state, visits, an
    inspection and its circular, recalls at every step, and a village with a place for every unit."""
    build = Build(
        county,
        today,
        round_context(county, today),
        random.Random(f"{SEED}:leave"),
        dict.fromkeys(
            [
                "leave_requests",
                "attendance_days",
                "months_confirmed",
                "visits",
                "inspections",
                "circulars",
                "recalls",
                "spare_pairings",
            ],
            0,
        ),
    )
    current = list(
        Dispatch.objects.filter(unit__county=county, year=today.year, state=DispatchState.STATIONED)
        .select_related("cadre__user", "unit", "village__township")
        .order_by("village__code")
    )
    roles = _cast(current)
    first_build = not LeaveRequest.objects.filter(dispatch__unit__county=county).exists()
    if first_build:
        earlier = list(
            Dispatch.objects.filter(
                unit__county=county, state=DispatchState.STATIONED, village__township__code=DEMO_TOWNSHIP
            )
            .exclude(year=today.year)
            .select_related("cadre__user", "unit", "village__township")
            .order_by("village__code")
        )
        _plan_leaves(build, roles["leave"], earlier)
        _plan_visits(build, county)
        _plan_inspection(build, current, roles)
        _plan_recalls(build, roles)
    _plan_ledger(build, county, roles)
    _plan_confirmations(build, county)
    for moment, _n, step in sorted(build.steps, key=lambda s: (s[0], s[1])):
        with demo_at(moment.date(), moment.hour, moment.minute):
            step()
    _spare_villages(build, county)
    return build.created


# --- Who plays which part ------------------------------------------------------------------------------


def _cast(current: list[Dispatch]) -> dict[str, list[Dispatch]]:
    """The demo township's cadres take the leave (xiangzhen1 decides it); others the ledger's and recall's parts."""
    demo_username = DEMO_CADRE_UNIT[0]
    home = [d for d in current if d.village.township.code == DEMO_TOWNSHIP]
    home.sort(key=lambda d: (d.cadre.user.username != demo_username, d.village.code))
    elsewhere = [d for d in current if d.village.township.code != DEMO_TOWNSHIP]
    # A cadre at risk this month and this year, one absent at both ends a few days, one who has not entered
    # this month yet: in the demo township where it has more than the leave's four cadres, else elsewhere.
    spare = home[4:] + elsewhere
    at_risk, both_ends, unreported = spare[0:1], spare[1:2], spare[2:3]
    others = [d for d in elsewhere if d not in at_risk + both_ends + unreported]
    second_unit = next((d for d in others if d.unit.name == "县教育局"), None)
    recall_approved = [second_unit] if second_unit else others[:1]
    recall_declined = [d for d in others if d not in recall_approved][-1:]
    return {
        "leave": home[:4],
        "at_risk": at_risk,
        "both_ends": both_ends,
        "unreported": unreported,
        "recall_approved": recall_approved,
        "recall_declined": recall_declined,
        "inspected": [d for d in others if d not in recall_approved + recall_declined],
    }


# --- Leave in every state (R-M2) -------------------------------------------------------------------------


def _plan_leaves(build: Build, cadres: list[Dispatch], others: list[Dispatch]) -> None:
    """Nine requests over four cadres of the demo township, one in each state a leave can be in.

    A leave that does not fit its cadre's term (early in the year this year's terms have only begun) goes to
    another cadre of the township whose term it fits.
    """
    if not cadres:
        return
    planned: dict[int, list[tuple[datetime.date, datetime.date]]] = {}
    t = build.today
    late_start = t.replace(day=1) if t.day >= 14 else (t.replace(day=1) - DAY).replace(day=5)
    now_start = build.last_workday_before(t)
    plans = [  # (cadre, key, first working day on or after, working days, what happens)
        (0, "closed", t - 75 * DAY, 2, "closed"),
        (0, "now", now_start, 3, "on_leave"),
        (1, "short", t + 8 * DAY, 2, "requested"),
        (1, "late", late_start + DAY, 2, "late"),
        (2, "long", t + 15 * DAY, 5, "reviewed"),
        (2, "rejected", t - 40 * DAY, 3, "rejected"),
        (3, "approved", t + 5 * DAY, 3, "approved"),
        (3, "withdrawn", t - 25 * DAY, 2, "withdrawn"),
        (3, "back", t - 12 * DAY, 2, "back"),
    ]
    for index, key, start, n, story in plans:
        days = build.workdays_from(start, n)
        first, last = days[0], days[-1]
        dispatch = next(
            (
                d
                for d in [cadres[index % len(cadres)], *cadres, *others]
                if d.stationed_on + 7 * DAY <= first
                and last <= d.term_ends_on
                and not any(a <= last + 7 * DAY and first <= b + 7 * DAY for a, b in planned.get(d.pk, []))
            ),
            None,
        )
        if dispatch is None:
            continue
        planned.setdefault(dispatch.pk, []).append((first, last))
        _plan_leave(build, dispatch, first, last, key, story)


def _plan_leave(
    build: Build, dispatch: Dispatch, starts_on: datetime.date, ends_on: datetime.date, key: str, story: str
) -> None:
    t, ctx = build.today, build.ctx
    cadre, committee, org = dispatch.cadre.user, ctx.committees[dispatch.village.township_id], ctx.org
    asked_on = max(dispatch.stationed_on, min(starts_on - 6 * DAY, t - 2 * DAY))
    box: dict[str, LeaveRequest] = {}
    at = build.chain()

    def request() -> None:
        box["leave"] = leaves.leave_request(
            dispatch=dispatch, starts_on=starts_on, ends_on=ends_on, reason=_LEAVE_REASONS[key], by=cadre
        )
        build.count("leave_requests")

    def decide(by, approve=True, comment="同意。") -> Callable[[], object]:
        def step() -> None:
            # A cadre of an earlier year has the whole term entered already (demo/appraisal.py builds it
            # first): the decider ticks each day already recorded to be overwritten by the leave, as the page asks.
            recorded = [r.date for r in leave_selectors.days_leave_would_overwrite(box["leave"])] if approve else []
            box["leave"] = leaves.leave_decide(
                leave=box["leave"], by=by, approve=approve, comment=comment, overwrite=recorded
            )

        return step

    at(asked_on, 20, request)
    decided_on = min(asked_on + DAY, t)
    if story == "requested":
        return
    if story == "withdrawn":
        at(decided_on, 8, lambda: leaves.leave_withdraw(leave=box["leave"], by=cadre))
        return
    if story == "rejected":
        at(decided_on, 11, decide(committee, approve=False, comment=_REJECT_COMMENT))
        return
    needs_org = _workdays(build, starts_on, ends_on) > settings.POLICY["LEAVE_TOWNSHIP_MAX_DAYS"]
    at(decided_on, 11, decide(committee, comment=_REVIEW_COMMENT if needs_org else "同意。"))
    if needs_org and story != "reviewed":
        at(min(decided_on + DAY, t), 15, decide(org, comment="同意。"))
    if story in ("reviewed", "approved"):
        return
    at(starts_on, 8, lambda: leaves.leave_begin_due(on=starts_on))
    if story == "on_leave":
        return
    returned_on = build.workdays_from(ends_on + DAY, 3 if story == "late" else 1)[-1]
    at(
        returned_on,
        9,
        lambda: box.__setitem__(
            "leave", leaves.leave_report_back(leave=box["leave"], returned_on=returned_on, by=cadre)
        ),
    )
    if story == "closed":
        at(returned_on + DAY, 10, lambda: leaves.leave_close(leave=box["leave"], by=committee))


def _workdays(build: Build, start: datetime.date, end: datetime.date) -> int:
    return sum(1 for n in range((end - start).days + 1) if build.calendar_day(start + n * DAY).is_workday)


# --- The day ledger and the months confirmed (R-M1, R-M2a, R-M3) ------------------------------------------


def _plan_ledger(build: Build, county: County, roles: dict[str, list[Dispatch]]) -> None:
    """Each cadre of this year's round enters each month's calendar at its end, this month's up to yesterday.

    Working days in the village, a few away on reported business, about one rest day in four on duty in the
    village; the cadre at risk was often absent, the township found another absent on a few days; one cadre
    has entered nothing this month yet.
    """
    yesterday = build.today - DAY
    special = {d.pk: part for part in ("at_risk", "both_ends", "unreported") for d in roles[part]}
    dispatches = (
        Dispatch.objects.filter(unit__county=county, year=build.today.year, stationed_on__isnull=False)
        .select_related("cadre__user", "village__township")
        .order_by("pk")
    )
    this_month = build.today.replace(day=1)
    for dispatch in dispatches:
        last = min(dispatch.ended_on or yesterday, yesterday)
        month = dispatch.stationed_on.replace(day=1)
        part = special.get(dispatch.pk, "")
        while month <= last:
            first, end = month_bounds(month)
            span = (max(first, dispatch.stationed_on), min(end, last))
            if not (part == "unreported" and month == this_month):
                build.at(span[1], 20, _month_entry(build, dispatch, span, part))
            month = end + DAY


def _month_entry(
    build: Build, dispatch: Dispatch, span: tuple[datetime.date, datetime.date], part: str
) -> Callable[[], None]:
    rng = random.Random(f"{SEED}:leave:{dispatch.pk}:{span[0]}")

    def enter() -> None:
        days = [build.calendar_day(span[0] + n * DAY) for n in range((span[1] - span[0]).days + 1)]
        recorded = set(AttendanceDay.objects.filter(dispatch=dispatch, date__range=span).values_list("date", flat=True))
        if AttendanceMonth.objects.filter(
            dispatch=dispatch, month=span[0].replace(day=1), state=MonthState.CONFIRMED
        ).exists():
            return
        statuses: dict[datetime.date, str] = {}
        absent: list[datetime.date] = []
        for day in days:
            if day.date in recorded:
                continue
            if not day.is_workday:
                on_duty = rng.random() < (0.0 if part == "at_risk" else 0.25)
                statuses[day.date] = DayStatus.IN_VILLAGE if on_duty else DayStatus.HOLIDAY
            elif part == "at_risk" and (rng.random() < 0.3 or day.date >= build.today.replace(day=1)):
                absent.append(day.date)
            else:
                statuses[day.date] = DayStatus.OFFICIAL_BUSINESS if rng.random() < 0.03 else DayStatus.IN_VILLAGE
        if part == "both_ends" and span[0].month % 3 == 0:
            workdays = [d for d, s in statuses.items() if build.calendar_day(d).is_workday]
            absent += rng.sample(workdays, min(2, len(workdays)))
            for day in absent:
                statuses.pop(day, None)
        committee = build.ctx.committees[dispatch.village.township_id]
        written = ledger_write(
            dispatch=dispatch, statuses=statuses, source=DaySource.CADRE, by=dispatch.cadre.user, overwrite=False
        )
        for day in absent:
            attendance.day_set(
                dispatch=dispatch,
                day=day,
                status=DayStatus.ABSENT,
                by=committee,
                note=_AT_RISK_NOTE if part == "at_risk" else _ABSENT_NOTE,
            )
        build.count("attendance_days", written + len(absent))

    return enter


def _plan_confirmations(build: Build, county: County) -> None:
    """Each township confirms every past month on the second day of the next, once all its days are entered."""
    this_month = build.today.replace(day=1)
    first = (
        Dispatch.objects.filter(unit__county=county, stationed_on__isnull=False)
        .order_by("stationed_on")
        .values_list("stationed_on", flat=True)
        .first()
    )
    if first is None:
        return
    month = first.replace(day=1)
    while month < this_month:
        end = month_bounds(month)[1]
        for township in Township.objects.filter(county=county).order_by("code"):
            build.at(min(end + 2 * DAY, build.today), 10, _confirm(build, township, month))
        month = end + DAY


def _confirm(build: Build, township: Township, month: datetime.date) -> Callable[[], None]:
    def confirm() -> None:
        dispatches = dispatches_in_month(month).filter(village__township=township)
        confirmed = AttendanceMonth.objects.filter(dispatch__in=dispatches, month=month, state=MonthState.CONFIRMED)
        if confirmed.count() == dispatches.count():  # none stationed then, or confirmed already
            return
        rows = attendance.month_confirm(township=township, month=month, by=build.ctx.committees[township.pk])
        build.count("months_confirmed", len(rows))

    return confirm


# --- Leaders' visits (R-M5) ----------------------------------------------------------------------------


def _plan_visits(build: Build, county: County) -> None:
    """Heads and deputies visit most cadres; one unit's deputy skipped a half-year; near-ending terms await the head."""
    t = build.today
    dispatches = list(
        Dispatch.objects.filter(unit__county=county, state=DispatchState.STATIONED)
        .select_related("cadre", "unit", "village")
        .order_by("pk")
    )
    skipped_unit = next((d.unit_id for d in dispatches if d.unit.name == DEMO_CADRE_UNIT[1]), None)
    for dispatch in dispatches:
        head, deputy = build.ctx.heads[dispatch.unit_id], build.ctx.deputies[dispatch.unit_id]
        ending = dispatch.term_ends_on - t < datetime.timedelta(days=60)
        plans = []
        if not ending:
            plans.append((head, dispatch.stationed_on + 40 * DAY, _HEAD_NOTES))
        if dispatch.unit_id != skipped_unit or dispatch.cadre.user.username == DEMO_CADRE_UNIT[0]:
            plans.append((deputy, dispatch.stationed_on + 55 * DAY, _DEPUTY_NOTES))
        if dispatch.pk % 2:
            plans.append((deputy, dispatch.stationed_on + 200 * DAY, _DEPUTY_NOTES))
        for visitor, on, notes in plans:
            if on < t:
                build.at(on, 15, _visit(build, dispatch, visitor, on, notes, deputy))


def _visit(build: Build, dispatch: Dispatch, visitor, on: datetime.date, notes: str, by) -> Callable[[], None]:
    def record() -> None:
        if not Visit.objects.filter(dispatch=dispatch, visitor=visitor, visited_on=on).exists():
            oversight.visit_record(dispatch=dispatch, visitor=visitor, visited_on=on, notes=notes, by=by)
            build.count("visits")

    return record


# --- An unannounced inspection and its circular (R-M6, R-M3) ------------------------------------------------


def _plan_inspection(build: Build, current: list[Dispatch], roles: dict[str, list[Dispatch]]) -> None:
    """The org dept calls on five cadres unannounced; one is away without leave, and a circular names two units."""
    pool = roles["inspected"]
    if len(pool) < 5:
        return
    on = build.last_workday_before(build.today - 7 * DAY)
    absent = next((d for d in pool if d.unit.name == DEMO_CADRE_UNIT[1]), pool[0])
    checked = [absent, *[d for d in pool if d is not absent and d.unit_id != absent.unit_id][:4]]
    if any(d.stationed_on >= on for d in checked):
        return
    missing_visits = next((d.unit for d in current if d.unit_id != absent.unit_id and d.unit.name != "县教育局"), None)
    org = build.ctx.org

    def inspect() -> None:
        findings = [(d, d is not absent, _INSPECTION_ABSENT if d is absent else "在村入户走访。") for d in checked]
        oversight.inspection_record(
            county=build.county,
            kind=InspectionKind.UNANNOUNCED,
            inspected_on=on,
            notes=_INSPECTION_NOTES,
            findings=findings,
            by=org,
        )
        build.count("inspections")

    def circulate() -> None:
        units: list[Unit] = [absent.unit, *([missing_visits] if missing_visits else [])]
        oversight.circular_issue(
            county=build.county,
            title=_CIRCULAR_TITLE,
            kind=CircularKind.POOR_GUIDANCE,
            body=_CIRCULAR_BODY,
            issued_on=issued_on,
            units=units,
            by=org,
        )
        build.count("circulars")

    issued_on = min(on + 3 * DAY, build.today)
    at = build.chain()
    at(on, 16, inspect)
    at(issued_on, 10, circulate)


# --- Recalls at each step (R-M5a) --------------------------------------------------------------------------


def _plan_recalls(build: Build, roles: dict[str, list[Dispatch]]) -> None:
    """One recall agreed and waiting for the unit, one the org dept declined (proposed and done exist already)."""
    t, ctx = build.today, build.ctx
    for dispatch, (reason, details, comment), approve, days_ago in (
        *((d, _RECALL_APPROVED, True, 6) for d in roles["recall_approved"]),
        *((d, _RECALL_DECLINED, False, 30) for d in roles["recall_declined"]),
    ):
        if Recall.objects.filter(dispatch=dispatch).exists():
            continue
        proposed_on = max(dispatch.stationed_on, t - days_ago * DAY)
        committee = ctx.committees[dispatch.village.township_id]
        box: dict[str, Recall] = {}

        def propose(dispatch=dispatch, reason=reason, details=details, committee=committee, box=box) -> None:
            box["recall"] = dispatch_services.recall_propose(
                dispatch=dispatch, by=committee, reason=RecallReason(reason), details=details
            )
            build.count("recalls")

        def decide(approve=approve, comment=comment, box=box) -> None:
            dispatch_services.recall_decide(recall=box["recall"], by=ctx.org, approve=approve, comment=comment)

        at = build.chain()
        at(proposed_on, 16, propose)
        at(min(proposed_on + 2 * DAY, t), 10, decide)


# --- A village with a place for every unit (R-S6) ----------------------------------------------------------


def _spare_villages(build: Build, county: County) -> None:
    """Pair each unit that has no place left with one more village, so it can still nominate a cadre."""
    year = build.today.year
    busy = set(Dispatch.objects.values_list("village_id", flat=True)) | set(
        Pairing.objects.filter(year=year).values_list("village_id", flat=True)
    )
    free = [
        v
        for v in Village.objects.filter(township__county=county).select_related("township").order_by("code")
        if v.pk not in busy
    ]
    build.rng.shuffle(free)
    for unit in Unit.objects.filter(county=county).order_by("code"):
        if paired_villages_with_places(unit, year).filter(has_place=True).exists() or not free:
            continue
        village = free.pop()
        with demo_at(build.ctx.spring - 30 * DAY):
            dispatch_services.pairing_add(unit=unit, village=village, year=year, by=build.ctx.org)
        build.count("spare_pairings")
