"""The auditor reads every process's history and every report, and changes nothing anywhere (R-O4, R-X1).

One county holds a record of every kind: a dispatch in each state, an application, leave, recalls, attendance,
visits, an inspection, a circular, training, a work group, a team leader, quota and sanction, two appraisal rounds
(one closed with a finalised and a proposed appraisal, one open with a ballot batch and a paper session), and the
flows behind them. Every URL pattern of the project is resolved against those records, fetched as the auditor and
posted to with plausible form data; after each request no row of any table may differ, except audit events that
record a refusal. Every public service of the three processes is then called with the auditor as `by`.
"""

from __future__ import annotations

import datetime
import hashlib
import inspect
import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from viewflow.workflow.models import Task

from appraisal import services as appraisal_services
from appraisal.models import Appraisal, AppraisalRound, AppraisalState, BallotBatch, Grade, PaperSession
from dispatch import services as dispatch_services
from dispatch.models import (
    Application,
    Dispatch,
    DispatchState,
    Pairing,
    Quota,
    QuotaSanction,
    Recall,
    RecallReason,
    RecallState,
    TeamLeader,
    TrainingBatch,
    WorkGroup,
)
from leave.models import (
    AttendanceDay,
    AttendanceMonth,
    CalendarCorrection,
    Circular,
    CircularKind,
    Inspection,
    InspectionKind,
    LeaveRequest,
    LeaveState,
    Visit,
)
from leave.services import attendance, oversight
from leave.services import leave as leaves
from tests.appraisal.conftest import close_vote
from tests.dispatch.test_team import stationed
from tests.factories import CadreFactory, UserFactory, VillageFactory
from workflows.importing import ImportFile, import_upload_create
from workflows.models import AuditEvent, Cadre, ImportUpload, Notification, Post, Role

D = datetime.date
YEAR = 2026
APPRAISED_ON = D(2025, 3, 5)  # a term that ended on 2026-03-04: in the 2026 round


def _cadre(unit, username, name):
    return CadreFactory(unit=unit, user=UserFactory(username=username, name=name))


def _village(township, name, unit, year=YEAR):
    village = VillageFactory(township=township, name=name)
    Pairing.objects.create(unit=unit, village=village, year=year)
    return village


