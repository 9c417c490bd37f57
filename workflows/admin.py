"""Admin for system administrators only; tier roles work in the site, never here (R-O4)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as BaseAdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _

from workflows.models import AuditEvent, Cadre, County, JobRun, Post, Township, Unit, User, Village, VillageIncome


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Tier roles are granted on objects, not through the admin; only superusers maintain data here."""

    #: The site's pages are for posts held on tiers, which a superuser need not hold.
    view_on_site = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


class AdminPasswordChangeForm(BaseAdminPasswordChangeForm):
    """A password an administrator sets is known to two people: its owner must replace it at the next sign-in."""

    def save(self, commit=True):
        user = super().save(commit=False)
        user.must_change_password = user.has_usable_password()
        if commit:
            user.save()
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    change_password_form = AdminPasswordChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "email")}),
        (_("状态"), {"fields": ("is_active", "must_change_password", "is_staff", "is_superuser")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    list_display = ("username", "name", "is_active", "is_superuser")
    search_fields = ("username", "name")


@admin.register(County)
class CountyAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name")


@admin.register(Unit)
class UnitAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name", "county")
    search_fields = ("code", "name")


@admin.register(Township)
class TownshipAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name", "kind", "county")
    search_fields = ("code", "name")


class VillageIncomeInline(admin.TabularInline):
    model = VillageIncome
    extra = 0


@admin.register(Village)
class VillageAdmin(SuperuserOnlyAdmin):
    list_display = ("code", "name", "township", "is_weak_leadership", "is_election_difficult")
    list_filter = ("township", "is_weak_leadership", "is_election_difficult", "is_old_revolutionary")
    search_fields = ("code", "name")
    inlines = [VillageIncomeInline]


@admin.register(Cadre)
class CadreAdmin(SuperuserOnlyAdmin):
    list_display = ("name", "unit", "rank", "is_reserve", "is_key_cultivation")
    list_filter = ("unit", "is_reserve", "is_key_cultivation")
    search_fields = ("name", "id_number")
    raw_id_fields = ("user",)


@admin.register(Post)
class PostAdmin(SuperuserOnlyAdmin):
    """Posts are read here; appointing and ending go through the services so grants stay in step."""

    list_display = ("user", "role", "county", "unit", "township", "started_at", "ended_at")
    list_filter = ("role",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(SuperuserOnlyAdmin):
    """The trail is append-only: nobody edits or deletes it, here or anywhere (R-X1)."""

    list_display = ("seq", "at", "actor_name", "action", "object_repr", "from_state", "to_state")
    list_filter = ("action",)
    search_fields = ("actor_name", "object_repr", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(SuperuserOnlyAdmin):
    """What each scheduled job did and when: read only, for the county IT office."""

    list_display = ("name", "on", "started_at", "finished_at", "summary", "error")
    list_filter = ("name",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
