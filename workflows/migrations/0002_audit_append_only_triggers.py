"""Reject UPDATE and DELETE on the audit table in the database itself (R-X1)."""

from django.db import migrations

from workflows import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection)


def remove(apps, schema_editor):
    triggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_tiers_posts_and_audit_trail")]

    operations = [migrations.RunPython(install, remove)]
