"""Bulk actions: the single-item service once per item, each in its own transaction, refusals listed with reasons.

A bulk action never holds a rule of its own: each item goes through the service its task page calls (its state,
tier and rule checks, its transition, audit event and flow step). An item that fails is rolled back alone and
listed with the service's message; one someone else decided meanwhile is skipped and said so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from workflows.audit import deferred_refusals, write_refusal

M = TypeVar("M", bound=Model)

#: The most items one submission acts on: each is a transition, an audit event and a flow step, and the page
#: waits for all of them; a county's queue larger than this is done in several passes.
MAX_ITEMS = 500


@dataclass
class BulkItem:
    """One item of a bulk action: what it is, and what became of it (the outcome, or why it was refused)."""

    pk: int
    label: str
    message: str = ""


@dataclass
class BulkResult:
    """What a bulk action did: the items done and the items refused, each with its message."""

    done: list[BulkItem] = field(default_factory=list)
    refused: list[BulkItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        """A plain form for the session, shown once on the page after the redirect."""
        return {"done": [asdict(i) for i in self.done], "refused": [asdict(i) for i in self.refused]}

    @classmethod
    def from_dict(cls, data: dict) -> BulkResult:
        return cls(
            done=[BulkItem(**item) for item in data.get("done", [])],
            refused=[BulkItem(**item) for item in data.get("refused", [])],
        )


def already_handled(display_state: str) -> ValidationError:
    """The refusal of an item someone else decided after the list was shown."""
    return ValidationError(_("已由他人处理(当前为「%(state)s」)。") % {"state": display_state})


def parse_pks(values: Iterable[str]) -> list[int] | None:
    """The selected ids in order, each once; None if any is not a positive whole number."""
    pks: dict[int, None] = {}
    for value in values:
        value = value.strip()
        if not value.isascii() or not value.isdigit() or int(value) <= 0:
            return None
        pks[int(value)] = None
    return list(pks)


@contextmanager
def _refusals_kept() -> Iterator[None]:
    """Keep a refusal audited even though its item's transaction rolls back (a writing request does it already)."""
    if deferred_refusals.get() is not None:
        yield
        return
    pending: list = []
    token = deferred_refusals.set(pending)
    try:
        yield
    finally:
        deferred_refusals.reset(token)
        for refusal in pending:
            write_refusal(**refusal)


def _reason(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, ValidationError):
        return ";".join(str(m) for m in error.messages)
    return str(error) or _("您无权对此事项进行该操作。")


def run_each(
    pks: Iterable[int],
    *,
    load: Callable[[list[int]], dict[int, M]],
    act: Callable[[M], str],
    label: Callable[[M], str],
) -> BulkResult:
    """Run `act` on each item in its own transaction (a savepoint inside a request's); collect done and refused.

    `load(pks)` reads the items by id (unknown ids are refused as not found); `act(item)` does one item through
    its service and returns what became of it, or raises ValidationError or PermissionDenied, which roll that item
    back alone.
    """
    wanted = list(dict.fromkeys(pks))
    items = load(wanted)
    result = BulkResult()
    for pk in wanted:
        item = items.get(pk)
        if item is None:
            result.refused.append(BulkItem(pk, _("编号 %(pk)s") % {"pk": pk}, _("未找到该事项。")))
            continue
        name = label(item)
        try:
            with _refusals_kept(), transaction.atomic():
                outcome = act(item)
        except (ValidationError, PermissionDenied) as error:
            result.refused.append(BulkItem(pk, name, _reason(error)))
        else:
            result.done.append(BulkItem(pk, name, outcome))
    return result
