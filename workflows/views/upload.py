"""The import in the browser (导入基础数据): upload the county workbook, preview, confirm (R-O1, R-O2, R-X1).

The rules are the importer's (`workflows.importing`): these pages hand it the files, show what it
would do, and ask it to do it.
"""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from workflows import importing
from workflows.importing import SHEETS, ImportFile, ImportRejected
from workflows.models import AuditEvent, County, ImportUpload
from workflows.permissions import REVIEW_AUDIT, may
from workflows.views.manage import ManagePage

#: How many created or changed records the preview lists; the counts cover them all.
PREVIEW_LINES = 500
RECENT_UPLOADS = 20


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Several files in one field, as Django's documentation shows it."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt,.tsv"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    """The files, and the county they go into (a superuser may name a new one)."""

    files = _MultipleFileField(label=gettext_lazy("文件"), allow_empty_file=True)
    county = forms.ModelChoiceField(queryset=County.objects.none(), required=False, label=gettext_lazy("县"))
    county_code = forms.CharField(label=gettext_lazy("新建县的代码"), max_length=20, required=False)
    county_name = forms.CharField(label=gettext_lazy("新建县的名称"), max_length=50, required=False)

    def __init__(self, *args, counties, may_create: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.may_create = may_create
        self.fields["county"].queryset = counties
        self.fields["county"].required = not may_create
        self.fields["files"].error_messages["required"] = _("请选择要导入的文件。")
        self.fields["county"].error_messages["required"] = _("请选择导入到哪个县。")
        if not may_create:
            del self.fields["county_code"], self.fields["county_name"]
        #: The only county the user administers: no choice to make.
        self.only_county = counties.first() if not may_create and counties.count() == 1 else None
        if self.only_county is not None:
            self.fields["county"].required = False

    def clean_county(self):
        return self.cleaned_data["county"] or self.only_county


class UploadAccess(ManagePage):
    """A page about one upload: it opens only to those who administer the upload's county (R-O4)."""

    def get_upload(self) -> ImportUpload:
        upload = get_object_or_404(ImportUpload.objects.select_related("county", "uploaded_by"), pk=self.kwargs["pk"])
        if not importing.import_uploads_visible_to(self.request.user).filter(pk=upload.pk).exists():
            raise PermissionDenied(_("这份导入文件属于其他县,您无权查看。"))
        return upload


class ImportView(ManagePage, TemplateView):
    """The upload form, the template to download, and the recent uploads."""

    template_name = "workflows/manage/import.html"
    nav_name = "manage:import"

    def form(self, data=None, files=None) -> UploadForm:
        counties = self.county_queryset()
        return UploadForm(data, files, counties=counties, may_create=self.request.user.is_superuser)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.form())
        context["uploads"] = importing.import_uploads_visible_to(self.request.user)[:RECENT_UPLOADS]
        context["sheets"] = [(sheet, importing.COLUMNS[sheet]) for sheet in SHEETS]
        context["max_mb"] = importing.upload_limit() // (1024 * 1024)
        return context

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST, request.FILES)
        if form.is_valid():
            # Read one byte past the limit at most: the importer refuses a file that long.
            limit = importing.upload_limit() + 1
            files = [ImportFile(f.name, f.read(limit)) for f in form.cleaned_data["files"]]
            try:
                upload = importing.import_upload_create(
                    files=files,
                    county=form.cleaned_data["county"],
                    by=request.user,
                    county_code=form.cleaned_data.get("county_code", ""),
                    county_name=form.cleaned_data.get("county_name", ""),
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                return HttpResponseRedirect(reverse("manage:import_preview", args=[upload.pk]))
        return self.render_to_response(self.get_context_data(form=form))


class ImportTemplateView(ManagePage, View):
    """The empty workbook, with its five sheets and their headers."""

    def get(self, request, *args, **kwargs):
        return FileResponse(
            io.BytesIO(importing.county_import_workbook()),
            as_attachment=True,
            filename=_("县基础数据导入模板.xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class ImportPreviewView(UploadAccess, TemplateView):
    """What the upload would create and change, or every error by sheet, row and column; and the confirm button."""

    template_name = "workflows/manage/import_preview.html"
    nav_name = "manage:import"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        upload = context["upload"] = self.get_upload()
        context["county"] = importing.import_upload_county(upload)
        if upload.confirmed_at is not None:
            event = AuditEvent.objects.filter(action="county.import", data__upload=upload.pk).first()
            context["event"] = event
            context["event_link"] = event is not None and may(self.request.user, REVIEW_AUDIT, upload.county)
            if event is not None:
                context["rows"] = [(sheet, event.data["counts"].get(sheet, {})) for sheet in SHEETS]
            return context
        try:
            result = importing.import_upload_preview(upload=upload, user=self.request.user)
        except ImportRejected as rejected:
            context["rejected"] = rejected
            context["refused"] = list(rejected.rows_by_sheet().items())
        except ValidationError as error:
            context["broken"] = error.messages
        else:
            context["result"] = result
            context["rows"] = [(sheet, result.counts[sheet]) for sheet in SHEETS]
            context["changes"] = result.changes[:PREVIEW_LINES]
            context["more_changes"] = max(len(result.changes) - PREVIEW_LINES, 0)
        return context


class ImportConfirmView(UploadAccess, View):
    """Import the previewed upload for real, once (R-X1)."""

    def post(self, request, *args, **kwargs):
        upload = self.get_upload()
        try:
            result = importing.import_upload_confirm(upload=upload, by=request.user)
        except ImportRejected as rejected:
            messages.error(request, rejected.summary())
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, result.lines()[0])
        return HttpResponseRedirect(reverse("manage:import_preview", args=[upload.pk]))


urlpatterns = [
    path("import/", ImportView.as_view(), name="import"),
    path("import/template/", ImportTemplateView.as_view(), name="import_template"),
    path("import/<int:pk>/", ImportPreviewView.as_view(), name="import_preview"),
    path("import/<int:pk>/confirm/", ImportConfirmView.as_view(), name="import_confirm"),
]
