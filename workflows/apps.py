"""App config for what every process shares: tiers, permissions, the audit trail."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("组织与审计")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save
        from viewflow.workflow.models import Task

        from workflows import checks  # noqa: F401  (registers the deployment checks)
        from workflows.announce import task_saved
        from workflows.formlayout import use_banner_layout
        from workflows.middleware import touch_session_on_sign_in
        from workflows.policy import audit_policy_changes
        from workflows.services import post_grants_sync

        post_migrate.connect(audit_policy_changes, sender=self)
        post_migrate.connect(post_grants_sync, sender=self)
        use_banner_layout()
        user_logged_in.connect(touch_session_on_sign_in, dispatch_uid="touch_session_on_sign_in")
        post_save.connect(task_saved, sender=Task, dispatch_uid="announce_new_tasks")