@pytest.fixture
def county(world):
    """world (two units, two townships, one person per role) with a record of every kind, built by the services."""
    w = dict(world)
    p = w["people"]
    org, head_a, town_a, town_b = p["org"], p["head_a"], p["town_a"], p["town_b"]
    unit_a, unit_b, town_a_t, town_b_t = w["unit_a"], w["unit_b"], w["town_a"], w["town_b"]

    # Last year's cadres, in the round of terms ending in 2026: one finalised (appraised), one proposed.
    Pairing.objects.create(unit=unit_a, village=w["village_a"], year=APPRAISED_ON.year)
    Pairing.objects.create(unit=unit_b, village=w["village_b"], year=APPRAISED_ON.year)
    w["d_appraised"] = stationed(_cadre(unit_a, "old_a", "郭往年"), w["village_a"], on=APPRAISED_ON)
    w["d_proposed"] = stationed(_cadre(unit_b, "old_b", "何往年"), w["village_b"], on=APPRAISED_ON)
    w["d_reopened"] = stationed(
        _cadre(unit_a, "old_c", "韩重审"), _village(town_a_t, "小河村", unit_a, 2025), on=APPRAISED_ON
    )
    w["round_closed"] = appraisal_services.round_open(
        county=w["county"],
        title="2026年度驻村干部考评",
        year=2026,
        term_ends_from=D(2026, 1, 1),
        term_ends_to=D(2026, 12, 31),
        by=org,
    )
    for dispatch, township_user, unit_user in (
        (w["d_appraised"], town_a, head_a),
        (w["d_reopened"], town_a, head_a),
        (w["d_proposed"], town_b, p["head_b"]),
    ):
        appraisal = Appraisal.objects.get(round=w["round_closed"], dispatch=dispatch)
        appraisal_services.township_score_enter(appraisal=appraisal, score=92, comment="扎实", by=township_user)
        appraisal_services.unit_score_enter(appraisal=appraisal, score=90, comment="良好", by=unit_user)
    close_vote(w["round_closed"], org)
    w["appraisal_final"] = appraisal_services.appraisal_finalise(
        appraisal=Appraisal.objects.get(dispatch=w["d_appraised"]),
        grade=Grade.COMPETENT,
        by=org,
        reason="村民评议意见较多",
    )
    w["appraisal_proposed"] = Appraisal.objects.get(dispatch=w["d_proposed"])
    reopened = Appraisal.objects.get(dispatch=w["d_reopened"])
    reopened = appraisal_services.appraisal_finalise(appraisal=reopened, grade=reopened.proposed_grade, by=org)
    w["appraisal_reopened"] = appraisal_services.appraisal_reopen(appraisal=reopened, reason="材料有误", by=org)

    # This year's dispatches, one in each state.
    w["d_stationed"] = stationed(w["cadre_a"], w["village_a"])
    w["d_stationed_b"] = stationed(w["cadre_b"], w["village_b"])
    w["d_recalled"] = stationed(w["plain_a"], w["village_a2"])
    recall = dispatch_services.recall_propose(
        dispatch=w["d_recalled"], by=town_a, reason=RecallReason.OTHER, details="长期不在村", own_fault=False
    )
    recall = dispatch_services.recall_decide(recall=recall, by=org, approve=True, comment="同意召回")
    w["recall_done"] = dispatch_services.recall_carry_out(recall=recall, by=head_a, on=D(2026, 6, 1))
    declined = dispatch_services.recall_propose(
        dispatch=w["d_stationed_b"], by=town_b, reason=RecallReason.OTHER, details="群众意见较大"
    )
    w["recall_declined"] = dispatch_services.recall_decide(
        recall=declined, by=org, approve=False, comment="经核实,情况属实但已整改"
    )
    w["recall_open"] = dispatch_services.recall_propose(
        dispatch=w["d_stationed_b"], by=town_b, reason=RecallReason.OTHER, details="再次无故离村"
    )
    w["d_to_recall"] = stationed(_cadre(unit_b, "rc_b", "曹待召回"), _village(town_b_t, "石桥村", unit_b))
    w["recall_approved"] = dispatch_services.recall_decide(
        recall=dispatch_services.recall_propose(
            dispatch=w["d_to_recall"], by=town_b, reason=RecallReason.INCOMPETENT, details="不能胜任"
        ),
        by=org,
        approve=True,
    )
    nominate = dict(by=head_a, year=YEAR)
    w["d_nominated"] = dispatch_services.dispatch_nominate(
        cadre=_cadre(unit_a, "nom_a", "秦待批"), village=_village(town_a_t, "南关村", unit_a), **nominate
    )
    w["d_approved"] = dispatch_services.dispatch_approve(
        dispatch=dispatch_services.dispatch_nominate(
            cadre=_cadre(unit_a, "app_a", "尤已批"), village=_village(town_a_t, "北关村", unit_a), **nominate
        ),
        by=head_a,
    )
    w["d_training"] = dispatch_services.dispatch_nominate(
        cadre=_cadre(unit_a, "trn_a", "许培训"), village=_village(town_a_t, "前营村", unit_a), **nominate
    )
    dispatch_services.dispatch_approve(dispatch=w["d_training"], by=head_a)
    w["batch"] = TrainingBatch.objects.filter(county=w["county"], year=YEAR).first()
    dispatch_services.dispatch_enrol(dispatches=[w["d_training"]], batch=w["batch"], by=org)
    w["d_ready"] = dispatch_services.dispatch_nominate(
        cadre=_cadre(unit_a, "rdy_a", "孔待到村"), village=_village(town_a_t, "后街村", unit_a), **nominate
    )
    dispatch_services.dispatch_approve(dispatch=w["d_ready"], by=head_a)
    dispatch_services.dispatch_enrol(dispatches=[w["d_ready"]], batch=w["batch"], by=org)
    dispatch_services.dispatch_complete_training(dispatches=[w["d_ready"]], completed_on=D(2026, 11, 2), by=org)
    w["d_ready"] = dispatch_services.dispatch_record_arrangements(
        dispatch=w["d_ready"],
        by=head_a,
        insurer="中国人寿",
        insurance_policy_no="PA-8",
        insurance_starts_on=D(2026, 11, 1),
        insurance_ends_on=D(2027, 12, 31),
        party_relation_transferred_on=D(2026, 11, 2),
        living_allowance_yuan=600,
    )
    spare = _village(town_a_t, "后营村", unit_a)
    w["d_rejected"] = dispatch_services.dispatch_reject(
        dispatch=dispatch_services.dispatch_nominate(
            cadre=_cadre(unit_a, "rej_a", "吕未批"), village=spare, **nominate
        ),
        by=head_a,
        reason="工作能力不强",
    )
    w["d_withdrawn"] = dispatch_services.dispatch_withdraw(
        dispatch=dispatch_services.dispatch_nominate(cadre=_cadre(unit_a, "wd_a", "施撤回"), village=spare, **nominate),
        by=head_a,
        reason="另有任务",
    )
    applicant = _cadre(unit_a, "self_a", "张自荐")
    w["application"] = dispatch_services.application_submit(
        cadre=applicant, year=YEAR, statement="愿意到村里去", by=applicant.user
    )

    # Management while stationed: leave at every step of its flow.
    def ask(start, end):
        return leaves.leave_request(
            dispatch=w["d_stationed"], starts_on=start, ends_on=end, reason="家中有事", by=p["cadre_a"]
        )

    closed = leaves.leave_decide(leave=ask(D(2026, 6, 8), D(2026, 6, 12)), by=town_a, approve=True)
    closed = leaves.leave_decide(leave=closed, by=org, approve=True)
    [closed] = leaves.leave_begin_due(on=D(2026, 6, 8))
    closed = leaves.leave_report_back(leave=closed, returned_on=D(2026, 6, 15), by=p["cadre_a"])
    w["leave_closed"] = leaves.leave_close(leave=closed, by=town_a)
    w["leave_rejected"] = leaves.leave_decide(
        leave=ask(D(2026, 7, 6), D(2026, 7, 7)), by=town_a, approve=False, comment="汛期不宜离村"
    )
    leaves.leave_decide(leave=ask(D(2026, 8, 3), D(2026, 8, 4)), by=town_a, approve=True)
    [w["leave_away"]] = leaves.leave_begin_due(on=D(2026, 8, 3))
    leaves.leave_decide(leave=ask(D(2026, 9, 7), D(2026, 9, 8)), by=town_a, approve=True)
    [back] = leaves.leave_begin_due(on=D(2026, 9, 7))
    w["leave_back"] = leaves.leave_report_back(leave=back, returned_on=D(2026, 9, 9), by=p["cadre_a"])
    w["leave"] = ask(D(2026, 12, 2), D(2026, 12, 3))
    w["leave_reviewed"] = leaves.leave_decide(leave=ask(D(2026, 12, 7), D(2026, 12, 11)), by=town_a, approve=True)
    attendance.month_fill_defaults(dispatch=w["d_stationed"], month=D(2026, 4, 1), by=p["cadre_a"])
    attendance.month_submit(dispatch=w["d_stationed"], month=D(2026, 4, 1), by=p["cadre_a"])
    w["visit"] = oversight.visit_record(
        dispatch=w["d_stationed"], visitor=head_a, visited_on=D(2026, 5, 12), notes="听取汇报", by=head_a
    )
    w["inspection"] = oversight.inspection_record(
        county=w["county"],
        kind=InspectionKind.UNANNOUNCED,
        inspected_on=D(2026, 5, 13),
        notes="暗访",
        findings=[(w["d_stationed"], True, "")],
        by=org,
    )
    w["circular"] = oversight.circular_issue(
        county=w["county"],
        title="关于驻村工作的通报",
        kind=CircularKind.PASSIVE,
        body="工作被动",
        issued_on=D(2026, 6, 2),
        units=[unit_b],
        by=org,
    )
    w["correction"] = attendance.calendar_correct(
        county=w["county"], day=D(2026, 10, 10), is_workday=True, note="调休上班", by=org
    )
    w["group"] = dispatch_services.work_group_save(
        township=town_a_t, year=YEAR, name="东片小组", villages=[w["village_a"], w["village_a2"]], by=town_a
    )
    w["leader"] = dispatch_services.team_leader_name(township=town_a_t, dispatch=w["d_stationed"], by=town_a)
    dispatch_services.mentor_assign(dispatch=w["d_stationed"], mentor=w["mentor_a"], by=town_a)
    dispatch_services.quota_set(
        unit=unit_b, year=YEAR, cadres=3, deadline=D(2026, 6, 30), by=org, confirm_past_deadline=True
    )
    dispatch_services.quota_set(unit=unit_a, year=YEAR, cadres=1, deadline=D(2027, 6, 30), by=org)
    dispatch_services.quota_enforce(on=timezone.localdate(), by=org, county=w["county"])
    w["sanction"] = QuotaSanction.objects.get(unit=unit_b)

    # An open round for this year's cadres: score tasks waiting, a ballot batch and a paper session.
    w["round_open"] = appraisal_services.round_open(
        county=w["county"],
        title="2027年度驻村干部考评",
        year=2027,
        term_ends_from=D(2027, 1, 1),
        term_ends_to=D(2027, 12, 31),
        by=org,
    )
    w["appraisal_open"] = Appraisal.objects.get(round=w["round_open"], dispatch=w["d_stationed"])
    # Stationed after the round opened: the one cadre a new round could still take in.
    w["d_late"] = stationed(_cadre(unit_b, "late_b", "金晚到"), _village(town_b_t, "新庄村", unit_b), on=D(2026, 6, 1))
    w["ballots"] = appraisal_services.ballots_issue(round_=w["round_open"], village=w["village_a"], count=3, by=org)
    w["paper"] = appraisal_services.paper_session_enter(
        appraisal=w["appraisal_open"],
        held_on=D(2026, 11, 20),
        excellent=5,
        competent=3,
        basically_competent=0,
        incompetent=0,
        invalid=1,
        ballots_collected=9,
        by=town_a,
    )
    return w


