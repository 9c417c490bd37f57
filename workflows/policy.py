"""Read the policy numbers (settings.POLICY) and audit every change to them (R-X1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from workflows.audit import audit_record
from workflows.models import AuditEvent


def policy(name: str) -> Any:
    """Return one policy number; every rule reads its numbers through here."""
    return settings.POLICY[name]


def audit_policy_changes(using: str = "default", **kwargs) -> None:
    """Record the policy in force whenever it differs from the last one recorded (post_migrate)."""
    last = AuditEvent.objects.using(using).filter(action="policy.change").order_by("-seq").first()
    before = last.data.get("policy", {}) if last else {}
    now = dict(settings.POLICY)
    if before == now:
        return
    changed = {k: {"from": before.get(k), "to": v} for k, v in now.items() if before.get(k) != v}
    audit_record(action="policy.change", actor=None, data={"policy": now, "changed": changed}, reason="settings.POLICY")
