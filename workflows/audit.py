"""The append-only, hash-chained audit trail (R-X1): writing events and verifying the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.labels import (  # noqa: F401  (re-exported: the apps register their labels here)
    ACTION_LABELS,
    DATA_LABELS,
    action_label,
    data_label,
    register_actions,
    register_data_labels,
)
from workflows.models import AuditEvent, User
from workflows.permissions import tier_pks

#: The client address of the request being served, set by RequestContextMiddleware.
request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)

GENESIS = "0" * 64

# Fields that the hash covers, in order. Changing this list invalidates every existing chain.
_HASHED = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "county_id",
    "unit_id",
    "township_id",
    "from_state",
    "to_state",
    "reason",
    "ip",
    "data",
)


def _canonical(values: dict[str, Any]) -> bytes:
    values = dict(values)
    values["at"] = values["at"].astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _hash(prev_hash: str, values: dict[str, Any]) -> str:
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, prev_hash.encode() + _canonical(values), hashlib.sha256).hexdigest()


def compute_hash(event: AuditEvent) -> str:
    return _hash(event.prev_hash, {name: getattr(event, name) for name in _HASHED})


def lock_chain() -> None:
    """Serialise appends so two transactions cannot both extend the same head.

    Take it before any row lock: a writing request takes it first thing (project.middleware), so that no
    transaction holds a row another waits for while waiting for the chain itself. Taking it again later in the
    same transaction (audit_record does) costs nothing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('workflows_auditevent_chain'))")
    # SQLite serialises writers itself (transaction_mode IMMEDIATE in settings).


class Refusal(TypedDict):
    """The arguments of one `write_refusal`, kept aside while a writing request runs."""

    action: str
    actor: User
    obj: Model | None
    reason: str
    data: dict


#: Refusals met while a writing request runs; written after its transaction ends, committed or rolled back.
deferred_refusals: ContextVar[list[Refusal] | None] = ContextVar("deferred_refusals", default=None)


def audit_refusal(
    *,
    action: str,
    actor: User | None,
    obj: Model | None = None,
    reason: str = "",
    data: dict | None = None,
) -> None:
    """Record that a signed-in user was refused (R-X1); anonymous visitors and repeats leave no event.

    The refusal usually ends in PermissionDenied, which rolls the request's transaction back; so inside a writing
    request the event is kept aside and written once the transaction has ended. The same refusal of the same user
    on the same object within AUDIT_REFUSAL_REPEAT_SECONDS is not written again: the trail is append-only, so the
    first event cannot count its repeats.
    """
    if actor is None or not actor.is_authenticated:
        return
    refusal: Refusal = {"action": action, "actor": actor, "obj": obj, "reason": reason, "data": data or {}}
    pending = deferred_refusals.get()
    if pending is not None:
        pending.append(refusal)
        return
    write_refusal(**refusal)


def write_refusal(*, action: str, actor: User, obj: Model | None, reason: str, data: dict) -> AuditEvent | None:
    """Write one refusal unless the same one is on the trail already, recent enough to stand for it."""
    since = timezone.now() - timedelta(seconds=settings.AUDIT_REFUSAL_REPEAT_SECONDS)
    same = AuditEvent.objects.filter(action=action, actor=actor, at__gte=since, reason=reason)
    if obj is not None:
        same = same.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
    else:
        same = same.filter(content_type__isnull=True)
    if any(event_data == data for event_data in same.values_list("data", flat=True)[:50]):
        return None
    return audit_record(action=action, actor=actor, obj=obj, reason=reason, data=data)


def audit_transition(
    obj: Model, *, action: str, by: User | None, before: str, reason: str = "", data: dict | None = None
) -> AuditEvent:
    """Record a transition of `obj` from `before` to its state now, with what the record says of itself."""
    context = obj.audit_context() if hasattr(obj, "audit_context") else {}
    return audit_record(
        action=action,
        actor=by,
        obj=obj,
        from_state=before,
        to_state=obj.state,  # type: ignore[attr-defined]  # every audited artifact has an FSM `state`
        reason=reason,
        data={**context, **(data or {})},
    )


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
        lock_chain()
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
    """What a walk of the chain found: every event in place, or the first one that is not and why."""

    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""
    #: When the whole chain was last walked event by event: now, or earlier when only new events were walked.
    full_walk_at: datetime | None = None
    #: Events hashed by this call (all of them for a full walk, the new ones for an incremental one).
    walked: int = 0


@dataclass(frozen=True)
class ChainCheckpoint:
    """An event up to which the chain verified, with the fingerprint of the rows up to it at that time."""

    seq: int
    hash: str
    checked: int
    fingerprint: str
    full_walk_at: datetime


