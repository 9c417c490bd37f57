"""The admin is for superusers, and even they cannot edit or delete the audit trail (R-X1, R-O4)."""

from workflows.models import AuditEvent


def test_r_x1_superuser_reads_audit_events_but_cannot_change_or_delete_them(admin_client, two_tiers):
    event = AuditEvent.objects.order_by("seq").last()
    assert admin_client.get("/admin/workflows/auditevent/").status_code == 200
    assert admin_client.get(f"/admin/workflows/auditevent/{event.pk}/change/").status_code == 200
    response = admin_client.post(f"/admin/workflows/auditevent/{event.pk}/change/", {"reason": "改"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/workflows/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).reason == event.reason


def test_r_o4_posts_are_not_edited_in_the_admin(admin_client, two_tiers):
    assert admin_client.get("/admin/workflows/post/add/").status_code == 403
