"""Verify the audit trail's hash chain and name the first altered, inserted or removed event (R-X1)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.audit import verify_chain
from workflows.models import AuditEvent


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain; exit status 1 names the first broken event. With --head-file, also "
        "check that the head recorded there last time is still in the trail, then record today's head."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="The database whose trail to verify.")
        parser.add_argument(
            "--head-file",
            metavar="PATH",
            help="a file outside the database (another machine's disk, say) holding one head per line: "
            "events removed from the very end of the trail leave no successor to notice it, this file does",
        )

    def handle(self, *args, **options):
        report = verify_chain(options["database"])
        if not report.ok:
            raise CommandError(
                _("审计链校验失败(已检查 %(n)s 条):%(problem)s") % {"n": report.checked, "problem": report.problem}
            )
        head_file = Path(options["head_file"]) if options["head_file"] else None
        if head_file is not None:
            self._check_recorded_head(head_file, options["database"])
        self.stdout.write(
            self.style.SUCCESS(
                _("审计链完整:共 %(n)s 条事件,链首 #%(seq)s %(hash)s")
                % {"n": report.checked, "seq": report.head_seq or 0, "hash": report.head_hash or "-"}
            )
        )
        if head_file is not None:
            with head_file.open("a", encoding="utf-8") as out:
                out.write(f"{report.head_seq or 0} {report.head_hash or '-'} {timezone.now().isoformat()}\n")

    def _check_recorded_head(self, head_file: Path, database: str) -> None:
        """The last head written to the file must still be an event of the trail, with the same hash."""
        if not head_file.exists():
            return
        lines = [line.split() for line in head_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not lines:
            return
        seq, recorded = int(lines[-1][0]), lines[-1][1]
        if seq == 0:
            return
        stored = AuditEvent.objects.using(database).filter(seq=seq).values_list("hash", flat=True).first()
        if stored != recorded:
            raise CommandError(
                _("审计链校验失败:上次记录的链首 #%(seq)s 已不在审计记录中(记录末尾的事件可能被删除)。") % {"seq": seq}
                if stored is None
                else _("审计链校验失败:事件 #%(seq)s 的哈希与上次记录的链首不同。") % {"seq": seq}
            )
