"""The review of the audit trail: filtered events, one object's timeline, one event, and exports (R-X1, R-O4).

The org dept and the auditor hold REVIEW_AUDIT on their county; they read the events of their county's tiers and
those tied to no tier (policy changes, grant repairs). Everyone else is refused. Every page here only reads.
"""

from __future__ import annotations

import datetime
import json
from functools import cache
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from workflows import selectors
from workflows.audit import ACTION_LABELS, action_label, chain_status, compute_hash, data_label
from workflows.exports import Column, Table, export_response, wanted_format
from workflows.models import AuditEvent, Role, Township, Unit
from workflows.params import BoundedDateField

PAGE_SIZE = 50
#: The action filter's choice for every refusal, whatever was refused.
REFUSED = "*.refused"
#: Apps whose records the trail names.
OBJECT_APPS = ("workflows", "dispatch", "leave", "appraisal")
#: Objects whose timeline also holds the events of the records that hang off them (leave, recall, appraisal…).
WITH_CHILDREN = {"dispatch.dispatch"}


def type_key(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


@cache
def object_models() -> dict[str, type[Model]]:
    """The kinds of record an event can name: every model of ours that belongs to a tier."""
    found = [
        model
        for app in OBJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if getattr(model, "tier_paths", None)
    ]
    return {type_key(model): model for model in found}


@cache
def _state_labels(model: type[Model] | None) -> dict[str, str]:
    labels = {value: label for value, label in Role.choices}
    if model is not None:
        for field in model._meta.fields:
            if field.name in ("state", "status") and field.choices:
                labels.update(dict(field.choices))
    return labels


def state_label(model: type[Model] | None, value: str) -> str:
    return str(_state_labels(model).get(value, value)) if value else ""


def _reviewer_counties(user) -> list[int]:
    counties = selectors.review_counties(user)
    if not counties:
        raise PermissionDenied(_("只有县委组织部和审计员可以审阅审计记录。"))
    return counties


def _object_url(key: str, object_id: str) -> str | None:
    """The page of the object an event names, when its model has one (`get_absolute_url`)."""
    try:
        model = apps.get_model(key)
    except (LookupError, ValueError):
        return None
    if not hasattr(model, "get_absolute_url") or not object_id.isdigit():
        return None
    try:
        return model(pk=int(object_id)).get_absolute_url()
    except NoReverseMatch:
        return None


def readable(value: Any) -> str:
    """A value of an event's data as a person reads it: lists joined, mappings as key: value, the rest as JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return _("、").join(str(v) for v in value) or "—"
    if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool, type(None))) for v in value.values()):
        return ";".join(f"{k}: {readable(v)}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def decorate(events: list[AuditEvent]) -> list[AuditEvent]:
    """Give each event the labels a page shows: its object's kind and its states in words."""
    for event in events:
        model = event.content_type.model_class() if event.content_type_id else None
        event.type_key = type_key(model) if model else ""
        event.type_label = model._meta.verbose_name if model else ""
        event.from_label = state_label(model, event.from_state)
        event.to_label = state_label(model, event.to_state)
        event.data_items = [
            (key, str(data_label(key)), readable(value)) for key, value in sorted((event.data or {}).items())
        ]
    return events


def action_choices(events: QuerySet[AuditEvent]) -> list[tuple[str, str]]:
    """Every action registered or found in the reviewer's trail, by code (so a process's actions stay together)."""
    found = set(events.order_by().values_list("action", flat=True).distinct())
    actions = sorted(found | set(ACTION_LABELS), key=lambda a: (a.endswith(".refused"), a))
    return [("", _("全部动作")), (REFUSED, _("所有越权操作被拒绝"))] + [(a, action_label(a)) for a in actions]


class AuditFilterForm(forms.Form):
    """The review page's filters; every one is optional and they narrow together."""

    actor = forms.CharField(
        label=gettext_lazy("操作人"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("姓名或账号")}),
    )
    action = forms.ChoiceField(label=gettext_lazy("动作"), required=False)
    township = forms.ModelChoiceField(
        label=gettext_lazy("乡镇"),
        queryset=Township.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部乡镇"),
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("单位"), queryset=Unit.objects.none(), required=False, empty_label=gettext_lazy("全部单位")
    )
    object_type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    object_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=64)
    object = forms.CharField(
        label=gettext_lazy("对象名称"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("名称的一部分")}),
    )
    date_from = BoundedDateField(
        label=gettext_lazy("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = BoundedDateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=gettext_lazy("理由包含"), required=False)

    def __init__(self, *args, counties: list[int], events: QuerySet[AuditEvent], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = Township.objects.filter(county_id__in=counties).order_by("code")
        self.fields["unit"].queryset = Unit.objects.filter(county_id__in=counties).order_by("code")
        self.fields["action"].choices = action_choices(events)
        kinds = sorted(object_models().items(), key=lambda item: (item[1]._meta.app_label, item[0]))
        self.fields["object_type"].choices = [("", _("全部类型"))] + [
            (key, model._meta.verbose_name) for key, model in kinds
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        """Narrow the events by every filter given; a filter the form rejected is left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if actor := (data.get("actor") or "").strip():
            match = Q(actor_name__icontains=actor) | Q(actor__username__icontains=actor)
            if actor.lower() in (str(_("系统")).lower(), "系统", "system"):
                match |= Q(actor__isnull=True)
            events = events.filter(match)
        if action := data.get("action"):
            events = events.filter(action__endswith=".refused") if action == REFUSED else events.filter(action=action)
        if township := data.get("township"):
            events = events.filter(township=township)
        if unit := data.get("unit"):
            events = events.filter(unit=unit)
        if kind := data.get("object_type"):
            app_label, model = kind.split(".")
            events = events.filter(content_type=ContentType.objects.get_by_natural_key(app_label, model))
        if object_id := (data.get("object_id") or "").strip():
            events = events.filter(object_id=object_id)
        if name := (data.get("object") or "").strip():
            events = events.filter(Q(object_repr__icontains=name) | Q(object_id=name))
        if start := data.get("date_from"):
            events = events.filter(at__gte=_start_of(start))
        if end := data.get("date_to"):
            events = events.filter(at__lt=_start_of(end + datetime.timedelta(days=1)))
        if reason := (data.get("reason") or "").strip():
            events = events.filter(reason__icontains=reason)
        return events

    @property
    def one_object(self) -> tuple[str, str] | None:
        """The object named by type and number, when the filters name exactly one."""
        data = getattr(self, "cleaned_data", {})
        kind, object_id = data.get("object_type"), (data.get("object_id") or "").strip()
        return (kind, object_id) if kind and object_id else None


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


EXPORT_COLUMNS = [
    Column(gettext_lazy("序号"), 8, "int"),
    Column(gettext_lazy("时间"), 18, "datetime"),
    Column(gettext_lazy("操作人"), 14),
    Column(gettext_lazy("账号"), 12),
    Column(gettext_lazy("动作"), 26),
    Column(gettext_lazy("动作代码"), 24),
    Column(gettext_lazy("对象类型"), 14),
    Column(gettext_lazy("对象编号"), 10),
    Column(gettext_lazy("对象"), 24),
    Column(gettext_lazy("原状态"), 12),
    Column(gettext_lazy("新状态"), 12),
    Column(gettext_lazy("理由"), 30),
    Column(gettext_lazy("乡镇"), 12),
    Column(gettext_lazy("单位"), 16),
    Column(gettext_lazy("来源地址"), 15),
    Column(gettext_lazy("附加信息"), 40),
]


def events_table(events: QuerySet[AuditEvent]) -> Table:
    """The events as a table for a download, in the order given; dates stay datetimes."""
    table = Table(title=_("审计记录"), columns=[Column(str(c.header), c.width, c.kind) for c in EXPORT_COLUMNS])
    for event in events.iterator(chunk_size=2000):
        model = event.content_type.model_class() if event.content_type_id else None
        table.add(
            event.seq,
            event.at,
            event.actor_display,
            event.actor.username if event.actor_id else "",
            action_label(event.action),
            event.action,
            model._meta.verbose_name if model else "",
            event.object_id,
            event.object_repr,
            state_label(model, event.from_state),
            state_label(model, event.to_state),
            event.reason,
            event.township.name if event.township_id else "",
            event.unit.name if event.unit_id else "",
            event.ip or "",
            json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else "",
        )
    return table


class ReviewView(LoginRequiredMixin, TemplateView):
    """Every event the reviewer may read, newest first, filtered; the chain's state on top; ?format= downloads."""

    template_name = "workflows/audit/review.html"

    @staticmethod
    def admits(user) -> bool:
        """Whether the page opens to the user: the org dept's and the auditors' (R-X1); the menu asks it too."""
        return bool(selectors.review_counties(user))

    def get(self, request, *args, **kwargs):
        self.counties = _reviewer_counties(request.user)
        scoped = selectors.audit_events_for(request.user, self.counties)
        self.form = AuditFilterForm(request.GET or None, counties=self.counties, events=scoped)
        self.events = self.form.filter(scoped).order_by("-seq")
        fmt = wanted_format(request)
        if fmt is not None:
            return self.export(fmt)
        return super().get(request, *args, **kwargs)

    def export(self, fmt: str) -> HttpResponse:
        filename = "-".join([_("审计记录"), timezone.localdate().isoformat()])
        return export_response(fmt, events_table(self.events), filename)

    def get_context_data(self, **kwargs):
        page = Paginator(self.events, PAGE_SIZE).get_page(self.request.GET.get("page"))
        one = self.form.one_object
        return super().get_context_data(
            form=self.form,
            page_obj=page,
            events=decorate(list(page.object_list)),
            chain=chain_status(),
            one_object_url=reverse("audit:object", args=one) if one else None,
            **kwargs,
        )


class ObjectTimelineView(LoginRequiredMixin, TemplateView):
    """One object's whole history in order; a dispatch's includes its leave, recalls, appraisals and attendance."""

    template_name = "workflows/audit/timeline.html"

    def get_context_data(self, **kwargs):
        counties = _reviewer_counties(self.request.user)
        key, object_id = self.kwargs["kind"], self.kwargs["object_id"]
        model = object_models().get(key)
        if model is None:
            raise Http404(_("没有这种对象。"))
        content_type = ContentType.objects.get_for_model(model)
        own = Q(content_type=content_type, object_id=object_id)
        with_children = key in WITH_CHILDREN and self.request.GET.get("own") != "1"
        match = own | self._children(model, object_id) if with_children else own
        events = decorate(list(selectors.audit_events_for(self.request.user, counties).filter(match).order_by("seq")))
        if not events:
            raise Http404(_("您可审阅的范围内没有该对象的审计记录。"))
        mine = [e for e in events if e.content_type_id == content_type.pk and e.object_id == object_id]
        title = (mine or events)[-1].object_repr
        context = super().get_context_data(**kwargs)
        context.update(
            events=events,
            kind=key,
            kind_label=model._meta.verbose_name,
            object_id=object_id,
            title=title,
            object_url=_object_url(key, object_id),
            has_children=key in WITH_CHILDREN,
            with_children=with_children,
        )
        return context

    @staticmethod
    def _children(model: type[Model], object_id: str) -> Q:
        """The events of every record that points at this object (one subquery each, all in one query)."""
        match = Q(pk__in=[])
        if not object_id.isdigit():
            return match
        models = set(object_models().values())
        for relation in model._meta.related_objects:
            if relation.one_to_many and relation.related_model in models:
                child = relation.related_model
                pks = child._default_manager.filter(**{relation.field.name: int(object_id)}).values_list(
                    Cast("pk", CharField()), flat=True
                )
                match |= Q(content_type=ContentType.objects.get_for_model(child), object_id__in=pks)
        return match


class EventView(LoginRequiredMixin, TemplateView):
    """One event in full, with its hash recomputed and its link to the event before it."""

    template_name = "workflows/audit/event.html"

    def get_context_data(self, **kwargs):
        counties = _reviewer_counties(self.request.user)
        event = selectors.audit_events_for(self.request.user, counties).filter(pk=self.kwargs["pk"]).first()
        if event is None:
            raise Http404(_("您可审阅的范围内没有这条审计记录。"))
        decorate([event])
        before = AuditEvent.objects.filter(seq__lt=event.seq).order_by("-seq").values_list("seq", "hash").first()
        return super().get_context_data(
            event=event,
            hash_ok=compute_hash(event) == event.hash,
            link_ok=(before[1] if before else "0" * 64) == event.prev_hash,
            before_seq=before[0] if before else None,
            gap=before is not None and before[0] != event.seq - 1,
            object_url=_object_url(event.type_key, event.object_id),
            **kwargs,
        )
