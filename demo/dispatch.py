"""The demo county's round this year: quotas, training, dispatches in every state, recalls, a team (R-S1 … R-M5a).

Each dispatch goes through the real services and flow tasks as far as the round's plan (`demo.county.plan_round`)
says, each step dated when it would have happened; one already there is skipped, so building again adds nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from demo.base import COUNTY_CODE, DEMO_CADRE_UNIT, DEMO_TOWNSHIP, Round, demo_at, execute_task, round_context
from demo.county import CountyPlan, DispatchPlan, plan_round
from dispatch import services
from dispatch.flows import DispatchFlow, RecallFlow
from dispatch.models import (
    ACTIVE_STATES,
    Application,
    Dispatch,
    DispatchState,
    Exclusion,
    Quota,
    TeamLeader,
    TrainingBatch,
    WorkGroup,
)
from workflows.dates import add_months
from workflows.models import Cadre, County, Township, Unit, Village

_NOTES = {
    "reserve": "后备干部,政治素质好,工作扎实,本人愿意到村锻炼。",
    "key": "重点培养对象,熟悉基层情况,群众基础好。",
    "plain": [
        "年富力强,有基层工作经历,本人自愿到村工作。",
        "熟悉农业农村政策,工作作风扎实。",
        "政治素质好,善于做群众工作。",
    ],
}
_REJECT_REASON = "该同志正牵头本单位重点项目,近期离不开,请另行推荐人选。"
_EXCLUSION_NOTE = "参加工作时间短,基层工作经验不足,独立开展工作能力不强。"
_EXCLUDED_REASON = "属“宁可不派”情形(工作能力不强),不予批准。"
_WITHDRAW_REASON = "本人家中老人突发重病需要照料,单位撤回推荐,另行推荐人选。"
_RECALL_DONE = (
    "absent_without_reason",
    "6月份无故脱岗累计5个工作日,经乡镇党委核实属实。",
    "同意召回,由派出单位另行选派。",
)
_RECALL_PROPOSED = ("time_not_guaranteed", "近两个月多次以单位事务为由离村,驻村天数明显不足,经约谈后仍未改进。")
_APPLICATION_STATEMENT = "本人在农村长大,熟悉农业生产,自愿报名到村工作,请组织考虑。"
_INSURERS = [
    "中国人寿保险股份有限公司汤阴支公司",
    "中国人民财产保险股份有限公司汤阴支公司",
    "中华联合财产保险股份有限公司汤阴支公司",
]
_ALLOWANCES = [Decimal("600"), Decimal("800"), Decimal("700")]


def _batch(ctx: Round, key: str) -> TrainingBatch:
    """One of the year's three pre-service training batches: spring (done), recent (done), next (to come)."""
    if key in ctx.batches:
        return ctx.batches[key]
    day = datetime.timedelta(days=1)
    number, starts_on, ends_on = {
        "spring": ("一", ctx.spring - 7 * day, ctx.spring - 3 * day),
        "recent": ("二", ctx.today - 10 * day, ctx.today - 6 * day),
        "next": ("三", ctx.today + 3 * day, ctx.today + 7 * day),
    }[key]
    name = f"{ctx.year}年第{number}期驻村干部岗前培训班"
    batch = TrainingBatch.objects.filter(county=ctx.county, year=ctx.year, name=name).first()
    if batch is None:
        with demo_at(min(starts_on - 20 * day, ctx.today)):
            batch = services.training_batch_create(
                county=ctx.county,
                year=ctx.year,
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                content="驻村蹲点工作内容、方法、要求;乡村振兴和农村政策;群众工作方法",
                by=ctx.org,
            )
        ctx.created["training_batches"] += 1
    ctx.batches[key] = batch
    return batch


def _arrangements(ctx: Round, dispatch: Any, starts_on: datetime.date) -> dict[str, Any]:
    n = dispatch.pk
    return {
        "insurer": _INSURERS[dispatch.unit_id % len(_INSURERS)],
        "insurance_policy_no": f"P{ctx.year}{COUNTY_CODE}{n:05d}",
        "insurance_starts_on": starts_on - datetime.timedelta(days=1),
        "insurance_ends_on": add_months(starts_on, 13) - datetime.timedelta(days=2),
        "party_relation_transferred_on": starts_on,
        "living_allowance_yuan": _ALLOWANCES[dispatch.unit_id % len(_ALLOWANCES)],
    }


