"""Every page without parameters answers each role with a page, a redirect or a refusal, never an error."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

SKIP_PREFIXES = ("admin/", "i18n/", "jsi18n/", "accounts/logout", "static/")


def _plain_urls(patterns=None, prefix=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for pattern in patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _plain_urls(pattern.url_patterns, prefix + route)
        elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route and "^" not in route:
            url = "/" + prefix + route
            if not url.startswith(tuple("/" + p for p in SKIP_PREFIXES)):
                yield url


@pytest.mark.parametrize("role", ["org", "auditor", "head_a", "deputy_a", "town_a", "cadre_a", "outsider"])
def test_r_o4_no_page_errors_for_any_role(client, two_tiers, role):
    client.force_login(two_tiers["people"][role])
    urls = sorted(set(_plain_urls()))
    assert len(urls) > 10
    failures = {}
    for url in urls:
        response = client.get(url)
        if response.status_code not in (200, 302, 403, 405):
            failures[url] = response.status_code
    assert failures == {}


def every_flow() -> set[type]:
    """Every viewflow Flow class of the project, found by subclassing: a new flow joins the walk by itself."""
    from viewflow.workflow import flow

    found, todo = set(), [flow.Flow]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass not in found:
                found.add(subclass)
                todo.append(subclass)
    return {cls for cls in found if not cls.__module__.startswith("viewflow.")}


def flow_namespace(flow_class) -> str:
    """The URL namespace the site serves the flow under ("dispatch:flow")."""
    return resolve(flow_class.instance.reverse("index")).namespace


def processes_at_each_step(w) -> list:
    """Running processes of every flow, one at each of its human steps, built by the services."""
    from appraisal import services as appraisal_services
    from appraisal.models import Appraisal
    from dispatch import services as dispatch_services
    from dispatch.models import Pairing, RecallReason
    from leave.services import leave as leaves
    from tests.dispatch.test_team import stationed
    from tests.factories import CadreFactory, VillageFactory
    from workflows.flows import process_of

    p = w["people"]
    org = p["org"]
    # One cadre per village: two more villages, paired with the units that send to them.
    village_b2 = VillageFactory(township=w["town_b"], name="北关村")
    village_a3 = VillageFactory(township=w["town_a"], name="南街村")
    Pairing.objects.create(unit=w["unit_b"], village=village_b2, year=2026)
    Pairing.objects.create(unit=w["unit_a"], village=village_a3, year=2026)
    # Dispatch: waiting for the unit head's approval, then for the unit's arrangements after training.
    nominated = dispatch_services.dispatch_nominate(
        cadre=w["plain_a"], village=w["village_a2"], year=2026, by=p["head_a"]
    )
    trained = dispatch_services.dispatch_nominate(
        cadre=CadreFactory(unit=w["unit_b"]), village=village_b2, year=2026, by=p["head_b"]
    )
    dispatch_services.dispatch_approve(dispatch=trained, by=p["head_b"])
    batch = dispatch_services.training_batch_create(
        county=w["county"],
        year=2026,
        name="2026年第二期岗前培训班",
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2026, 11, 6),
        content="农村政策",
        by=org,
    )
    dispatch_services.dispatch_enrol(dispatches=[trained], batch=batch, by=org)
    dispatch_services.dispatch_complete_training(dispatches=[trained], completed_on=datetime.date(2026, 11, 6), by=org)
    stationed_a = stationed(w["cadre_a"], w["village_a"])
    stationed_b = stationed(w["cadre_b"], w["village_b"])
    # Recall: one waiting for the org dept's decision, one decided and waiting for the unit to carry it out.
    proposed = dispatch_services.recall_propose(
        dispatch=stationed_b, by=p["town_b"], reason=RecallReason.OTHER, details="长期不在村"
    )
    stationed_c = stationed(CadreFactory(unit=w["unit_a"]), village_a3)
    decided = dispatch_services.recall_propose(
        dispatch=stationed_c, by=p["town_a"], reason=RecallReason.OTHER, details="身体原因"
    )
    dispatch_services.recall_decide(recall=decided, by=org, approve=True, comment="同意召回")
    # Leave: two days for the township; five days reviewed by the township and waiting for the org dept.
    short = leaves.leave_request(
        dispatch=stationed_a,
        starts_on=datetime.date(2026, 12, 2),
        ends_on=datetime.date(2026, 12, 3),
        reason="家中有事",
        by=p["cadre_a"],
    )
    long = leaves.leave_request(
        dispatch=stationed_a,
        starts_on=datetime.date(2026, 12, 14),
        ends_on=datetime.date(2026, 12, 18),
        reason="就医",
        by=p["cadre_a"],
    )
    leaves.leave_decide(leave=long, by=p["town_a"], approve=True, comment="情况属实")
    # Appraisal: waiting for both scores.
    round_ = appraisal_services.round_open(
        county=w["county"],
        title="2027年度驻村干部考评",
        year=2027,
        term_ends_from=datetime.date(2027, 1, 1),
        term_ends_to=datetime.date(2027, 12, 31),
        by=org,
    )
    appraisals = Appraisal.objects.filter(round=round_).order_by("pk")
    artifacts = [nominated, trained, proposed, decided, short, long, *appraisals]
    processes = [
        process
        for artifact in artifacts
        for flow_class in every_flow()
        if (process := process_of(flow_class, artifact)) is not None
    ]
    assert all(process.finished is None for process in processes)
    return processes


def running_processes(w) -> dict:
    """A running process of every flow, by its URL namespace; every flow of the project must have one."""
    processes = {}
    for process in processes_at_each_step(w):
        processes.setdefault(flow_namespace(process.flow_class), process)
    missing = {flow_namespace(f) for f in every_flow()} - set(processes)
    assert not missing, f"no running process built for {missing}: add one to processes_at_each_step"
    return processes


WALKERS = ["org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a", "outsider"]


def _process_urls(process) -> list[tuple[str, object]]:
    """The process page, its chart and the pages of each open human task: (url, task or None)."""
    from viewflow.workflow.models import Task

    namespace = flow_namespace(process.flow_class)
    urls = [
        (reverse(f"{namespace}:process_detail", args=[process.pk]), None),
        (reverse(f"{namespace}:process_chart", args=[process.pk]), None),
    ]
    for task in Task.objects.filter(process=process, flow_task_type="HUMAN", finished__isnull=True):
        urls += [(task.reverse(view), task) for view in ("index", "execute")]
    return urls


def test_r_o4_the_walk_reaches_a_running_process_of_every_flow(world):
    built = processes_at_each_step(world)
    assert {process.flow_class for process in built} == every_flow()
    assert len(every_flow()) >= 4
    # Each flow has a step that waits for a person, so its task pages are walked too.
    from viewflow.workflow.models import Task

    waiting = {
        p.flow_class
        for p in built
        if Task.objects.filter(process=p, flow_task_type="HUMAN", finished__isnull=True).exists()
    }
    assert waiting == every_flow()


@pytest.mark.parametrize("role", WALKERS)
def test_r_o4_running_processes_pages_answer_inside_the_tier_and_refuse_outside_it(client, world, role):
    """Every running process's page, chart and open tasks: 200 inside the process's tiers, 403 outside, never 500."""
    from workflows.flows import fresh_artifact
    from workflows.permissions import may_view

    processes = processes_at_each_step(world)
    user = world["people"][role]
    client.force_login(user)
    wrong = {}
    for process in processes:
        inside = may_view(user, fresh_artifact(process))
        for url, task in _process_urls(process):
            status = client.get(url).status_code
            if task is None:
                expected = {200} if inside else {403}
            elif task.flow_task.can_execute(user, task) or task.flow_task.can_assign(user, task):
                expected = {200, 302}
            else:
                expected = {302, 403}
            if status not in expected:
                wrong[url] = status
    assert wrong == {}


def test_r_o4_every_flows_process_is_read_by_the_county_and_its_tier_and_refused_to_another(world):
    """The expectation above is not vacuous: for each flow someone outside the county is inside, someone outside."""
    from workflows.flows import fresh_artifact
    from workflows.permissions import may_view

    people = world["people"]
    tiers = [people[r] for r in WALKERS if r not in ("org", "auditor")]
    for process in processes_at_each_step(world):
        artifact = fresh_artifact(process)
        assert may_view(people["org"], artifact) and may_view(people["auditor"], artifact)
        seen_by = [may_view(user, artifact) for user in tiers]
        assert any(seen_by) and not all(seen_by), process
