"""The append-only, hash-chained audit trail (R-X1): writing events and verifying the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from workflows.models import AuditEvent, User
from workflows.permissions import tier_pks

#: The client address of the request being served, set by RequestContextMiddleware.
request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)

GENESIS = "0" * 64

#: Human names of the actions, for pages and exports; each process adds its own with `register_actions`.
ACTION_LABELS: dict[str, Any] = {
    "post.appoint": gettext_lazy("任命职务"),
    "post.end": gettext_lazy("免去职务"),
    "post.refused": gettext_lazy("越权任免被拒绝"),
    "post.grants_sync": gettext_lazy("按角色补授职务权限"),
    "policy.change": gettext_lazy("政策参数变更"),
    "county.import": gettext_lazy("导入全县基础数据"),
}


def register_actions(labels: dict[str, Any]) -> None:
    ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if action.endswith(".refused"):
        base = action.removesuffix(".refused")
        return _("越权操作被拒绝:%(action)s") % {"action": ACTION_LABELS.get(base, base)}
    return action

# Fields that the hash covers, in order. Changing this list invalidates every existing chain.
_HASHED = (
    "seq", "at", "actor_id", "actor_name", "action", "content_type_id", "object_id", "object_repr",
    "county_id", "unit_id", "township_id", "from_state", "to_state", "reason", "ip", "data",
)


def _canonical(event: AuditEvent) -> bytes:
    values: dict[str, Any] = {}
    for name in _HASHED:
        value = getattr(event, name)
        if name == "at":
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        values[name] = value
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def compute_hash(event: AuditEvent) -> str:
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, event.prev_hash.encode() + _canonical(event), hashlib.sha256).hexdigest()


def _lock_chain() -> None:
    """Serialise appends so two transactions cannot both extend the same head."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('workflows_auditevent_chain'))")
    # SQLite serialises writers itself (transaction_mode IMMEDIATE in settings).


def audit_record(
    *,
    action: str,
    actor: User | None,
    obj: Model | None = None,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Append one event to the trail; call it inside the transaction that made the change."""
    tiers = _tiers_of(obj) if obj is not None else {}
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            # Empty for the system itself; pages show it as 系统 in the reader's language.
            actor_name=actor.get_full_name() if actor is not None and actor.pk else "",
            action=action,
            content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            county_id=tiers.get("county"),
            unit_id=tiers.get("unit"),
            township_id=tiers.get("township"),
            from_state=from_state or "",
            to_state=to_state or "",
            reason=reason or "",
            ip=request_ip.get(),
            data=data or {},
            prev_hash=prev_hash,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
    return event


def _tiers_of(obj: Model) -> dict[str, Any]:
    if getattr(type(obj), "tier_paths", None) is None:
        return {}
    return {k: v for k, v in tier_pks(obj).items() if k in ("county", "unit", "township")}


@dataclass
class ChainReport:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""


def audit_verify(batch: int = 2000) -> ChainReport:
    """Walk the chain in order and name the first altered, inserted or removed event."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    last = None
    for event in AuditEvent.objects.order_by("seq", "pk").iterator(chunk_size=batch):
        checked += 1
        where = {"seq": event.seq, "id": event.pk}
        problem = ""
        if event.seq < expected_seq:
            problem = _("事件 #%(seq)s(id %(id)s)序号重复:有记录被插入") % where
        elif event.seq > expected_seq:
            problem = _("事件 #%(missing)s 缺失:在事件 #%(seq)s(id %(id)s)之前有记录被删除") % {
                **where, "missing": expected_seq}
        elif event.prev_hash != prev_hash:
            problem = _("事件 #%(seq)s(id %(id)s)与前一事件的链接不符:前一事件被改动、删除或插入") % where
        elif not hmac.compare_digest(event.hash, compute_hash(event)):
            problem = _("事件 #%(seq)s(id %(id)s)的内容与哈希不符:该记录被改动或伪造") % where
        if problem:
            broken_seq = expected_seq if event.seq > expected_seq else event.seq
            return ChainReport(False, checked, None, None, broken_seq, event.pk, problem)
        prev_hash, expected_seq, last = event.hash, expected_seq + 1, event
    return ChainReport(True, checked, last.seq if last else None, last.hash if last else None)
