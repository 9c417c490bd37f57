"""The org dept's posts pages (职务任免): the county's posts, appointing and ending them (R-O4, R-X1)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from workflows import selectors, services
from workflows.forms import AppointForm, CountyForm, EndPostForm, show_service_error
from workflows.models import ROLE_TIER, County, Post, Role
from workflows.views.manage import ManagePage

#: The service's names of a new person's details, and the appoint form's.
_PERSON_FIELDS = {"name": "new_name", "id_number": "new_id_number", "phone": "new_phone"}


def _county_id(post: Post) -> int:
    return post.tier.pk if ROLE_TIER[Role(post.role)] == "county" else post.tier.county_id


#: People a search lists at most; a search matching more says so and asks for more of the name or ID number.
SEARCH_LIMIT = 20


class CountyPage(ManagePage):
    """A page about one of the counties the user administers, chosen by ?county= (the first by default)."""

    nav_name = "manage:posts"

    @cached_property
    def county(self) -> County | None:
        wanted = self.request.GET.get("county", "")
        counties = self.county_queryset()
        if not wanted:
            return counties.first()
        county = counties.filter(pk=wanted).first() if wanted.isdigit() else None
        if county is None:
            raise PermissionDenied(_("您不能管理该县的职务。"))
        return county


class PostsView(CountyPage, TemplateView):
    """The county's active posts, filtered by role and tier and searched by name or ID number; or its ended ones."""

    template_name = "workflows/manage/posts.html"

    def filtered_posts(self):
        county, params = self.county, self.request.GET
        ended = params.get("state") == "ended"
        posts = selectors.posts_in(county, active=not ended)
        role = params.get("role", "")
        if role in Role.values:
            posts = posts.filter(role=role)
        tier = params.get("tier", "")
        kind, _sep, pk = tier.partition(":")
        if kind == "county":
            posts = posts.filter(county=county)
        elif kind in ("unit", "township") and pk.isdigit():
            posts = posts.filter(**{f"{kind}_id": int(pk)})
        query = params.get("q", "").strip()
        if query:
            posts = posts.filter(
                Q(user__name__icontains=query)
                | Q(user__username=query)
                | Q(user__id_number=query.upper())
                | Q(user__cadre__id_number=query.upper())
            )
        if ended:
            posts = posts.order_by("-ended_at")
        return posts

    def tier_choices(self) -> list[tuple[str, str]]:
        county = self.county
        choices = [("county", _("县(%(county)s)") % {"county": county.name})]
        choices += [(f"unit:{u.pk}", u.name) for u in county.units.order_by("code")]
        choices += [(f"township:{t.pk}", t.name) for t in county.townships.order_by("code")]
        return choices

    def get_context_data(self, **kwargs):
        context = {"county": self.county, "county_form": kwargs.pop("county_form", None)}
        if self.request.user.is_superuser and context["county_form"] is None:
            context["county_form"] = CountyForm()
        if self.county is not None:
            params = self.request.GET
            posts = list(self.filtered_posts())
            if params.get("state") == "ended":
                reasons = selectors.post_end_reasons(posts)
                for post in posts:
                    post.end_reason = reasons.get(post.pk, "")
            context.update(
                posts=posts,
                ended=params.get("state") == "ended",
                roles=Role.choices,
                role=params.get("role", ""),
                tier=params.get("tier", ""),
                q=params.get("q", ""),
                tiers=self.tier_choices(),
                appoint_url=reverse("manage:post_appoint") + "?" + urlencode({"county": self.county.pk}),
            )
        return super().get_context_data(**context, **kwargs)

    def post(self, request, *args, **kwargs):
        """An administrator's new county (the only form this page posts)."""
        form = CountyForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    county = services.county_create(
                        code=form.cleaned_data["code"], name=form.cleaned_data["name"], by=request.user
                    )
            except ValidationError as error:
                show_service_error(form, error)
            else:
                messages.success(request, _("已新建 %(county)s,请任命该县的组织部人员。") % {"county": county.name})
                url = reverse("manage:post_appoint") + "?" + urlencode({"county": county.pk, "role": Role.ORG_DEPT})
                return HttpResponseRedirect(url)
        return self.render_to_response(self.get_context_data(county_form=form))


