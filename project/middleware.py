"""One lock order for every write, a bounded retry on a conflict, and downloads that no cache keeps."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.messages.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.utils.cache import patch_cache_control

from project.errors import busy
from workflows.audit import deferred_refusals, lock_chain, write_refusal

logger = logging.getLogger(__name__)

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: PostgreSQL's deadlock_detected and serialization_failure.
CONFLICT_SQLSTATES = frozenset({"40P01", "40001"})


def is_conflict(error: BaseException) -> bool:
    """Whether the database refused this transaction only because another ran at the same time."""
    seen = error
    while seen is not None:
        if getattr(seen, "sqlstate", None) in CONFLICT_SQLSTATES or getattr(seen, "pgcode", None) in CONFLICT_SQLSTATES:
            return True
        seen = seen.__cause__
    return False


class WriteTransactionMiddleware:
    """Run each writing request in one transaction that takes the audit chain's lock before anything else.

    Every service audits in its own transaction, and the chain's lock (an advisory lock on PostgreSQL) is taken when
    the event is written, after the rows the service locked. Two requests locking different rows and then the chain
    could wait on each other; taken first, the chain's lock orders every writer the same way. viewflow's flow lock
    (SELECT … FOR UPDATE on the process) and the services' atomic blocks then run as savepoints inside it. A
    deadlock or serialization failure that still happens (a command running beside the site, say) rolls the whole
    request back and runs it again; after DB_CONFLICT_ATTEMPTS the user gets a "busy, try again" page, never a 500.
    Refusals met on the way are written after the transaction ends (audit_refusal), so a rollback keeps them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in WRITING_METHODS or DEFAULT_DB_ALIAS in getattr(view_func, "_non_atomic_requests", ()):
            return None
        attempts = max(1, settings.DB_CONFLICT_ATTEMPTS)
        for attempt in range(1, attempts + 1):
            refusals: list = []
            token = deferred_refusals.set(refusals)
            conflict = False
            try:
                with transaction.atomic():
                    lock_chain()
                    response = view_func(request, *view_args, **view_kwargs)
                    if callable(getattr(response, "render", None)):
                        response.render()  # inside the transaction, so the page shows what was written
                return response
            except DatabaseError as error:
                if not is_conflict(error):
                    raise
                conflict = True
                logger.warning(
                    "%s %s met a database conflict (attempt %d of %d): %s",
                    request.method,
                    request.path,
                    attempt,
                    attempts,
                    error,
                )
            finally:
                deferred_refusals.reset(token)
                if not conflict:
                    for refusal in refusals:
                        write_refusal(**refusal)
            if attempt < attempts:
                self._rewind(request)
                time.sleep(settings.DB_CONFLICT_PAUSE_SECONDS * attempt)
        return busy(request)

    def process_exception(self, request, exception):
        """A reading page that meets a conflict (nothing to undo) asks the user to try again too."""
        if isinstance(exception, DatabaseError) and is_conflict(exception):
            return busy(request)
        return None

    @staticmethod
    def _rewind(request) -> None:
        """Forget what the failed attempt said to the user and read the uploaded files again from the start."""
        if hasattr(request, "_messages"):
            request._messages = default_storage(request)
        for _name, uploads in request.FILES.lists():
            for upload in uploads:
                upload.seek(0)


#: Content types of the files the site hands out: exports, filed reports, sheets of codes, certificates.
DOWNLOAD_TYPES = (
    "application/pdf",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


class NoStoreDownloadsMiddleware:
    """Send every download (personal data: exports, reports, code sheets, certificates) with `no-store` (R-X1).

    Neither the browser's cache nor a proxy on the way may keep a copy: an office PC is shared, and a file
    saved on purpose is the only copy there should be.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if content_type in DOWNLOAD_TYPES or response.has_header("Content-Disposition"):
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response