def test_the_fixture_holds_a_record_of_every_kind(county):
    assert set(Dispatch.objects.values_list("state", flat=True)) == set(DispatchState.values)
    for model in (
        Application,
        Recall,
        TeamLeader,
        TrainingBatch,
        WorkGroup,
        Quota,
        QuotaSanction,
        LeaveRequest,
        AttendanceDay,
        AttendanceMonth,
        Visit,
        Inspection,
        Circular,
        CalendarCorrection,
        BallotBatch,
        PaperSession,
        AppraisalRound,
    ):
        assert model.objects.exists(), model
    assert {r.state for r in Recall.objects.all()} == set(RecallState.values)
    assert {a.state for a in Appraisal.objects.all()} >= {
        AppraisalState.OPEN,
        AppraisalState.PROPOSED,
        AppraisalState.FINALISED,
    }
    assert set(LeaveRequest.objects.values_list("state", flat=True)) == set(LeaveState.values) - {
        LeaveState.APPROVED,
        LeaveState.WITHDRAWN,
    }


# --- The walk over every URL pattern ---------------------------------------------------------------------------

#: Requests that concern only the auditor's own session or account, or the villagers' public ballot: not records.
OWN_SESSION = {
    "login",
    "activate",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "set_language",
    "admin:login",
    "admin:logout",
    "admin:password_change",
    "admin:password_change_done",
    # The auditor's own notifications: marking them read is the auditor's own business.
    "tasks:notification_open",
    "tasks:notifications_read_all",
}
#: Posting to these would end or replace the auditor's own session or password: they are fetched, not posted to.
NOT_POSTED = {
    "logout",
    "login",
    "password_change",
    "password_reset",
    "password_reset_confirm",
    "admin:logout",
    "admin:login",
    "admin:password_change",
    "set_language",
}
#: Tables a request may touch without changing a record: the auditor's own session (and its messages).
UNWATCHED = {"sessions.session", "workflows.auditevent"}
#: Audit events a read may leave besides refusals: a stationing certificate downloaded is recorded as issued (R-A4).
READ_EVENTS = {"certificate.issue"}

FLOWS = {
    "dispatch:flow": "dispatch.flows.DispatchFlow",
    "dispatch:recall": "dispatch.flows.RecallFlow",
    "leave:flow": "leave.flows.LeaveFlow",
    "appraisal:flow": "appraisal.flows.AppraisalFlow",
}

#: Each process's history and each report: the auditor reads every one of them (200).
MUST_READ = re.compile(
    r"^(dispatch:(list|detail|coverage|pairings|eligibility|training|training_batch)|"
    r"leave:(compliance|grid|visits_overview|inspections|inspection|circulars|circular|leave_list|attendance_report)|"
    r"appraisal:(rounds|round_detail|round_appraisals|round_report|cadre_record|promotion)|"
    r"(dispatch|leave|appraisal):(flow|recall):(index|process_list|process_detail|task_list|chart|process_chart)|"
    r"(dispatch|leave|appraisal):(flow|recall):\w+:detail|"
    r"audit:\w+|dashboard:index|home:index|org:\w+:(list|detail))$"
)


def _walk(patterns=None, route="", name_prefix="") -> Iterator[tuple[str, str]]:
    """Every URL pattern as (route, full name)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        part = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _walk(pattern.url_patterns, route + part, name_prefix + namespace)
        elif isinstance(pattern, URLPattern):
            yield route + part, name_prefix + (pattern.name or "")


def _flow_class(dotted: str):
    from django.utils.module_loading import import_string

    return import_string(dotted)


def _flow_kwargs(name: str) -> list[dict] | None:
    """process_pk and task_pk for a flow's URL: an open task of that node and a finished one, if there are."""
    prefix = next((p for p in FLOWS if name.startswith(p + ":")), None)
    if prefix is None:
        return None
    flow_class = _flow_class(FLOWS[prefix])
    parts = name[len(prefix) + 1 :].split(":")
    processes = flow_class.process_class._default_manager.filter(flow_class=flow_class).order_by("pk")
    if len(parts) == 1:
        # A running process (its page offers what may happen next) and a finished one, of every flow.
        chosen = [processes.filter(finished__isnull=True).first(), processes.filter(finished__isnull=False).first()]
        return [{"process_pk": p.pk} for p in chosen if p is not None]
    node = getattr(flow_class.instance, parts[0], None)
    tasks = Task.objects.filter(process__flow_class=flow_class, flow_task=node).order_by("pk")
    chosen = [
        t
        for t in (tasks.filter(finished__isnull=True).first(), tasks.filter(finished__isnull=False).first())
        if t is not None
    ]
    return [{"process_pk": t.process_id, "task_pk": t.pk} for t in chosen]


