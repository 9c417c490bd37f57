"""post_grants_sync: a permission added to a role in a release reaches every active post, audited (R-O4, R-X1, R-A1).

R-O4: permissions are granted per tier, one set per post. R-X1: every permission grant leaves an audit record.
R-A1: the appraisal permissions (township and unit scores) were the ones added after posts existed.
"""

import pytest
from django.apps import apps
from django.db.models.signals import post_migrate
from guardian.models import UserObjectPermission

from workflows.models import AuditEvent, Post, Role, User
from workflows.permissions import APPRAISE_AS_TOWNSHIP, APPRAISE_AS_UNIT, ROLE_PERMISSIONS, may
from workflows.services import post_end, post_grants_sync


def _fresh(user) -> User:
    """A new instance: guardian and Django cache permissions on the user object."""
    return User.objects.get(pk=user.pk)


def _has(user, codename, tier) -> bool:
    return _fresh(user).has_perm(f"workflows.{codename}", tier)


def _revoke_row(user, codename, tier) -> None:
    """Delete the guardian row directly, as if the role had gained the permission in a release."""
    deleted, _ = UserObjectPermission.objects.filter(
        user=user, permission__codename=codename, object_pk=str(tier.pk)
    ).delete()
    assert deleted == 1
    assert not _has(user, codename, tier)


def _syncs() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="post.grants_sync").order_by("seq"))


def test_a_missing_appraisal_permission_is_granted_to_the_active_post_r_o4(world):
    """R-O4, R-A1: the township committee's appraisal grant, removed, comes back on its township."""
    town_a, township = world["people"]["town_a"], world["town_a"]
    _revoke_row(town_a, APPRAISE_AS_TOWNSHIP, township)
    assert post_grants_sync() == 1
    assert _has(town_a, APPRAISE_AS_TOWNSHIP, township)
    assert not _has(town_a, APPRAISE_AS_TOWNSHIP, world["town_b"])
    assert may(_fresh(town_a), APPRAISE_AS_TOWNSHIP, world["village_a"])


def test_every_missing_grant_of_every_active_post_is_restored_on_its_own_tier_r_o4(world):
    """R-O4: a unit head and a township both lose their appraisal grant; each gets it back on its tier only."""
    people = world["people"]
    _revoke_row(people["head_a"], APPRAISE_AS_UNIT, world["unit_a"])
    _revoke_row(people["deputy_a"], APPRAISE_AS_UNIT, world["unit_a"])
    _revoke_row(people["town_b"], APPRAISE_AS_TOWNSHIP, world["town_b"])
    rows = UserObjectPermission.objects.count()
    assert post_grants_sync() == 3
    assert UserObjectPermission.objects.count() == rows + 3
    assert _has(people["head_a"], APPRAISE_AS_UNIT, world["unit_a"])
    assert _has(people["deputy_a"], APPRAISE_AS_UNIT, world["unit_a"])
    assert _has(people["town_b"], APPRAISE_AS_TOWNSHIP, world["town_b"])
    assert not _has(people["head_a"], APPRAISE_AS_UNIT, world["unit_b"])
    assert not _has(people["town_b"], APPRAISE_AS_TOWNSHIP, world["town_a"])


def test_a_post_without_any_of_its_grants_gets_all_of_its_roles_permissions_r_o4(world):
    """R-O4: what the role grants now, all of it: a post from before the release gets the four codenames."""
    town_b, township = world["people"]["town_b"], world["town_b"]
    UserObjectPermission.objects.filter(user=town_b).delete()
    assert post_grants_sync() == len(ROLE_PERMISSIONS[Role.TOWNSHIP_COMMITTEE]) == 4
    for codename in ROLE_PERMISSIONS[Role.TOWNSHIP_COMMITTEE]:
        assert _has(town_b, codename, township), codename


