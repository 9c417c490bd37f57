"""Clear the files of county workbook uploads older than IMPORT_UPLOAD_KEEP_DAYS: rosters are not kept for good."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from workflows.audit import audit_record
from workflows.models import ImportUpload


class Command(BaseCommand):
    help = (
        "Clear the stored files (names, ID numbers, phones) of county workbook uploads older than "
        "IMPORT_UPLOAD_KEEP_DAYS; the upload's record (file name, digest, who, when) stays. For the daily timer."
    )

    def handle(self, *args, **options):
        before = timezone.now() - timedelta(days=settings.IMPORT_UPLOAD_KEEP_DAYS)
        with transaction.atomic():
            old = ImportUpload.objects.filter(uploaded_at__lt=before).exclude(data=b"")
            pks = list(old.values_list("pk", flat=True))
            if pks:
                ImportUpload.objects.filter(pk__in=pks).update(data=b"")
                audit_record(
                    action="county.import.prune",
                    actor=None,
                    reason=_("超过保存期限的导入文件已清除"),
                    data={"count": len(pks), "upload": pks},
                )
        self.stdout.write(
            _("已清除 %(n)s 个超过 %(days)s 天的导入文件。") % {"n": len(pks), "days": settings.IMPORT_UPLOAD_KEEP_DAYS}
        )
