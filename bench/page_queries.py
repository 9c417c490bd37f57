"""Query counts and times of the main pages on a small and a large county, on PostgreSQL.

Usage (PostgreSQL at 127.0.0.1 with trust auth; creates and drops a database named `bench_cadres`):

    .venv/bin/python bench/page_queries.py [--scale 1 10]

Each scale builds a synthetic county (townships, villages, units, cadres, stationed dispatches with
their flows) through bulk inserts, then signs in as each role and requests its pages, printing the
number of queries and the median time of five requests. The counts must not grow with the scale.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings_test")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_cadres")


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_cadres")
        conn.execute("CREATE DATABASE bench_cadres")


def _build(scale: int) -> dict:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from dispatch.models import Dispatch, DispatchState, Pairing
    from workflows.models import Cadre, County, Role, Township, Unit, User, Village, VillageIncome
    from workflows.services import post_appoint

    call_command("migrate", verbosity=0)
    year = datetime.date.today().year
    county = County.objects.create(code="BENCH", name="基准县")
    townships = Township.objects.bulk_create(
        Township(county=county, code=f"T{i:04d}", name=f"第{i}镇") for i in range(12 * scale)
    )
    villages = Village.objects.bulk_create(
        Village(
            township=townships[i % len(townships)],
            code=f"V{i:06d}",
            name=f"第{i}村",
            is_weak_leadership=i % 9 == 0,
            is_election_difficult=i % 13 == 0,
        )
        for i in range(180 * scale)
    )
    VillageIncome.objects.bulk_create(
        VillageIncome(village=v, year=year - 1, total_income=20000 + (i * 977) % 90000, subsidies=5000)
        for i, v in enumerate(villages)
    )
    units = Unit.objects.bulk_create(Unit(county=county, code=f"U{i:04d}", name=f"第{i}局") for i in range(25 * scale))
    password = make_password("bench-pass-1")
    users = User.objects.bulk_create(
        User(username=f"c{i:06d}", name=f"干部{i}", password=password) for i in range(300 * scale)
    )
    cadres = Cadre.objects.bulk_create(
        Cadre(
            user=u,
            unit=units[i % len(units)],
            name=u.name,
            id_number=f"{i:018d}",
            gender="M",
            birth_date=datetime.date(1985, 1, 1),
            is_reserve=i % 7 == 0,
        )
        for i, u in enumerate(users)
    )
    Pairing.objects.bulk_create(
        Pairing(unit=units[i % len(units)], village=v, year=year) for i, v in enumerate(villages)
    )
    stationed_on = datetime.date(year, 3, 5)
    Dispatch.objects.bulk_create(
        Dispatch(
            cadre=c,
            unit=c.unit,
            village=villages[i],
            year=year,
            nominated_by=users[0],
            state=DispatchState.STATIONED,
            stationed_on=stationed_on,
            term_ends_on=stationed_on.replace(year=year + 1) - datetime.timedelta(days=1),
        )
        for i, c in enumerate(cadres[: len(villages) // 2])
    )
    roles = {}
    for username, role, tier in [
        ("org", Role.ORG_DEPT, county),
        ("auditor", Role.AUDITOR, county),
        ("head", Role.UNIT_HEAD, units[0]),
        ("town", Role.TOWNSHIP_COMMITTEE, townships[0]),
    ]:
        user = User.objects.create(username=username, name=username, password=password)
        post_appoint(user=user, role=role, tier=tier, by=None)
        roles[username] = user
    roles["cadre"] = cadres[0].user
    # A year-end round holding every stationed cadre, opened through the service (one flow per appraisal).
    from appraisal import services as appraisal_services

    term_end = stationed_on.replace(year=year + 1) - datetime.timedelta(days=1)
    round_ = appraisal_services.round_open(
        county=county, title="基准考评", year=year, term_ends_from=term_end, term_ends_to=term_end, by=roles["org"]
    )
    roles["round"] = round_.pk
    return roles


PAGES = {
    "org": [
        "/home/",
        "/dispatch/",
        "/dispatch/org/coverage/",
        "/dispatch/org/pairings/",
        "/org/village/",
        "/org/cadre/",
        "/leave/attendance/compliance/",
        "/leave/visits/overview/",
        "/appraisal/rounds/",
        "/appraisal/rounds/{round}/",
        "/appraisal/rounds/{round}/appraisals/",
        "/appraisal/rounds/{round}/ballots/",
    ],
    "auditor": ["/home/", "/dispatch/org/coverage/", "/appraisal/rounds/{round}/"],
    "head": ["/home/", "/dispatch/", "/dispatch/nominate/", "/appraisal/rounds/{round}/appraisals/"],
    "town": [
        "/home/",
        "/dispatch/township/team/",
        "/org/village/",
        "/leave/attendance/grid/",
        "/leave/leave/township/",
        "/appraisal/rounds/{round}/appraisals/",
        "/appraisal/rounds/{round}/ballots/",
    ],
    "cadre": ["/home/", "/dispatch/", "/leave/attendance/calendar/", "/leave/leave/", "/appraisal/record/"],
}


def _measure(roles: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    results = {}
    for role, urls in PAGES.items():
        client = Client()
        client.force_login(roles[role])
        for url in urls:
            url = url.format(round=roles["round"])
            times, queries, status = [], 0, None
            for _ in range(5):
                with CaptureQueriesContext(connection) as ctx:
                    start = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - start) * 1000)
                queries, status = len(ctx.captured_queries), response.status_code
            results[(role, url)] = (status, queries, statistics.median(times))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    runs = {}
    for scale in args.scale:
        from django.db import connections

        connections.close_all()
        _recreate_database()
        runs[scale] = _measure(_build(scale))
    header = f"{'role':8} {'page':32}" + "".join(f" | x{s}: status queries ms" for s in args.scale)
    print(header)
    print("-" * len(header))
    for key in runs[args.scale[0]]:
        row = f"{key[0]:8} {key[1]:32}"
        for scale in args.scale:
            status, queries, ms = runs[scale][key]
            row += f" | {status:>10} {queries:>7} {ms:6.0f}"
        print(row)
    from django.db import connections

    connections.close_all()


if __name__ == "__main__":
    main()
