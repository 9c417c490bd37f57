"""Settings come from the environment; policy numbers have the seed's defaults (R-S7, R-M1, R-M2, R-A2)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(**env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import project.settings as s; print(s.POLICY['LEAVE_TOWNSHIP_MAX_DAYS'], s.DEBUG)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_server_refuses_to_start_without_secret_key_when_not_debug():
    result = _load_settings()
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_debug_mode_runs_with_a_development_key():
    result = _load_settings(DEBUG="1")
    assert result.returncode == 0 and result.stdout.split() == ["3", "True"]


def test_policy_number_overridden_from_environment():
    result = _load_settings(SECRET_KEY="x", POLICY_LEAVE_TOWNSHIP_MAX_DAYS="5")
    assert result.returncode == 0 and result.stdout.split()[0] == "5"


def test_bad_policy_number_is_refused_with_its_name():
    result = _load_settings(SECRET_KEY="x", POLICY_LEAVE_TOWNSHIP_MAX_DAYS="three")
    assert result.returncode != 0 and "POLICY_LEAVE_TOWNSHIP_MAX_DAYS" in result.stderr


def test_appraisal_weights_must_add_up_to_100():
    result = _load_settings(SECRET_KEY="x", POLICY_APPRAISAL_WEIGHT_UNIT="50")
    assert result.returncode != 0 and "add up to 100" in result.stderr


@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("TERM_MONTHS", 12),
        ("MIN_DAYS_IN_VILLAGE_PER_YEAR", 250),
        ("MIN_DAYS_IN_VILLAGE_PER_MONTH", 22),
        ("LEAVE_TOWNSHIP_MAX_DAYS", 3),
        ("QUOTA_SANCTION_YEARS", 3),
        ("ECONOMICALLY_WEAK_INCOME_YUAN", 30000),
        ("NO_PROMOTION_YEARS_AFTER_INCOMPETENT", 3),
        ("APPRAISAL_WEIGHT_TOWNSHIP", 40),
    ],
)
def test_policy_defaults_are_the_seeds(name, default):
    """R-S7, R-M1, R-M2, R-S5, R-O3, R-A3, R-A2: the seed's numbers are the defaults."""
    assert settings.POLICY[name] == default


def test_chinese_is_the_default_language_and_english_is_available():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert {code for code, _ in settings.LANGUAGES} == {"zh-hans", "en"}
    assert settings.TIME_ZONE == "Asia/Shanghai"
