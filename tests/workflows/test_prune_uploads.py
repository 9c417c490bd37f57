"""Uploaded workbooks are not kept for good: `prune_uploads` clears old files and says so (R-X1)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from workflows.importing import import_upload_files
from workflows.models import AuditEvent, ImportUpload

pytestmark = pytest.mark.django_db


def test_old_upload_files_are_cleared_and_recent_ones_kept(two_tiers, settings):
    org = two_tiers["people"]["org"]
    now = timezone.now()
    old = ImportUpload.objects.create(
        county=two_tiers["county"],
        uploaded_by=org,
        file_name="旧.xlsx",
        data=b"old",
        sha256="x",
        uploaded_at=now - datetime.timedelta(days=settings.IMPORT_UPLOAD_KEEP_DAYS + 1),
    )
    recent = ImportUpload.objects.create(
        county=two_tiers["county"], uploaded_by=org, file_name="新.xlsx", data=b"new", sha256="y", uploaded_at=now
    )
    call_command("prune_uploads")
    assert bytes(ImportUpload.objects.get(pk=old.pk).data) == b""
    assert bytes(ImportUpload.objects.get(pk=recent.pk).data) == b"new"
    event = AuditEvent.objects.get(action="county.import.prune")
    assert event.data["upload"] == [old.pk]
    with pytest.raises(ValidationError, match="保存期限"):
        import_upload_files(ImportUpload.objects.get(pk=old.pk))
    call_command("prune_uploads")
    assert AuditEvent.objects.filter(action="county.import.prune").count() == 1
