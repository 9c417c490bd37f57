"""Headers every response carries, downloads no cache may keep, and the health check (R-X1)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_r_x1_pages_carry_a_content_security_policy_without_inline_scripts_and_deny_framing(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy + ";"
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_r_x1_hsts_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_r_x1_an_export_with_personal_data_is_sent_no_store(client, two_tiers):
    client.force_login(two_tiers["people"]["org"])
    response = client.get(reverse("org:cadre:index") + "?format=csv")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_r_x1_an_ordinary_page_is_not_marked_no_store(client, two_tiers):
    client.force_login(two_tiers["people"]["org"])
    response = client.get(reverse("home:index"))
    assert "no-store" not in response.get("Cache-Control", "")


def test_health_check_answers_ok_without_signing_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
