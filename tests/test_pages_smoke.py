"""Every page without parameters answers each role with a page, a redirect or a refusal, never an error."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

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


def running_processes(w) -> dict:
    """A running process of every flow, built by the services: a nomination, a recall, a leave, an appraisal."""
    from appraisal import services as appraisal_services
    from appraisal.flows import AppraisalFlow
    from appraisal.models import Appraisal
    from dispatch import services as dispatch_services
    from dispatch.flows import DispatchFlow, RecallFlow
    from dispatch.models import RecallReason
    from leave import leaves
    from leave.flows import LeaveFlow
    from tests.dispatch.test_team import stationed
    from workflows.flows import process_of

    p = w["people"]
    nominated = dispatch_services.dispatch_nominate(cadre=w["plain_a"], village=w["village_a2"], year=2026,
                                                    by=p["head_a"])
    stationed_a = stationed(w["cadre_a"], w["village_a"])
    stationed_b = stationed(w["cadre_b"], w["village_b"])
    recall = dispatch_services.recall_propose(dispatch=stationed_b, by=p["town_b"], reason=RecallReason.OTHER,
                                              details="长期不在村")
    leave = leaves.leave_request(dispatch=stationed_a, starts_on=datetime.date(2026, 12, 2),
                                 ends_on=datetime.date(2026, 12, 3), reason="家中有事", by=p["cadre_a"])
    round_ = appraisal_services.round_open(county=w["county"], title="2027年度驻村干部考评", year=2027,
                                           term_ends_from=datetime.date(2027, 1, 1),
                                           term_ends_to=datetime.date(2027, 12, 31), by=p["org"])
    appraisal = Appraisal.objects.get(round=round_, dispatch=stationed_a)
    processes = {
        "dispatch:flow": process_of(DispatchFlow, nominated),
        "dispatch:recall": process_of(RecallFlow, recall),
        "leave:flow": process_of(LeaveFlow, leave),
        "appraisal:flow": process_of(AppraisalFlow, appraisal),
    }
    assert all(process is not None and process.finished is None for process in processes.values())
    return processes


@pytest.mark.parametrize("role", ["org", "auditor", "head_a", "deputy_a", "head_b", "town_a", "town_b", "cadre_a",
                                  "outsider"])
def test_r_o4_running_processes_pages_answer_every_role_without_error(client, world, role):
    """The process page, its chart and its task pages of a running process of every flow: never a 500."""
    from django.urls import reverse
    from viewflow.workflow.models import Task

    processes = running_processes(world)
    client.force_login(world["people"][role])
    failures = {}
    for namespace, process in processes.items():
        urls = [reverse(f"{namespace}:process_detail", args=[process.pk]),
                reverse(f"{namespace}:process_chart", args=[process.pk])]
        urls += [task.reverse(view) for task in Task.objects.filter(process=process, flow_task_type="HUMAN")
                 for view in ("index", "execute")]
        for url in urls:
            status = client.get(url).status_code
            if status not in (200, 302, 403):
                failures[url] = status
    assert failures == {}