class AppointView(CountyPage, TemplateView):
    """Appoint a person found by name or ID number, or typed in as a new person, to a post of the county (R-O4)."""

    template_name = "workflows/manage/posts_appoint.html"

    def get(self, request, *args, **kwargs):
        if self.county is None:
            return HttpResponseRedirect(reverse("manage:posts"))
        return super().get(request, *args, **kwargs)

    def make_form(self, data=None) -> AppointForm:
        query = self.request.GET.get("q", "")
        self.query = query
        self.candidates = selectors.people_matching(query, self.county, limit=SEARCH_LIMIT + 1)
        # One more than is shown, to say that there are more.
        self.more_found = len(self.candidates) > SEARCH_LIMIT
        self.candidates = self.candidates[:SEARCH_LIMIT]
        initial = {"role": self.request.GET.get("role", "")}
        return AppointForm(data, county=self.county, candidates=self.candidates, initial=initial)

    def candidate_rows(self, form: AppointForm) -> list[dict]:
        """Each person found, told apart as the choice is, with the posts they hold now (one may hold several)."""
        held: dict[int, list[Post]] = {}
        posts = Post.objects.active().filter(user__in=self.candidates).select_related("county", "unit", "township")
        for post in posts:
            held.setdefault(post.user_id, []).append(post)
        label = AppointForm.base_fields["person"].label_from_instance
        return [{"label": label(person), "posts": held.get(person.pk, [])} for person in self.candidates]

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or self.make_form()
        return super().get_context_data(
            county=self.county,
            form=form,
            q=self.query,
            searched=bool(self.query.strip()),
            candidates=self.candidate_rows(form),
            more_found=self.more_found,
            search_limit=SEARCH_LIMIT,
            posts_url=reverse("manage:posts") + "?" + urlencode({"county": self.county.pk}),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if self.county is None:
            raise PermissionDenied(_("请先新建县。"))
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    post = self.appoint(form)
            except ValidationError as error:
                show_service_error(form, error, _PERSON_FIELDS)
            else:
                messages.success(
                    request,
                    _("已任命 %(person)s 为%(tier)s%(role)s。")
                    % {"person": post.user.get_full_name(), "tier": post.tier, "role": post.get_role_display()},
                )
                return HttpResponseRedirect(reverse("manage:posts") + "?" + urlencode({"county": self.county.pk}))
        return self.render_to_response(self.get_context_data(form=form), status=200)

    def appoint(self, form: AppointForm) -> Post:
        data, by = form.cleaned_data, self.request.user
        person = data["person"]
        if person is None:
            person = services.person_create(
                name=data["new_name"], id_number=data["new_id_number"], phone=data["new_phone"], by=by
            )
        return services.post_appoint(user=person, role=data["role"], tier=form.tier(), by=by, title=data["title"])


class EndPostView(ManagePage, TemplateView):
    """End a post after confirming, with the reason (R-O4, R-X1); its grants go at once."""

    template_name = "workflows/manage/posts_end.html"
    nav_name = "manage:posts"

    def get_post(self) -> Post:
        posts = Post.objects.select_related("user", "county", "unit", "township")
        post = get_object_or_404(posts, pk=self.kwargs["pk"])
        if _county_id(post) not in self.counties:
            raise PermissionDenied(_("您不能管理该县的职务。"))
        return post

    def back_url(self, post: Post) -> str:
        return reverse("manage:posts") + "?" + urlencode({"county": _county_id(post)})

    def get_context_data(self, **kwargs):
        post = kwargs.pop("post", None) or self.get_post()
        kwargs.setdefault("form", EndPostForm())
        return super().get_context_data(post=post, back_url=self.back_url(post), **kwargs)

    def post(self, request, *args, **kwargs):
        post = self.get_post()
        form = EndPostForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.post_end(post=post, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                show_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("已免去 %(person)s 的%(tier)s%(role)s职务。")
                    % {"person": post.user.get_full_name(), "tier": post.tier, "role": post.get_role_display()},
                )
                return HttpResponseRedirect(self.back_url(post))
        return self.render_to_response(self.get_context_data(post=post, form=form))


urlpatterns = [
    path("posts/", PostsView.as_view(), name="posts"),
    path("posts/appoint/", AppointView.as_view(), name="post_appoint"),
    path("posts/<int:pk>/end/", EndPostView.as_view(), name="post_end"),
]