def _build_dispatch(ctx: Round, item: DispatchPlan, cadre: Cadre, village: Village, serial: int) -> Dispatch | None:
    """Take one dispatch through the services and flow tasks as far as its plan says; None if it is there."""
    if Dispatch.objects.filter(cadre=cadre, village=village, year=ctx.year).exists():
        return None
    # Someone using the demo may have sent this cadre, or another to this village, meanwhile.
    if Dispatch.objects.filter(Q(cadre=cadre) | Q(village=village, year=ctx.year), state__in=ACTIVE_STATES).exists():
        return None
    head, deputy = ctx.heads[cadre.unit_id], ctx.deputies[cadre.unit_id]
    excluded = item.state == "excluded"
    kind = "reserve" if cadre.is_reserve else "key" if cadre.is_key_cultivation else "plain"
    note = _NOTES[kind] if kind != "plain" else _NOTES["plain"][serial % len(_NOTES["plain"])]
    day = datetime.timedelta(days=1)
    key = {"nominated": "now", "approved": "next", "training": "next", "trained": "recent", "arranged": "recent"}.get(
        item.state, "spring"
    )
    # Each step is dated to when it would have happened: the spring round's history months ago, the
    # dispatches still on their way in the last weeks, the nominations still waiting in the last days.
    nominated_on = {
        "now": ctx.today - 2 * day,
        "next": ctx.today - 12 * day,
        "recent": ctx.today - 20 * day,
        "spring": ctx.spring - 20 * day,
    }[key]
    decided_on = min(nominated_on + 2 * day, ctx.today)
    with demo_at(nominated_on, 9, 30):
        d = services.dispatch_nominate(
            cadre=cadre,
            village=village,
            by=deputy,
            year=ctx.year,
            note=note,
            exclusion=Exclusion.WEAK_ABILITY if excluded else "",
            exclusion_note=_EXCLUSION_NOTE if excluded else "",
        )
    ctx.created["dispatches"] += 1
    if item.state == "nominated":
        return d
    if item.state == "withdrawn":
        with demo_at(decided_on, 15):
            return services.dispatch_withdraw(dispatch=d, by=deputy, reason=_WITHDRAW_REASON)
    if item.state in ("rejected", "excluded"):
        reason = _EXCLUDED_REASON if excluded else _REJECT_REASON
        with demo_at(decided_on, 11):
            return execute_task(
                DispatchFlow,
                "approve",
                d,
                user=head,
                perform=lambda: services.dispatch_reject(dispatch=d, by=head, reason=reason),
            )
    with demo_at(decided_on, 11):
        execute_task(
            DispatchFlow,
            "approve",
            d,
            user=head,
            perform=lambda: services.dispatch_approve(dispatch=d, by=head, comment="同意。"),
        )
    if item.state == "approved":
        return d
    batch = _batch(ctx, key)
    with demo_at(min(max(decided_on + day, batch.starts_on - 3 * day), ctx.today), 10):
        services.dispatch_enrol(dispatches=[d], batch=batch, by=ctx.org)
    if item.state == "training":
        return d
    with demo_at(batch.ends_on, 17):
        services.dispatch_complete_training(dispatches=[d], completed_on=batch.ends_on, by=ctx.org)
    if item.state == "trained":
        return d
    arranged_on = ctx.spring if batch.ends_on < ctx.spring else ctx.today - datetime.timedelta(days=2)
    terms = _arrangements(ctx, d, arranged_on)
    with demo_at(arranged_on, 10):
        execute_task(
            DispatchFlow,
            "arrange",
            d,
            user=deputy,
            perform=lambda: services.dispatch_record_arrangements(dispatch=d, by=deputy, **terms),
        )
    if item.state == "arranged":
        return d
    township = village.township
    committee, on = ctx.committees[township.pk], ctx.stationed_on(township)
    with demo_at(on, 9):
        d = execute_task(
            DispatchFlow,
            "station",
            d,
            user=committee,
            perform=lambda: services.dispatch_station(dispatch=d, by=committee, on=on),
        )
    if item.state == "stationed":
        return d
    reason, details, comment = _RECALL_DONE
    recalled_on = max(on, min(datetime.date(ctx.year, 7, 10), ctx.today))
    with demo_at(max(on, recalled_on - 8 * day), 16):
        recall = services.recall_propose(dispatch=d, by=committee, reason=reason, details=details, own_fault=True)
    ctx.created["recalls"] += 1
    with demo_at(max(on, recalled_on - 4 * day), 10):
        execute_task(
            RecallFlow,
            "decide",
            recall,
            user=ctx.org,
            perform=lambda: services.recall_decide(recall=recall, by=ctx.org, approve=True, comment=comment),
        )
    with demo_at(recalled_on, 10):
        execute_task(
            RecallFlow,
            "carry_out",
            recall,
            user=head,
            perform=lambda: services.recall_carry_out(recall=recall, by=head, on=recalled_on),
        )
    return Dispatch.objects.get(pk=d.pk)


