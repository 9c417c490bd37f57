"""Verify the audit trail's hash chain and name the first altered, inserted or removed event (R-X1)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from workflows.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit status 1 names the first broken event."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="The database whose trail to verify.")

    def handle(self, *args, **options):
        report = verify_chain(options["database"])
        if not report.ok:
            raise CommandError(
                _("审计链校验失败(已检查 %(n)s 条):%(problem)s") % {"n": report.checked, "problem": report.problem}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("审计链完整:共 %(n)s 条事件,链首 #%(seq)s %(hash)s")
                % {"n": report.checked, "seq": report.head_seq or 0, "hash": report.head_hash or "-"}
            )
        )