def _object_kwargs(w: dict) -> dict[str, list[dict]]:
    dispatches = list(Dispatch.objects.order_by("pk"))
    appraisals = list(Appraisal.objects.order_by("pk"))
    rounds = [w["round_closed"], w["round_open"]]
    cadres = [w["d_stationed"].cadre, w["d_appraised"].cadre]
    in_use = Pairing.objects.get(unit=w["unit_a"], village=w["village_a"], year=YEAR)
    unused = Pairing.objects.get(unit=w["unit_a"], village=w["village_a"], year=APPRAISED_ON.year)
    return {
        "dispatch:detail": [{"pk": d.pk} for d in dispatches],
        "dispatch:withdraw": [{"pk": d.pk} for d in dispatches],
        "dispatch:recall_propose": [{"pk": d.pk} for d in dispatches],
        "dispatch:pairing_remove": [{"pk": in_use.pk}, {"pk": unused.pk}],
        "dispatch:training_batch": [{"pk": b.pk} for b in TrainingBatch.objects.order_by("pk")],
        "dispatch:work_group_edit": [{"pk": w["group"].pk}],
        "dispatch:application_decide": [{"pk": w["application"].pk}],
        "dispatch:sanction_revoke": [{"pk": w["sanction"].pk}],
        "leave:day_correct": [{"dispatch": w["d_stationed"].pk, "day": "2026-04-15"}],
        "leave:leave_withdraw": [{"pk": lr.pk} for lr in LeaveRequest.objects.order_by("pk")],
        "leave:inspection": [{"pk": w["inspection"].pk}],
        "leave:circular": [{"pk": w["circular"].pk}],
        "appraisal:round_detail": [{"pk": r.pk} for r in rounds],
        "appraisal:round_close": [{"pk": r.pk} for r in rounds],
        "appraisal:round_appraisals": [{"pk": r.pk} for r in rounds],
        "appraisal:round_ballots": [{"pk": r.pk} for r in rounds],
        "appraisal:round_report": [{"pk": r.pk} for r in rounds],
        "appraisal:round_finalise": [{"pk": r.pk} for r in rounds],
        "tasks:notification_open": [{"pk": n.pk} for n in Notification.objects.order_by("pk")[:3]] or [{"pk": 1}],
        "appraisal:batch_pdf": [{"pk": w["ballots"].pk}],
        "appraisal:paper_sessions": [{"pk": a.pk} for a in appraisals],
        "appraisal:appraisal_reopen": [{"pk": a.pk} for a in appraisals],
        "appraisal:appraisal_cancel": [{"pk": a.pk} for a in appraisals],
        "appraisal:cadre_record": [{"cadre_pk": c.pk} for c in cadres],
        "appraisal:certificate": [{"cadre_pk": c.pk} for c in cadres],
        "org:unit:detail": [{"pk": w["unit_a"].pk}],
        "org:township:detail": [{"pk": w["town_a"].pk}],
        "org:village:detail": [{"pk": w["village_a"].pk}],
        "org:cadre:detail": [{"pk": w["cadre_a"].pk}],
        "manage:post_end": [{"pk": Post.objects.active().filter(unit=w["unit_a"]).first().pk}],
        "manage:unit_edit": [{"pk": w["unit_a"].pk}],
        "manage:township_edit": [{"pk": w["town_a"].pk}],
        "manage:village_edit": [{"pk": w["village_a"].pk}],
        "manage:cadre_edit": [{"pk": w["cadre_a"].pk}],
        "manage:account_code": [{"pk": w["cadre_a"].user_id}],
        "manage:account_deactivate": [{"pk": w["cadre_a"].user_id}],
        "manage:account_reactivate": [{"pk": w["cadre_a"].user_id}],
        "audit:object": [{"kind": "dispatch.dispatch", "object_id": str(w["d_stationed"].pk)}],
        "audit:event": [{"pk": AuditEvent.objects.order_by("seq").first().pk}],
        "manage:import_preview": [{"pk": _upload(w).pk}],
        "manage:import_confirm": [{"pk": _upload(w).pk}],
        "tasks:take": [{"task_pk": pk} for pk in _open_human_tasks()],
        "tasks:hand_over": [{"task_pk": pk} for pk in _open_human_tasks()],
        "tasks:release": [{"task_pk": pk} for pk in _open_human_tasks()],
    }


def _open_human_tasks() -> list[int]:
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    tasks = Task.objects.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk")
    return list(tasks.values_list("pk", flat=True)[:5])


def _upload(w: dict) -> ImportUpload:
    """A workbook the org dept uploaded and has not confirmed."""
    upload = ImportUpload.objects.filter(county=w["county"]).first()
    if upload is None:
        files = [ImportFile("单位.csv", "单位代码,单位名称\nU99,县审计测试局\n".encode())]
        upload = import_upload_create(files=files, county=w["county"], by=w["people"]["org"])
    return upload


def _admin_kwargs(route: str, w: dict) -> dict:
    from django.contrib.contenttypes.models import ContentType

    values = {
        "app_label": "workflows",
        "object_id": str(w["cadre_a"].pk),
        "id": str(w["cadre_a"].pk),
        "content_type_id": str(ContentType.objects.get_for_model(Cadre).pk),
        "url": "workflows/nothing/",
    }
    names = set(re.findall(r"\(\?P<(\w+)>", route)) | set(re.findall(r"<(?:\w+:)?(\w+)>", route))
    return {name: values[name] for name in names}


