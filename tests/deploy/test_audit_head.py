"""The audit head kept outside the database notices events removed from the very end of the trail (R-X1)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import UserFactory
from workflows import triggers
from workflows.audit import audit_record
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_r_x1_head_file_records_each_head_and_notices_a_truncated_tail(tmp_path):
    user = UserFactory()
    for n in range(3):
        audit_record(action="post.appoint", actor=user, reason=str(n))
    head_file = tmp_path / "heads.log"
    call_command("audit_verify", head_file=str(head_file))
    call_command("audit_verify", head_file=str(head_file))
    lines = head_file.read_text().splitlines()
    assert len(lines) == 2 and lines[0].split()[:2] == lines[1].split()[:2]
    last = AuditEvent.objects.order_by("-seq").first()
    assert lines[-1].split()[:2] == [str(last.seq), last.hash]

    # Someone with the database's keys removes the newest event: the chain alone still verifies.
    triggers.remove(connection)
    AuditEvent.objects.filter(pk=last.pk).delete()
    triggers.install(connection)
    call_command("audit_verify")
    with pytest.raises(CommandError, match=f"#{last.seq}"):
        call_command("audit_verify", head_file=str(head_file))
