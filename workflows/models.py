"""The county's tiers (R-O1, R-O2, R-O3), the posts people hold in them, and the audit trail (R-X1)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows import permissions as perms
from workflows.labels import action_label


class User(AbstractUser):
    """A person who signs in; one person may hold several posts and be a cadre too."""

    name = models.CharField(_("姓名"), max_length=50, blank=True)
    #: A post holder's ID number, to find the person when appointing; a cadre's is on the cadre record.
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, default="")
    #: Set when the password was set by someone else (an administrator, the demo): the next sign-in asks for a new one.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="user_id_number_unique_when_given"
            )
        ]

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

    def __str__(self) -> str:
        return self.name or self.username


class County(models.Model):
    """A county (县/区) with one organisation department (R-O1)."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    tier_paths = {"county": "pk"}

    class Meta:
        verbose_name = _("县")
        verbose_name_plural = _("县")
        permissions = [
            (perms.VIEW_COUNTY, _("查看全县记录")),
            (perms.COORDINATE_COUNTY, _("统筹全县选派工作(组织部)")),
            (perms.REVIEW_AUDIT, _("审阅审计记录")),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A county-level unit (县直单位) that sends cadres (R-O1, R-O2)."""

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="units", verbose_name=_("县"))
    code = models.CharField(_("单位代码"), max_length=20, unique=True)
    name = models.CharField(_("单位名称"), max_length=80)

    tier_paths = {"unit": "pk", "county": "county_id"}

    class Meta:
        verbose_name = _("县直单位")
        verbose_name_plural = _("县直单位")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="unit_name_unique_in_county")]
        permissions = [
            (perms.VIEW_UNIT, _("查看本单位记录")),
            (perms.NOMINATE_CADRES, _("推荐本单位干部")),
            (perms.APPROVE_NOMINATIONS, _("审批本单位推荐")),
            (perms.APPRAISE_AS_UNIT, _("考评本单位驻村干部")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:unit:detail", args=[self.pk])


class Township(models.Model):
    """A township (镇) or sub-district (街道), run by its party committee (R-O1)."""

    class Kind(models.TextChoices):
        TOWN = "town", _("镇")
        TOWNSHIP = "township", _("乡")
        SUBDISTRICT = "subdistrict", _("街道")

    county = models.ForeignKey(County, on_delete=models.PROTECT, related_name="townships", verbose_name=_("县"))
    code = models.CharField(_("乡镇代码"), max_length=20, unique=True)
    name = models.CharField(_("乡镇名称"), max_length=50)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.TOWN)

    tier_paths = {"township": "pk", "county": "county_id"}

    class Meta:
        verbose_name = _("乡镇(街道)")
        verbose_name_plural = _("乡镇(街道)")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["county", "name"], name="township_name_unique_in_county")]
        permissions = [
            (perms.VIEW_TOWNSHIP, _("查看本乡镇记录")),
            (perms.MANAGE_STATIONED, _("管理驻本乡镇干部")),
            (perms.DECIDE_LEAVE, _("审批驻本乡镇干部请假")),
            (perms.APPRAISE_AS_TOWNSHIP, _("考评驻本乡镇干部、组织村民评议")),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:township:detail", args=[self.pk])


class VillageCategory(models.TextChoices):
    """Categories of village that decide where cadres must go (R-O3, R-S6)."""

    WEAK_LEADERSHIP = "weak_leadership", _("班子软弱涣散村")
    ECONOMICALLY_WEAK = "economically_weak", _("经济薄弱村")
    ELECTION_DIFFICULT = "election_difficult", _("换届选举重难点村")
    OLD_REVOLUTIONARY = "old_revolutionary", _("原革命老区村")
    ETHNIC_MINORITY = "ethnic_minority", _("少数民族村")
    EMPTY_SHELL = "empty_shell", _("空壳村")


class Village(models.Model):
    """An administrative village (行政村) in exactly one township (R-O1, R-O3)."""

    township = models.ForeignKey(
        Township, on_delete=models.PROTECT, related_name="villages", verbose_name=_("所属乡镇")
    )
    code = models.CharField(_("村代码"), max_length=20, unique=True)
    name = models.CharField(_("村名称"), max_length=50)
    is_weak_leadership = models.BooleanField(_("班子软弱涣散"), default=False)
    is_election_difficult = models.BooleanField(_("换届选举重难点"), default=False)
    is_old_revolutionary = models.BooleanField(_("原革命老区"), default=False)
    is_ethnic_minority = models.BooleanField(_("少数民族村"), default=False)

    tier_paths = {"township": "township_id", "county": "township__county_id"}

    class Meta:
        verbose_name = _("行政村")
        verbose_name_plural = _("行政村")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["township", "name"], name="village_name_unique_in_township")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:village:detail", args=[self.pk])

    def recorded_categories(self) -> list[VillageCategory]:
        flags = [
            (self.is_weak_leadership, VillageCategory.WEAK_LEADERSHIP),
            (self.is_election_difficult, VillageCategory.ELECTION_DIFFICULT),
            (self.is_old_revolutionary, VillageCategory.OLD_REVOLUTIONARY),
            (self.is_ethnic_minority, VillageCategory.ETHNIC_MINORITY),
        ]
        return [category for flag, category in flags if flag]

    def categories(self, own_income: Decimal | None = None) -> list[VillageCategory]:
        """Return recorded and income-derived categories; pass the income to avoid a query."""
        if own_income is None:
            own_income = getattr(self, "latest_own_income", None)
        if own_income is None:
            latest = self.incomes.order_by("-year").first()
            own_income = latest.own_income if latest else None
        return self.recorded_categories() + income_categories(own_income)


def income_categories(own_income: Decimal | None) -> list[VillageCategory]:
    """Derive the economic categories from a year's own collective income (R-O3)."""
    if own_income is None:
        return []
    result = []
    if own_income < settings.POLICY["ECONOMICALLY_WEAK_INCOME_YUAN"]:
        result.append(VillageCategory.ECONOMICALLY_WEAK)
    if own_income <= 0:
        result.append(VillageCategory.EMPTY_SHELL)
    return result


class VillageIncome(models.Model):
    """A village's collective income for one year; its categories are derived from it (R-O3)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("村"))
    year = models.PositiveSmallIntegerField(_("年度"))
    total_income = models.DecimalField(_("村集体收入(元)"), max_digits=14, decimal_places=2)
    subsidies = models.DecimalField(_("其中上级补助(元)"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("村集体收入")
        verbose_name_plural = _("村集体收入")
        ordering = ["village", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="one_income_per_village_year"),
            models.CheckConstraint(condition=Q(subsidies__gte=0), name="subsidies_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.year}"

    @property
    def own_income(self) -> Decimal:
        return self.total_income - self.subsidies


class Rank(models.TextChoices):
    """A cadre's rank (职级)."""

    STAFF = "staff", _("科员")
    SECTION_DEPUTY = "section_deputy", _("副科级")
    SECTION_CHIEF = "section_chief", _("正科级")
    LEVEL4_PRINCIPAL = "level4_principal", _("四级主任科员")
    LEVEL1_STAFF = "level1_staff", _("一级科员")
    OTHER = "other", _("其他")


class Cadre(models.Model):
    """A cadre (干部) of one unit (R-O2), who may be selected for stationing."""

    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cadre", verbose_name=_("账号")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cadres", verbose_name=_("所属单位"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    rank = models.CharField(_("职级"), max_length=20, choices=Rank.choices, default=Rank.STAFF)
    post_title = models.CharField(_("职务"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    is_party_member = models.BooleanField(_("中共党员"), default=True)
    is_reserve = models.BooleanField(_("后备干部"), default=False)
    is_key_cultivation = models.BooleanField(_("重点培养"), default=False)

    tier_paths = {"unit": "unit_id", "county": "unit__county_id", "owner": "user_id"}

    class Meta:
        verbose_name = _("干部")
        verbose_name_plural = _("干部")
        # Reserve and key-cultivation cadres come first in every list (R-S3).
        ordering = ["-is_reserve", "-is_key_cultivation", "unit", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:cadre:detail", args=[self.pk])


class Role(models.TextChoices):
    """The posts that carry permissions, each held on one tier object (R-O4)."""

    ORG_DEPT = "org_dept", _("县委组织部")
    AUDITOR = "auditor", _("审计员")
    UNIT_HEAD = "unit_head", _("单位主要领导")
    UNIT_DEPUTY = "unit_deputy", _("单位分管领导")
    TOWNSHIP_COMMITTEE = "township_committee", _("乡镇党委")


#: Which tier each role is held on.
ROLE_TIER = {
    Role.ORG_DEPT: "county",
    Role.AUDITOR: "county",
    Role.UNIT_HEAD: "unit",
    Role.UNIT_DEPUTY: "unit",
    Role.TOWNSHIP_COMMITTEE: "township",
}


class ActivePostQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class Post(models.Model):
    """A person's post on a tier; holding it grants the tier's permissions (R-O2, R-O4)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts", verbose_name=_("人员")
    )
    role = models.CharField(_("职务"), max_length=24, choices=Role.choices)
    county = models.ForeignKey(County, on_delete=models.PROTECT, null=True, blank=True, related_name="posts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="posts")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, null=True, blank=True, related_name="posts")
    title = models.CharField(_("职务名称"), max_length=50, blank=True)
    started_at = models.DateTimeField(_("任职时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("免职时间"), null=True, blank=True)

    objects = ActivePostQuerySet.as_manager()

    class Meta:
        verbose_name = _("任职")
        verbose_name_plural = _("任职")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                name="post_on_its_tier",
                condition=(
                    Q(role__in=["org_dept", "auditor"], county__isnull=False, unit__isnull=True, township__isnull=True)
                    | Q(
                        role__in=["unit_head", "unit_deputy"],
                        unit__isnull=False,
                        county__isnull=True,
                        township__isnull=True,
                    )
                    | Q(role="township_committee", township__isnull=False, county__isnull=True, unit__isnull=True)
                ),
            ),
            # One head and exactly one deputy in charge per unit at a time (R-O2).
            models.UniqueConstraint(
                fields=["unit", "role"],
                condition=Q(ended_at__isnull=True, role__in=["unit_head", "unit_deputy"]),
                name="one_active_head_and_deputy_per_unit",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "county"],
                condition=Q(ended_at__isnull=True, county__isnull=False),
                name="no_duplicate_active_county_post",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(ended_at__isnull=True, unit__isnull=False),
                name="no_duplicate_active_unit_post",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "township"],
                condition=Q(ended_at__isnull=True, township__isnull=False),
                name="no_duplicate_active_township_post",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.tier}"

    @property
    def tier(self) -> County | Unit | Township:
        return getattr(self, ROLE_TIER[Role(self.role)])

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class AuditEvent(models.Model):
    """One append-only entry of the audit trail, hash-chained to the one before (R-X1)."""

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间(UTC)"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    county = models.ForeignKey(County, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    township = models.ForeignKey(Township, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_state = models.CharField(_("原状态"), max_length=40, blank=True)
    to_state = models.CharField(_("新状态"), max_length=40, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["seq"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"

    @property
    def actor_display(self) -> str:
        return self.actor_name or str(_("系统"))

    @property
    def action_label(self) -> str:
        return action_label(self.action)


class ActivationCode(models.Model):
    """A one-time code with which a person sets their own password (R-X1); only its digest is kept."""

    class Purpose(models.TextChoices):
        ACTIVATE = "activate", _("账号激活")
        RESET = "reset", _("密码重置")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activation_codes", verbose_name=_("账号")
    )
    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices, default=Purpose.ACTIVATE)
    digest = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    #: A newer code for the same account voids this one.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("激活码")
        verbose_name_plural = _("激活码")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="one_open_activation_code_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_purpose_display()}"


class ImportUpload(models.Model):
    """A county workbook uploaded in the browser, kept between its preview and its confirmation (R-X1)."""

    county = models.ForeignKey(
        County, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("县")
    )
    #: For a superuser's first import: the county the file creates.
    county_code = models.CharField(_("县代码"), max_length=20, blank=True)
    county_name = models.CharField(_("县名称"), max_length=50, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    file_name = models.CharField(_("文件名"), max_length=200)
    data = models.BinaryField(_("文件内容"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("确认导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入文件")
        verbose_name_plural = _("导入文件")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.file_name


class Notification(models.Model):
    """A message to one person about their work, linking to the task or record (issue 13)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("收件人")
    )
    #: What happened, a short code (``leave_submitted``, ``task_reminder``, ``task_escalated`` …).
    kind = models.CharField(_("类别"), max_length=40)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    #: Sends of the same event to the same person collapse on this key (a reminder once per task and deadline).
    key = models.CharField(_("去重键"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~Q(key=""), name="notification_once_per_key")
        ]

    def __str__(self) -> str:
        return self.title


class JobRun(models.Model):
    """One run of a scheduled job, by the worker, cron or by hand: when it ran and what it did."""

    name = models.CharField(_("任务"), max_length=60)
    on = models.DateField(_("日期"))
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    summary = models.TextField(_("结果"), blank=True)
    #: Empty when the run succeeded; else the error's class and message.
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("定时任务运行")
        verbose_name_plural = _("定时任务运行")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} {self.on.isoformat()}"