def _url(route: str, kwargs: dict) -> str:
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), route).replace("^", "").replace("$", "")
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route)


def _targets(w: dict) -> tuple[list[tuple[str, str]], list[str]]:
    """Every pattern as concrete (name, URL) pairs; and the patterns whose parameters are unknown."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    objects = _object_kwargs(w)
    auditor = w["people"]["auditor"]
    own_reset = {
        "uidb64": urlsafe_base64_encode(force_bytes(auditor.pk)),
        "token": default_token_generator.make_token(auditor),
    }
    targets, unknown = [], []
    for route, name in _walk():
        params = set(re.findall(r"\(\?P<(\w+)>", route)) | set(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if not params:
            kwargs_list = [{}]
        elif name.startswith("admin:"):
            kwargs_list = [_admin_kwargs(route, w)]
        elif name == "password_reset_confirm":
            kwargs_list = [own_reset]
        elif name in objects:
            kwargs_list = objects[name]
        else:
            kwargs_list = _flow_kwargs(name)
        if not kwargs_list:
            unknown.append(f"{name} ({route})")
            continue
        targets.extend((name, _url(route, kwargs)) for kwargs in kwargs_list)
    return targets, unknown


def _payloads(name: str, w: dict) -> list[dict]:
    """Plausible form data for a POST to this page: every field its forms ask for, once per action it offers."""
    d, town_a, unit_a = w["d_stationed"], w["town_a"], w["unit_a"]
    base = {
        "decision": "approve",
        "approve": "1",
        "comment": "同意",
        "reason": "审计员试办",
        "details": "审计员试办",
        "note": "审计员试办",
        "notes": "审计员试办",
        "statement": "审计员试办",
        "title": "审计员的通报",
        "body": "正文",
        "name": "审计员的小组",
        "content": "农村政策",
        "cadre": w["d_nominated"].cadre_id,
        "village": w["village_a"].pk,
        "villages": [w["village_a"].pk, w["village_a2"].pk],
        "unit": unit_a.pk,
        "units": [unit_a.pk],
        "township": town_a.pk,
        "dispatch": d.pk,
        "dispatches": [w["d_training"].pk],
        "visitor": w["people"]["head_a"].pk,
        "mentor": w["mentor_a"].pk,
        "session": w["paper"].pk,
        "day": "2026-04-15",
        "on": "2026-04-15",
        "starts_on": "2026-12-09",
        "ends_on": "2026-12-10",
        "stationed_on": "2026-11-20",
        "recalled_on": "2026-11-20",
        "returned_on": "2026-12-11",
        "held_on": "2026-11-21",
        "inspected_on": "2026-05-14",
        "issued_on": "2026-11-20",
        "visited_on": "2026-05-20",
        "completed_on": "2026-03-01",
        "deadline": "2026-12-31",
        "cadres": "2",
        "count": "3",
        "score": "95",
        "grade": "excellent",
        "status": "absent",
        "is_workday": "1",
        "year": "2026",
        "month": "2026-04",
        "own_fault": "on",
        "ballots": "5",
        "excellent": "5",
        "competent": "0",
        "basically_competent": "0",
        "incompetent": "0",
        "invalid": "0",
        "insurer": "中国人寿",
        "insurance_policy_no": "A1",
        "insurance_starts_on": "2026-01-01",
        "insurance_ends_on": "2027-12-31",
        "party_relation_transferred_on": "2026-01-02",
        "living_allowance_yuan": "600",
        "term_ends_from": "2027-01-01",
        "term_ends_to": "2027-12-31",
        "preferred_village": w["village_a"].pk,
        "exclusion": "",
        "exclusion_note": "",
        "kind": InspectionKind.OPEN,
        f"finding_{d.pk}": "absent",
        f"note_{d.pk}": "不在岗",
        "code": "ABCD-EFGH-JKLM",
        "username": "auditor",
        "password": "pass-for-tests-1",
    }
    variants = {
        "dispatch:nominate": [{"cadre": w["d_rejected"].cadre_id, "village": w["d_rejected"].village_id}],
        "dispatch:work_group_create": [{"villages": [w["d_nominated"].village_id, w["d_approved"].village_id]}],
        "dispatch:pairings": [{"action": "add", "village": w["village_b"].pk}, {"action": "quota"}],
        "dispatch:training_batch": [{"action": "enrol", "dispatches": [w["d_approved"].pk]}, {"action": "complete"}],
        "dispatch:team": [{"action": "leader"}, {"action": "mentor"}],
        "dispatch:application_decide": [{"action": "nominate", "village": w["village_a"].pk}, {"action": "decline"}],
        "leave:calendar": [{"action": "fill"}, {"action": "day"}, {"action": "submit"}],
        "leave:grid": [{"action": "confirm"}, {"action": "cell"}],
        "leave:circular_new": [{"kind": CircularKind.PASSIVE}],
        "appraisal:paper_sessions": [{}, {"action": "void"}],
        "vote:ballot": [{}, {"step": "cast", f"grade_{w['appraisal_open'].pk}": "excellent"}],
        "dispatch:recall:decide:execute": [{"decision": "approve"}, {"decision": "reject"}],
        "dispatch:recall_propose": [{"reason": RecallReason.ABSENT_WITHOUT_REASON}],
        "dispatch:flow:approve:execute": [{"decision": "approve"}, {"decision": "reject", "comment": "不同意"}],
        "leave:flow:decide_township:execute": [{"decision": "approve"}, {"decision": "reject"}],
    }
    return [{**base, **extra} for extra in variants.get(name, [{}])]


QUERY = "?county={county}&township={township}&unit={unit}&dispatch={dispatch}&month=2026-04&year=2026"


def _rows() -> dict[str, str]:
    """A digest of every table's rows, but the auditor's session and the audit trail (checked apart)."""
    digests = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in UNWATCHED:
            continue
        rows = list(model._base_manager.order_by("pk").values_list())
        digests[label] = hashlib.sha256(json.dumps(rows, default=str, ensure_ascii=False).encode()).hexdigest()
    return digests


class Watch:
    """Compares the database before and after each request; audit events may only be added, and only refusals."""

    def __init__(self):
        self.rows = _rows()
        self.seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        self.refusals = 0

    def changes(self) -> list[str]:
        rows = _rows()
        changed = [label for label, digest in rows.items() if self.rows.get(label) != digest]
        events = list(AuditEvent.objects.filter(seq__gt=self.seq).order_by("seq").values_list("seq", "action"))
        self.rows, self.seq = rows, events[-1][0] if events else self.seq
        self.refusals += sum(1 for _seq, action in events if action.endswith(".refused"))
        changed += [
            f"workflows.auditevent +{action}"
            for _seq, action in events
            if not action.endswith(".refused") and action not in READ_EVENTS
        ]
        return changed


def _success_messages(response) -> list[str]:
    return [
        str(m)
        for m in get_messages(response.wsgi_request)
        if m.level >= message_levels.SUCCESS and m.level != message_levels.ERROR and m.level != message_levels.WARNING
    ]


def _refused(response) -> bool:
    if response.status_code in (403, 405):
        return True
    if response.status_code == 302:
        return not _success_messages(response)
    return False


def test_r_o4_the_auditor_reads_every_history_and_report_and_changes_nothing(client, county, settings):
    settings.AUDIT_REFUSAL_REPEAT_SECONDS = 0  # count every refusal below, not one per object
    w = county
    auditor = w["people"]["auditor"]
    client.force_login(auditor)
    targets, unknown = _targets(w)
    assert not unknown, (
        "URL patterns whose parameters this test cannot fill (add them to _object_kwargs): " + ", ".join(unknown)
    )
    query = QUERY.format(
        county=w["county"].pk, township=w["town_a"].pk, unit=w["unit_a"].pk, dispatch=w["d_stationed"].pk
    )
    watch = Watch()
    errors, unreadable, changed, not_refused, log = [], [], [], [], []
    for name, url in targets:
        suffixes = ("",) if name.startswith("admin:") else ("", query)
        for suffix in suffixes:
            response = client.get(url + suffix)
            log.append(f"GET {response.status_code} {name} {url}{suffix}")
            if response.status_code >= 500:
                errors.append(f"GET {url}{suffix}: {response.status_code}")
            if not suffix and MUST_READ.match(name) and response.status_code != 200:
                unreadable.append(f"GET {url}: {response.status_code}")
        for payload in [] if name in NOT_POSTED else _payloads(name, w):
            for suffix in suffixes:
                response = client.post(url + suffix, payload)
                notes = [str(m) for m in get_messages(response.wsgi_request)]
                log.append(f"POST {response.status_code} {name} {url}{suffix} {payload.get('action', '')} {notes}")
                if response.status_code >= 500:
                    errors.append(f"POST {url}{suffix}: {response.status_code}")
                elif name not in OWN_SESSION and name != "vote:ballot" and not _refused(response):
                    not_refused.append(f"POST {url}{suffix} {payload.get('action', '')}: {response.status_code}")
        # The database is compared once per URL, after its reads and posts; a difference names the URL.
        if change := watch.changes():
            changed.append(f"{name} {url}: {change}")
        # A refusal must not have logged the auditor out.
        assert client.session.get("_auth_user_id") == str(auditor.pk), name
    print("\n".join(log))
    problems = {
        "server errors": errors,
        "the auditor changed rows": changed,
        "histories and reports the auditor cannot read": unreadable,
        "posts neither refused nor redirected to a refusal": not_refused,
    }
    assert not any(problems.values()), "\n".join(
        f"{title}:\n  " + "\n  ".join(found) for title, found in problems.items() if found
    )
    assert len(targets) > 250 and watch.refusals > 50


# --- Every service, called with the auditor as `by` ----------------------------------------------------------


class _Skip(Exception):
    pass


def _fresh(obj):
    return type(obj)._default_manager.get(pk=obj.pk)


def _service_calls(w: dict) -> dict[str, tuple[str, dict]]:
    """For each public service with a `by`: who may call it, and arguments under which that person's call succeeds."""
    from workflows.models import Post

    d, org_county = _fresh(w["d_stationed"]), w["county"]
    f = _fresh
    return {
        "dispatch.services.applications.application_decline": (
            "head_a",
            dict(application=f(w["application"]), reason="名额已满"),
        ),
        "dispatch.services.applications.application_submit": (
            "plain",
            dict(cadre=f(w["d_rejected"]).cadre, year=YEAR, statement="愿意到村里去"),
        ),
        "dispatch.services.nomination.dispatch_approve": ("head_a", dict(dispatch=f(w["d_nominated"]))),
        "dispatch.services.training.dispatch_complete_training": (
            "org",
            dict(dispatches=[f(w["d_training"])], completed_on=D(2026, 11, 20)),
        ),
        "dispatch.services.training.dispatch_enrol": (
            "org",
            dict(dispatches=[f(w["d_approved"])], batch=f(w["batch"])),
        ),
        "dispatch.services.nomination.dispatch_nominate": (
            "head_a",
            dict(cadre=f(w["d_rejected"]).cadre, village=f(w["d_rejected"]).village, year=YEAR),
        ),
        "dispatch.services.stationing.dispatch_record_arrangements": (
            "head_a",
            dict(
                dispatch=f(w["d_approved"]),
                insurer="中国人寿",
                insurance_policy_no="PA-9",
                insurance_starts_on=D(2026, 11, 1),
                insurance_ends_on=D(2027, 12, 31),
                party_relation_transferred_on=D(2026, 11, 2),
                living_allowance_yuan=600,
            ),
        ),
        "dispatch.services.nomination.dispatch_reject": (
            "head_a",
            dict(dispatch=f(w["d_nominated"]), reason="另有安排"),
        ),
        "dispatch.services.stationing.dispatch_station": ("town_a", dict(dispatch=f(w["d_ready"]), on=D(2026, 11, 25))),
        "dispatch.services.nomination.dispatch_withdraw": (
            "head_a",
            dict(dispatch=f(w["d_nominated"]), reason="另有安排"),
        ),
        "dispatch.services.team.mentor_assign": ("town_a", dict(dispatch=d, mentor=w["people"]["town_a"])),
        "dispatch.services.pairing.pairing_add": ("org", dict(unit=w["unit_b"], village=w["village_a2"], year=2027)),
        "dispatch.services.pairing.pairing_remove": (
            "org",
            dict(pairing=Pairing.objects.get(unit=w["unit_a"], village=w["village_a"], year=APPRAISED_ON.year)),
        ),
        "dispatch.services.pairing.quota_enforce": ("org", dict(on=timezone.localdate(), county=org_county)),
        "dispatch.services.pairing.quota_sanction_revoke": ("org", dict(sanction=f(w["sanction"]), reason="核查有误")),
        "dispatch.services.pairing.quota_set": (
            "org",
            dict(unit=w["unit_a"], year=2027, cadres=2, deadline=D(2027, 6, 30)),
        ),
        "dispatch.services.recall.recall_carry_out": (
            "head_b",
            dict(recall=f(w["recall_approved"]), on=D(2026, 11, 20)),
        ),
        "dispatch.services.recall.recall_decide": (
            "org",
            dict(recall=f(w["recall_open"]), approve=True, comment="同意"),
        ),
        "dispatch.services.recall.recall_propose": (
            "town_a",
            dict(dispatch=d, reason=RecallReason.OTHER, details="长期不在村"),
        ),
        "dispatch.services.team.team_leader_name": ("town_a", dict(township=w["town_a"], dispatch=d)),
        "dispatch.services.training.training_batch_create": (
            "org",
            dict(
                county=org_county,
                year=2027,
                name="2027年岗前培训班",
                starts_on=D(2027, 2, 1),
                ends_on=D(2027, 2, 3),
                content="农村政策",
            ),
        ),
        "dispatch.services.team.work_group_save": (
            "town_a",
            dict(
                township=w["town_a"],
                year=YEAR,
                name="西片小组",
                villages=[f(w["d_nominated"]).village, f(w["d_approved"]).village],
            ),
        ),
        "leave.services.attendance.calendar_correct": (
            "org",
            dict(county=org_county, day=D(2026, 10, 11), is_workday=True, note="调休上班"),
        ),
        "leave.services.attendance.day_correct": (
            "org",
            dict(dispatch=d, day=D(2026, 4, 15), status="absent", reason="核实缺勤"),
        ),
        "leave.services.attendance.day_set": (
            "cadre_a",
            dict(dispatch=d, day=D(2026, 5, 6), status="official_business"),
        ),
        "leave.services.attendance.month_confirm": ("town_a", dict(township=w["town_a"], month=D(2026, 4, 1))),
        "leave.services.attendance.month_fill_defaults": ("cadre_a", dict(dispatch=d, month=D(2026, 5, 1))),
        "leave.services.attendance.month_fill_unreported": (
            "town_a",
            dict(township=w["town_a"], month=D(2026, 5, 1), status="in_village"),
        ),
        "leave.services.attendance.month_submit": ("cadre_a", dict(dispatch=d, month=D(2026, 4, 1))),
        "leave.services.leave.leave_close": ("town_a", dict(leave=f(w["leave_back"]))),
        "leave.services.leave.leave_decide": ("town_a", dict(leave=f(w["leave"]), approve=True)),
        "leave.services.leave.leave_report_back": (
            "cadre_a",
            dict(leave=f(w["leave_away"]), returned_on=D(2026, 8, 5)),
        ),
        "leave.services.leave.leave_request": (
            "cadre_a",
            dict(dispatch=d, starts_on=D(2026, 12, 14), ends_on=D(2026, 12, 15), reason="家中有事"),
        ),
        "leave.services.leave.leave_withdraw": ("cadre_a", dict(leave=f(w["leave"]))),
        "leave.services.oversight.circular_issue": (
            "org",
            dict(
                county=org_county,
                title="通报",
                kind=CircularKind.OTHER,
                body="正文",
                issued_on=D(2026, 11, 20),
                units=[w["unit_a"]],
            ),
        ),
        "leave.services.oversight.inspection_record": (
            "org",
            dict(
                county=org_county,
                kind=InspectionKind.RANDOM,
                inspected_on=D(2026, 5, 14),
                notes="随机调研",
                findings=[(d, False, "不在岗")],
            ),
        ),
        "leave.services.oversight.visit_record": (
            "head_a",
            dict(dispatch=d, visitor=w["people"]["head_a"], visited_on=D(2026, 5, 21), notes="听取汇报"),
        ),
        "appraisal.services.grades.appraisal_cancel": (
            "org",
            dict(appraisal=f(w["appraisal_open"]), reason="列入有误"),
        ),
        "appraisal.services.grades.appraisal_finalise": (
            "org",
            dict(appraisal=f(w["appraisal_proposed"]), grade=f(w["appraisal_proposed"]).proposed_grade),
        ),
        "appraisal.services.grades.appraisal_reopen": (
            "org",
            dict(appraisal=f(w["appraisal_final"]), reason="材料有误"),
        ),
        "appraisal.services.votes.ballot_sheet_codes": ("org", dict(batch=f(w["ballots"]))),
        "appraisal.services.votes.ballots_issue": (
            "org",
            dict(round_=f(w["round_open"]), village=w["village_a"], count=2),
        ),
        "appraisal.services.votes.paper_session_enter": (
            "town_a",
            dict(
                appraisal=f(w["appraisal_open"]),
                held_on=D(2026, 11, 21),
                excellent=1,
                competent=0,
                basically_competent=0,
                incompetent=0,
                invalid=0,
                ballots_collected=1,
            ),
        ),
        "appraisal.services.votes.paper_session_void": ("town_a", dict(session=f(w["paper"]), reason="录入有误")),
        "appraisal.services.rounds.round_close": (
            "org",
            dict(
                round_=f(w["round_open"]),
                no_votes_reasons={a.pk: "未组织评议" for a in Appraisal.objects.filter(round=w["round_open"])},
            ),
        ),
        "appraisal.services.rounds.round_open": (
            "org",
            dict(
                county=org_county,
                title="2025年度驻村干部考评",
                year=2025,
                term_ends_from=D(2026, 1, 1),
                term_ends_to=D(2027, 12, 31),
            ),
        ),
        "appraisal.services.scores.township_score_enter": (
            "town_a",
            dict(appraisal=f(w["appraisal_open"]), score=90, comment="扎实"),
        ),
        "appraisal.services.scores.unit_score_enter": (
            "head_a",
            dict(appraisal=f(w["appraisal_open"]), score=90, comment="良好"),
        ),
        "workflows.services.post_appoint": (
            "org",
            dict(user=w["people"]["outsider"], role=Role.TOWNSHIP_COMMITTEE, tier=w["town_a"]),
        ),
        "workflows.services.post_end": ("org", dict(post=Post.objects.active().get(user=w["people"]["head_b"]))),
        "workflows.importing.county_import": ("org", dict(files=[], county=org_county)),
        "workflows.importing.import_upload_create": (
            "org",
            dict(files=[ImportFile("单位.csv", "单位代码,单位名称\nU99,县审计测试局\n".encode())], county=org_county),
        ),
        "workflows.importing.import_upload_confirm": (
            "org",
            dict(upload=ImportUpload(county=org_county, file_name="单位.csv", data=b"", sha256="")),
        ),
        "workflows.services.county_create": ("org", dict(code="419999", name="新县")),
        "workflows.services.person_create": ("org", dict(name="新人", id_number="11010519491231002X")),
        "workflows.services.unit_update": ("org", dict(unit=f(w["unit_a"]), name="新名称", code="U-NEW")),
        "workflows.services.township_update": ("org", dict(township=f(w["town_a"]), name="新镇", kind="town")),
        "workflows.services.village_update": (
            "org",
            dict(
                village=f(w["village_a"]),
                name="新村",
                is_weak_leadership=True,
                is_election_difficult=False,
                is_old_revolutionary=False,
                is_ethnic_minority=False,
            ),
        ),
        "workflows.services.village_income_set": (
            "org",
            dict(village=f(w["village_a"]), year=2030, total_income=Decimal(1000), subsidies=Decimal(0)),
        ),
        "workflows.services.cadre_update": (
            "org",
            dict(
                cadre=f(w["cadre_a"]),
                is_reserve=True,
                is_key_cultivation=True,
                is_party_member=True,
                rank="staff",
                post_title="科员",
                unit=w["cadre_a"].unit,
                phone="",
            ),
        ),
    }


