"""Posts: who may appoint, one head and one deputy per unit, grants and their audit (R-O2, R-O4, R-X1)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from guardian.models import UserObjectPermission

from tests.factories import UserFactory, appoint
from workflows.models import AuditEvent, Post, Role
from workflows.permissions import APPRAISE_AS_UNIT, APPROVE_NOMINATIONS, NOMINATE_CADRES, VIEW_UNIT, may
from workflows.services import post_appoint, post_end


def test_r_o2_unit_has_one_head_and_exactly_one_deputy_at_a_time(two_tiers):
    with pytest.raises(ValidationError, match="已有在任的单位主要领导"):
        appoint(UserFactory(), Role.UNIT_HEAD, two_tiers["unit_a"])
    with pytest.raises(ValidationError, match="已有在任的单位分管领导"):
        appoint(UserFactory(), Role.UNIT_DEPUTY, two_tiers["unit_a"])


def test_r_o2_new_deputy_can_be_named_once_the_old_one_leaves(two_tiers):
    unit = two_tiers["unit_a"]
    post_end(post=Post.objects.active().get(role=Role.UNIT_DEPUTY, unit=unit), by=None, reason="退休")
    newcomer = UserFactory()
    appoint(newcomer, Role.UNIT_DEPUTY, unit)
    assert may(newcomer, NOMINATE_CADRES, unit)


def test_r_o4_post_must_sit_on_its_own_tier(two_tiers):
    with pytest.raises(ValidationError):
        appoint(UserFactory(), Role.UNIT_HEAD, two_tiers["town_a"])


def test_r_o4_one_person_may_hold_several_roles(two_tiers):
    person = two_tiers["people"]["cadre_b"]
    appoint(person, Role.TOWNSHIP_COMMITTEE, two_tiers["town_b"])
    appoint(person, Role.AUDITOR, two_tiers["county"])
    roles = set(Post.objects.active().filter(user=person).values_list("role", flat=True))
    assert roles == {Role.TOWNSHIP_COMMITTEE, Role.AUDITOR}


def test_r_o4_only_the_org_dept_appoints(two_tiers):
    head = two_tiers["people"]["head_a"]
    before = Post.objects.count()
    with pytest.raises(PermissionDenied):
        post_appoint(user=UserFactory(), role=Role.UNIT_HEAD, tier=two_tiers["unit_b"], by=head)
    assert Post.objects.count() == before
    assert AuditEvent.objects.filter(action="post.refused", actor=head).exists()
    post_end(
        post=Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_b"]),
        by=two_tiers["people"]["org"],
        reason="调任",
    )
    post_appoint(user=UserFactory(), role=Role.UNIT_HEAD, tier=two_tiers["unit_b"], by=two_tiers["people"]["org"])


def test_r_o4_auditor_cannot_appoint_or_remove(two_tiers):
    auditor = two_tiers["people"]["auditor"]
    post = Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_a"])
    with pytest.raises(PermissionDenied):
        post_end(post=post, by=auditor, reason="x")
    assert Post.objects.get(pk=post.pk).ended_at is None


def test_r_o4_grants_are_per_tier_not_per_record(two_tiers):
    """A unit head holds four grants on the unit object and none on any record."""
    head = two_tiers["people"]["head_a"]
    grants = UserObjectPermission.objects.filter(user=head)
    assert sorted(grants.values_list("permission__codename", flat=True)) == sorted(
        [VIEW_UNIT, NOMINATE_CADRES, APPROVE_NOMINATIONS, APPRAISE_AS_UNIT]
    )
    assert set(grants.values_list("object_pk", flat=True)) == {str(two_tiers["unit_a"].pk)}


def test_r_x1_appointment_and_removal_are_audited_with_the_grants(two_tiers):
    org = two_tiers["people"]["org"]
    person = UserFactory(username="newhead")
    post_end(post=Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_b"]), by=org, reason="调任")
    post = post_appoint(user=person, role=Role.UNIT_HEAD, tier=two_tiers["unit_b"], by=org, title="局长")
    post_end(post=post, by=org, reason="试用期满未任")
    appointed = AuditEvent.objects.get(action="post.appoint", data__user="newhead")
    ended = AuditEvent.objects.filter(action="post.end", data__user="newhead").get()
    assert appointed.actor == org and appointed.to_state == Role.UNIT_HEAD
    assert appointed.unit == two_tiers["unit_b"] and appointed.county == two_tiers["county"]
    assert sorted(appointed.data["granted"]) == sorted(
        [VIEW_UNIT, NOMINATE_CADRES, APPROVE_NOMINATIONS, APPRAISE_AS_UNIT]
    )
    assert ended.reason == "试用期满未任" and ended.from_state == Role.UNIT_HEAD
    assert sorted(ended.data["revoked"]) == sorted(appointed.data["granted"])


def test_ending_a_post_twice_is_refused_with_a_message(two_tiers):
    post = Post.objects.active().get(role=Role.UNIT_HEAD, unit=two_tiers["unit_a"])
    post_end(post=post, by=None, reason="调任")
    with pytest.raises(ValidationError, match="已经免去"):
        post_end(post=Post.objects.get(pk=post.pk), by=None, reason="再次")
