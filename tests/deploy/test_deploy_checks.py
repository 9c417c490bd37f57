"""Production refuses to start on development defaults; `check --deploy` is clean when configured (R-X1)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**changes) -> dict:
    # The suite's own environment (plain cookies, no HTTPS redirect) is not production's.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POLICY_", "SECURE_"))}
    env.update(
        DEBUG="0",
        DJANGO_SETTINGS_MODULE="project.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(50),
        BALLOT_CODE_KEY=secrets.token_urlsafe(50),
        REDIS_URL="redis://127.0.0.1:6379/15",
        WEB_CONCURRENCY="3",
        ALLOWED_HOSTS="zzb.example.gov.cn",
        DATABASE_URL="sqlite:///:memory:",
        BEHIND_HTTPS_PROXY="1",
        RATELIMIT_IP_META_KEY="HTTP_X_REAL_IP",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _check_deploy(**changes) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(**changes),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_r_x1_check_deploy_is_clean_under_production_settings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name", ["AUDIT_CHAIN_KEY", "BALLOT_CODE_KEY"])
def test_r_x1_production_refuses_a_key_left_unset(name):
    result = _check_deploy(**{name: None})
    assert result.returncode != 0
    assert f"{name} is unset or equal to SECRET_KEY" in result.stderr


def test_r_x1_production_refuses_a_key_equal_to_the_secret_key():
    env = _production_env()
    result = _check_deploy(SECRET_KEY=env["SECRET_KEY"], AUDIT_CHAIN_KEY=env["SECRET_KEY"])
    assert result.returncode != 0
    assert "cadres.E001" in result.stderr


def test_r_a5_several_workers_without_redis_are_refused_and_one_worker_is_not():
    refused = _check_deploy(REDIS_URL=None, WEB_CONCURRENCY="3")
    assert refused.returncode != 0
    assert "cadres.E002" in refused.stderr
    alone = _check_deploy(REDIS_URL=None, WEB_CONCURRENCY="1")
    assert alone.returncode == 0, alone.stderr


def test_r_x1_debug_left_on_is_an_error_that_stops_the_server():
    result = _check_deploy(DEBUG="1")
    assert result.returncode != 0
    assert "cadres.E003" in result.stderr


def test_r_x1_behind_a_proxy_without_the_client_address_header_is_refused():
    result = _check_deploy(RATELIMIT_IP_META_KEY=None)
    assert result.returncode != 0
    assert "cadres.E004" in result.stderr