#: Public functions with a `by` that are not services a person calls.
NOT_A_SERVICE = {
    "leave.ledger.ledger_write": "the day ledger's writer: the services call it after their own checks; `by` is who",
}
#: Calls not first tried by their rightful caller, and why.
NOT_TRIED = {
    "workflows.importing.county_import": "it needs spreadsheet files; the permission is its first check",
    "workflows.importing.import_upload_confirm": "it needs a stored upload; the permission is its first check",
    "workflows.services.county_create": "only a superuser creates a county, and no one here is one",
}
SERVICE_MODULES = (
    "dispatch.services.pairing",
    "dispatch.services.applications",
    "dispatch.services.nomination",
    "dispatch.services.training",
    "dispatch.services.stationing",
    "dispatch.services.recall",
    "dispatch.services.team",
    "leave.services.attendance",
    "leave.services.leave",
    "leave.services.oversight",
    "leave.ledger",
    "appraisal.services.rounds",
    "appraisal.services.scores",
    "appraisal.services.votes",
    "appraisal.services.grades",
    "workflows.services",
    "workflows.importing",
)


def _public_services() -> dict[str, object]:
    from importlib import import_module

    found = {}
    for dotted in SERVICE_MODULES:
        module = import_module(dotted)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if (
                function.__module__ == dotted
                and not name.startswith("_")
                and "by" in inspect.signature(function).parameters
            ):
                found[f"{dotted}.{name}"] = function
    return found