def dispatch_demo_build(*, county: County, plan: CountyPlan, today: datetime.date) -> dict[str, int]:
    """Quotas, training, dispatches in every state, a recall waiting, a township team and an application."""
    ctx = round_context(county, today)
    created = ctx.created

    # Each unit is asked to send one cadre for each village it is paired with (R-S5).
    units = {u.name: u for u in Unit.objects.filter(county=county)}
    per_unit: dict[str, int] = {}
    for unit_name, _code in plan.pairings:
        per_unit[unit_name] = per_unit.get(unit_name, 0) + 1
    have_quota = set(Quota.objects.filter(unit__county=county, year=ctx.year).values_list("unit_id", flat=True))
    for unit_name, count in per_unit.items():
        if units[unit_name].pk not in have_quota:
            with demo_at(ctx.spring - datetime.timedelta(days=40)):
                services.quota_set(
                    unit=units[unit_name],
                    year=ctx.year,
                    cadres=count,
                    deadline=datetime.date(ctx.year, 12, 31),
                    by=ctx.org,
                )
            created["quotas"] += 1

    round_plan = plan_round(plan, settings.POLICY["ECONOMICALLY_WEAK_INCOME_YUAN"])
    usernames = [d.username for d in round_plan.dispatches] + [round_plan.applicant or ""]
    cadres = {
        c.user.username: c for c in Cadre.objects.filter(user__username__in=usernames).select_related("user", "unit")
    }
    villages = {
        v.code: v
        for v in Village.objects.filter(code__in=[d.village_code for d in round_plan.dispatches]).select_related(
            "township"
        )
    }
    for serial, item in enumerate(round_plan.dispatches):
        _build_dispatch(ctx, item, cadres[item.username], villages[item.village_code], serial)

    # A recall the township proposed, waiting for the org dept (R-M5a).
    reason, details = _RECALL_PROPOSED
    for item in round_plan.dispatches:
        if not item.recall_proposed:
            continue
        dispatch = Dispatch.objects.filter(
            cadre=cadres[item.username],
            village=villages[item.village_code],
            year=ctx.year,
            state=DispatchState.STATIONED,
        ).first()
        if dispatch is not None and not dispatch.recalls.exists():
            with demo_at(max(dispatch.stationed_on, ctx.today - datetime.timedelta(days=3)), 16):
                services.recall_propose(
                    dispatch=dispatch,
                    by=ctx.committees[dispatch.village.township_id],
                    reason=reason,
                    details=details,
                    own_fault=True,
                )
            created["recalls"] += 1

    # The demo township's team: its leader, work groups of neighbouring villages, a mentor for each (R-M4).
    township = Township.objects.get(code=DEMO_TOWNSHIP)
    committee = ctx.committees[township.pk]
    stationed = list(
        Dispatch.objects.filter(village__township=township, year=ctx.year, state=DispatchState.STATIONED)
        .select_related("cadre__user", "village__township")
        .order_by("village__code")
    )
    # The township arranges its team in the term's first weeks.
    with demo_at(min(ctx.spring + datetime.timedelta(days=14), ctx.today)):
        leader = next((d for d in stationed if d.cadre.user.username == DEMO_CADRE_UNIT[0]), None)
        if leader is not None and not TeamLeader.objects.filter(township=township).exists():
            services.team_leader_name(township=township, dispatch=leader, by=committee)
            created["teams"] += 1
        size, low = settings.POLICY["WORK_GROUP_MAX_VILLAGES"], settings.POLICY["WORK_GROUP_MIN_VILLAGES"]
        grouped = set(WorkGroup.objects.filter(township=township, year=ctx.year).values_list("villages", flat=True))
        for number, start in zip("一二", range(0, 2 * size, size), strict=True):
            members = [d.village for d in stationed[start : start + size]]
            if len(members) < low or any(v.pk in grouped for v in members):
                continue
            services.work_group_save(
                township=township,
                year=ctx.year,
                name=f"{township.name}第{number}工作小组",
                villages=members,
                by=committee,
            )
            created["teams"] += 1
        for dispatch in stationed:
            if dispatch.mentor_id is None:
                services.mentor_assign(dispatch=dispatch, mentor=committee, by=committee)
                created["teams"] += 1

    # One cadre's own application, waiting for the unit to decide (R-S2).
    applicant = cadres.get(round_plan.applicant or "")
    if (
        applicant is not None
        and not Application.objects.filter(cadre=applicant, year=ctx.year).exists()
        and not Dispatch.objects.filter(cadre=applicant, state__in=ACTIVE_STATES).exists()
    ):
        with demo_at(ctx.today - datetime.timedelta(days=4), 20):
            services.application_submit(
                cadre=applicant, year=ctx.year, statement=_APPLICATION_STATEMENT, by=applicant.user
            )
        created["applications"] += 1
    return created