def test_ended_posts_are_left_alone_r_o4(world):
    """R-O4: a post that has ended gets nothing back; its holder stays without the tier's permissions."""
    people = world["people"]
    town_b, township = people["town_b"], world["town_b"]
    post = Post.objects.active().get(user=town_b, township=township)
    post_end(post=post, by=people["org"], reason="调任")
    assert not UserObjectPermission.objects.filter(user=town_b).exists()
    assert post_grants_sync() == 0
    assert not UserObjectPermission.objects.filter(user=town_b).exists()
    for codename in ROLE_PERMISSIONS[Role.TOWNSHIP_COMMITTEE]:
        assert not _has(town_b, codename, township), codename
    assert _syncs() == []


def test_an_ended_post_is_skipped_while_the_active_ones_are_synced_r_o4(world):
    """R-O4: in one run, the active post is restored and the ended one is not."""
    people = world["people"]
    post_end(post=Post.objects.active().get(user=people["town_b"]), by=people["org"], reason="调任")
    _revoke_row(people["town_a"], APPRAISE_AS_TOWNSHIP, world["town_a"])
    assert post_grants_sync() == 1
    assert _has(people["town_a"], APPRAISE_AS_TOWNSHIP, world["town_a"])
    assert not _has(people["town_b"], APPRAISE_AS_TOWNSHIP, world["town_b"])


def test_nothing_missing_means_nothing_granted_and_nothing_audited_r_x1(world):
    """R-O4, R-X1: with every grant in place the sync is a no-op and leaves no audit record."""
    rows = UserObjectPermission.objects.count()
    assert post_grants_sync() == 0
    assert UserObjectPermission.objects.count() == rows
    assert _syncs() == []


def test_the_sync_is_idempotent_r_o4(world):
    """R-O4: the second run finds nothing left to grant; no duplicate guardian rows, no second audit record."""
    _revoke_row(world["people"]["head_b"], APPRAISE_AS_UNIT, world["unit_b"])
    assert post_grants_sync() == 1
    rows = UserObjectPermission.objects.count()
    assert post_grants_sync() == 0
    assert post_grants_sync() == 0
    assert UserObjectPermission.objects.count() == rows
    assert (
        UserObjectPermission.objects.filter(
            user=world["people"]["head_b"], permission__codename=APPRAISE_AS_UNIT
        ).count()
        == 1
    )
    assert len(_syncs()) == 1


def test_the_grants_are_audited_with_who_got_what_on_which_tier_r_x1(world):
    """R-X1: one system event naming each (user, codename, tier) granted, with the reason."""
    people = world["people"]
    _revoke_row(people["town_a"], APPRAISE_AS_TOWNSHIP, world["town_a"])
    _revoke_row(people["head_a"], APPRAISE_AS_UNIT, world["unit_a"])
    post_grants_sync()
    [event] = _syncs()
    assert event.actor is None and event.actor_name == ""
    assert event.reason
    assert sorted(map(tuple, event.data["granted"])) == sorted(
        [
            (people["town_a"].pk, APPRAISE_AS_TOWNSHIP, str(world["town_a"].pk)),
            (people["head_a"].pk, APPRAISE_AS_UNIT, str(world["unit_a"].pk)),
        ]
    )


def test_the_sync_runs_after_every_migrate_r_o4():
    """R-O4: a release's new permission reaches existing posts on `migrate`, without anyone re-appointing."""
    config = apps.get_app_config("workflows")
    assert post_migrate.disconnect(post_grants_sync, sender=config)
    post_migrate.connect(post_grants_sync, sender=config)


@pytest.mark.parametrize("role_user", ["org", "auditor", "head_a", "town_a"])
def test_the_sync_never_grants_more_than_the_role_does_r_o4(world, role_user):
    """R-O4: after a full wipe and a sync, each post holds exactly its role's codenames on its tier."""
    user = world["people"][role_user]
    UserObjectPermission.objects.filter(user=user).delete()
    post_grants_sync()
    [post] = Post.objects.active().filter(user=user)
    granted = set(UserObjectPermission.objects.filter(user=user).values_list("permission__codename", "object_pk"))
    tier_pk = str(post.county_id or post.unit_id or post.township_id)
    assert granted == {(codename, tier_pk) for codename in ROLE_PERMISSIONS[post.role]}