def test_r_o4_every_service_refuses_the_auditor_and_leaves_only_a_refusal(county):
    """Each call would go through for the person it belongs to (tried first and rolled back); the auditor gets 403."""
    from django.db import transaction

    w = county
    people = {**w["people"], "plain": w["d_rejected"].cadre.user}
    services = _public_services()
    calls = _service_calls(w)
    assert set(services) == set(calls) | set(NOT_A_SERVICE), "services without a call here: " + ", ".join(
        sorted(set(services) - set(calls) - set(NOT_A_SERVICE))
    )
    watch = Watch()
    refused, let_through, not_plausible = [], [], []
    for dotted, function in sorted(services.items()):
        if dotted in NOT_A_SERVICE:
            continue
        role, _kwargs = calls[dotted]
        try:
            if dotted in NOT_TRIED:
                raise _Skip
            with transaction.atomic():
                function(**_service_calls(w)[dotted][1], by=people[role])
                transaction.set_rollback(True)
        except _Skip:
            pass
        except Exception as error:  # noqa: BLE001 - any failure means the arguments are not a plausible call
            not_plausible.append(f"{dotted} by {role}: {error!r}")
        watch.changes()
        try:
            function(**_service_calls(w)[dotted][1], by=people["auditor"])
        except PermissionDenied:
            refused.append(dotted)
        except Exception as error:  # noqa: BLE001
            let_through.append(f"{dotted}: {error!r} instead of PermissionDenied")
        else:
            let_through.append(f"{dotted}: went through")
        if change := watch.changes():
            let_through.append(f"{dotted}: changed {change}")
    assert not not_plausible, "calls that fail even for their rightful caller:\n" + "\n".join(not_plausible)
    assert not let_through, "the auditor was not refused:\n" + "\n".join(let_through)
    assert len(refused) == len(calls)


def test_the_walk_reaches_a_running_and_a_finished_process_of_every_flow(county):
    from django.utils.module_loading import import_string

    for prefix, dotted in FLOWS.items():
        flow_class = import_string(dotted)
        pks = [kwargs["process_pk"] for kwargs in _flow_kwargs(f"{prefix}:process_detail")]
        processes = flow_class.process_class._default_manager.filter(pk__in=pks)
        assert {p.finished is None for p in processes} == {True, False}, prefix