def verify_chain(
    using: str = "default", *, after: ChainCheckpoint | None = None, upto: int | None = None, batch: int = 5000
) -> ChainReport:
    """Walk the chain in order, from the start or on from a checkpoint, and name the first altered, inserted or
    removed event."""
    events = AuditEvent.objects.using(using)
    if after is None:
        expected_seq, prev_hash, checked = 1, GENESIS, 0
        head_seq, head_hash, full_walk_at = None, None, timezone.now()
    else:
        expected_seq, prev_hash, checked = after.seq + 1, after.hash, after.checked
        head_seq, head_hash, full_walk_at = after.seq, after.hash, after.full_walk_at
        events = events.filter(seq__gt=after.seq)
    if upto is not None:
        events = events.filter(seq__lte=upto)
    walked = 0
    rows = events.order_by("seq", "pk").values_list("pk", "prev_hash", "hash", *_HASHED)
    for pk, stored_prev, stored_hash, *hashed in rows.iterator(chunk_size=batch):
        values = dict(zip(_HASHED, hashed, strict=True))
        seq = values["seq"]
        checked += 1
        walked += 1
        where = {"seq": seq, "id": pk}
        problem = ""
        if seq < expected_seq:
            problem = _("事件 #%(seq)s(id %(id)s)序号重复:有记录被插入") % where
        elif seq > expected_seq:
            problem = _("事件 #%(missing)s 缺失:在事件 #%(seq)s(id %(id)s)之前有记录被删除") % {
                **where,
                "missing": expected_seq,
            }
        elif stored_prev != prev_hash:
            problem = _("事件 #%(seq)s(id %(id)s)与前一事件的链接不符:前一事件被改动、删除或插入") % where
        elif not hmac.compare_digest(stored_hash, _hash(stored_prev, values)):
            problem = _("事件 #%(seq)s(id %(id)s)的内容与哈希不符:该记录被改动或伪造") % where
        if problem:
            broken_seq = expected_seq if seq > expected_seq else seq
            return ChainReport(False, checked, None, None, broken_seq, pk, problem, walked=walked)
        prev_hash, expected_seq, head_seq, head_hash = stored_hash, expected_seq + 1, seq, stored_hash
    return ChainReport(True, checked, head_seq, head_hash, full_walk_at=full_walk_at, walked=walked)


def audit_verify(batch: int = 5000) -> ChainReport:
    """Walk the whole chain from its first event (the audit_verify command and the tests)."""
    return verify_chain(batch=batch)


#: A page trusts a checkpoint's fingerprint this long; then it walks the whole chain again, which also catches an
#: edit made below PostgreSQL (in the data files) that leaves the row versions as they were.
FULL_WALK_EVERY = timedelta(hours=24)

# Any UPDATE or DELETE, even with the triggers lifted, gives the row a new version (ctid) and transaction (xmin) or
# takes it away; so the digest of (ctid, xmin) of the events up to a checkpoint changes whenever one of them does.
_FINGERPRINT_SQL = (
    "SELECT max(seq), "
    "md5(string_agg(ctid::text || ':' || xmin::text, ',' ORDER BY ctid) FILTER (WHERE seq <= %s)), "
    "md5(string_agg(ctid::text || ':' || xmin::text, ',' ORDER BY ctid)) "
    "FROM {table}"
)


def chain_status(using: str = "default") -> ChainReport:
    """The chain's state for a page, quick on a long trail.

    A full walk hashes about 40 000 events a second, too slow to repeat on every page view of a large trail. On
    PostgreSQL the last verified head is kept in the cache with a fingerprint of the rows up to it; while that
    fingerprint holds (and the full walk is less than FULL_WALK_EVERY old), only the events after the head are
    walked. Otherwise, and on other databases, the whole chain is walked.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return verify_chain(using)
    key = f"workflows:audit-chain:{using}:{connection.settings_dict['NAME']}"
    checkpoint = cache.get(key)
    if checkpoint is not None and timezone.now() - checkpoint.full_walk_at > FULL_WALK_EVERY:
        checkpoint = None
    with connection.cursor() as cursor:
        cursor.execute(
            _FINGERPRINT_SQL.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)),
            [checkpoint.seq if checkpoint else 0],
        )
        head_seq, prefix, whole = cursor.fetchone()
    if head_seq is None:
        return ChainReport(True, 0, None, None, full_walk_at=timezone.now())
    if checkpoint is not None and prefix == checkpoint.fingerprint and head_seq >= checkpoint.seq:
        report = verify_chain(using, after=checkpoint, upto=head_seq)
    else:
        report = verify_chain(using, upto=head_seq)
    if report.ok and report.head_seq == head_seq and report.head_hash is not None and report.full_walk_at is not None:
        cache.set(
            key, ChainCheckpoint(head_seq, report.head_hash, report.checked, whole, report.full_walk_at), timeout=None
        )
    return report
