"""A process's page and its chart: readable inside the process's tiers, refused outside them (R-O4)."""

import pytest
from django.urls import reverse

from tests.test_pages_smoke import running_processes

FLOWS = ["dispatch:flow", "dispatch:recall", "leave:flow", "appraisal:flow"]


@pytest.fixture
def processes(world):
    return running_processes(world)


@pytest.mark.parametrize("namespace", FLOWS)
@pytest.mark.parametrize("role", ["org", "auditor"])
def test_r_o4_county_tier_reads_a_running_process_of_every_flow(client, world, processes, namespace, role):
    client.force_login(world["people"][role])
    process = processes[namespace]
    response = client.get(reverse(f"{namespace}:process_detail", args=[process.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    # No cancel button: a process ends only through its services (a withdrawal, a recall), each audited.
    assert "/cancel/" not in html
    assert reverse(f"{namespace}:process_chart", args=[process.pk]) in html


@pytest.mark.parametrize(
    ("namespace", "inside", "outside"),
    [
        ("dispatch:flow", "head_a", "head_b"),
        ("dispatch:recall", "town_b", "town_a"),
        ("leave:flow", "town_a", "town_b"),
        ("appraisal:flow", "head_a", "head_b"),
    ],
)
def test_r_o4_process_chart_is_refused_outside_the_processs_tier(client, world, processes, namespace, inside, outside):
    process = processes[namespace]
    page = reverse(f"{namespace}:process_detail", args=[process.pk])
    chart = reverse(f"{namespace}:process_chart", args=[process.pk])
    client.force_login(world["people"][inside])
    assert client.get(page).status_code == 200
    response = client.get(chart)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    client.force_login(world["people"][outside])
    assert client.get(page).status_code == 403
    assert client.get(chart).status_code == 403


def test_process_chart_of_another_flows_process_is_not_found(client, world, processes):
    client.force_login(world["people"]["org"])
    leave_process = processes["leave:flow"]
    assert client.get(reverse("dispatch:flow:process_chart", args=[leave_process.pk])).status_code == 404
    assert client.get(reverse("dispatch:flow:chart")).status_code == 200
