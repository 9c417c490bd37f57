"""Settings for the village-stationed cadre system, driven by environment variables."""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_filters",
    "guardian",
    "viewflow",
    "viewflow.workflow",
    "workflows",
    "dispatch",
    "leave",
    "appraisal",
    "overview",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the process itself, compressed and cached for a year (no CDN, no separate server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workflows.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "workflows.middleware.RequestContextMiddleware",
    "workflows.middleware.PasswordChangeRequiredMiddleware",
    "project.middleware.NoStoreDownloadsMiddleware",
    # Turns a locked-out sign-in into the lockout page (django-axes).
    "axes.middleware.AxesMiddleware",
    # viewflow's, named here so that they come before the write transaction, which calls the view itself from its
    # process_view: the site and the area must be set on the request before then, or a page drawn in answer to a
    # POST (a form sent back with its errors) loses the site's frame. viewflow appends them last otherwise.
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    # Last, so that it wraps the view alone: each writing request in one transaction, retried on a conflict.
    "project.middleware.WriteTransactionMiddleware",
]

ROOT_URLCONF = "project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "project.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a busy writer instead of failing at once; serialise writers from the start.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "workflows.User"

AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its account and address are locked out, before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian anonymous user: anonymous visitors hold no permission anywhere.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    # Not like the person's account, name or ID number.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "name", "id_number", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles"
# Our own static files (vendored chart library); served from the project, never from a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production `collectstatic` writes hashed, compressed copies that whitenoise serves with a year's cache.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "project.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A session ends after this many minutes without a request, and when the browser closes.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# A session in use is written again (its expiry pushed on) at most once a minute: workflows.middleware.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# ---------------------------------------------------------------------------------------------
# Behind HTTPS (production): the proxy terminates TLS and says so in X-Forwarded-Proto.
# ---------------------------------------------------------------------------------------------
if env_bool("BEHIND_HTTPS_PROXY", default=not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The health check the proxy or systemd asks over plain HTTP on the machine itself.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading binds the whole domain to HTTPS in browsers for good: the domain's owner decides it, not this code.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
X_FRAME_OPTIONS = "DENY"

# Content security policy (django-csp): scripts, styles, fonts and images from the site itself only. Inline
# styles are allowed (viewflow's components set them); inline scripts are not: every script is a file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# ---------------------------------------------------------------------------------------------
# Sign-in lockout (django-axes): failures are counted per account AND address, so that someone elsewhere
# typing a named user's account cannot lock that user out; the org dept sees lockouts and lifts them.
# ---------------------------------------------------------------------------------------------
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "workflows.addresses.lockout_address"
AXES_LOCKOUT_CALLABLE = "workflows.views.lockouts.locked_out"
AXES_VERBOSE = False

# One-time activation and reset codes (管理 → 账号与激活码; workflows/accounts.py): days a code stays valid, the key of
# the digests kept of them, and wrong codes an address may enter per window on /accounts/activate/ before it waits.
ACTIVATION_CODE_DAYS = int(os.environ.get("ACTIVATION_CODE_DAYS", "14"))
ACTIVATION_CODE_KEY = os.environ.get("ACTIVATION_CODE_KEY", SECRET_KEY)
ACTIVATION_WRONG_ATTEMPTS_FREE = int(os.environ.get("ACTIVATION_WRONG_ATTEMPTS_FREE", "10"))
ACTIVATION_WRONG_ATTEMPTS_WINDOW_SECONDS = int(os.environ.get("ACTIVATION_WRONG_ATTEMPTS_WINDOW_SECONDS", "900"))

# Key for the audit trail's hash chain (R-X1). Keep it out of the database so that whoever can
# write rows behind the application's back still cannot forge a chain that verifies.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", SECRET_KEY)

# Writing requests (POST, PUT, PATCH, DELETE) run in one transaction that takes the audit chain's lock first
# (project.middleware; ATOMIC_REQUESTS stays off, the middleware does its work). A request that still meets a
# deadlock or a serialization failure is run again, up to this many times in all, pausing this long times the
# attempt number in between; then the user is asked to try again (503), with nothing written.
DB_CONFLICT_ATTEMPTS = int(os.environ.get("DB_CONFLICT_ATTEMPTS", "3"))
DB_CONFLICT_PAUSE_SECONDS = float(os.environ.get("DB_CONFLICT_PAUSE_SECONDS", "0.05"))
# A refusal repeated by the same user on the same object within this many seconds is not audited again.
AUDIT_REFUSAL_REPEAT_SECONDS = int(os.environ.get("AUDIT_REFUSAL_REPEAT_SECONDS", "600"))
# The most bytes one import of a county's workbook takes, all its files together (管理 → 导入基础数据).
COUNTY_IMPORT_MAX_BYTES = int(os.environ.get("COUNTY_IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
# Days an uploaded workbook's file (names, ID numbers, phones) is kept before `prune_uploads` clears it.
IMPORT_UPLOAD_KEEP_DAYS = int(os.environ.get("IMPORT_UPLOAD_KEEP_DAYS", "30"))
# Years a date, month or year typed into a page or a query string may name; outside them the page says so.
INPUT_YEAR_MIN = int(os.environ.get("INPUT_YEAR_MIN", "2000"))
INPUT_YEAR_MAX = int(os.environ.get("INPUT_YEAR_MAX", "2100"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# ---------------------------------------------------------------------------------------------
# Policy: every number the rules leave to local choice (../shared/RULES.md). The defaults are the
# seed's; other counties and provinces change them here, never in code. Each may be overridden by
# an environment variable POLICY_<NAME>. Changes are written to the audit trail on `migrate`.
# ---------------------------------------------------------------------------------------------
POLICY_DEFAULTS = {
    # R-O3: a village whose own collective income (after subsidies from above) is below this, in
    # yuan a year, is economically weak; zero own income makes it an empty shell.
    "ECONOMICALLY_WEAK_INCOME_YUAN": 30000,
    # R-S5: years a unit that missed its quota is barred from the two awards.
    "QUOTA_SANCTION_YEARS": 3,
    # R-S6 / issue 3: may one nomination round send two cadres to the same village?
    "ALLOW_TWO_CADRES_PER_VILLAGE_PER_ROUND": False,
    # R-S7: length of the stationing term, in months from the day of stationing.
    "TERM_MONTHS": 12,
    # R-M1: days in the village required per term-year and per month (holidays aside).
    "MIN_DAYS_IN_VILLAGE_PER_YEAR": 250,
    "MIN_DAYS_IN_VILLAGE_PER_MONTH": 22,
    # R-M2: leave of up to this many days is decided by the township; longer by the org dept.
    "LEAVE_TOWNSHIP_MAX_DAYS": 3,
    # R-M4: villages per work group.
    "WORK_GROUP_MIN_VILLAGES": 2,
    "WORK_GROUP_MAX_VILLAGES": 3,
    # R-M5: unit head visits per term; the deputy in charge visits once per this many months.
    "UNIT_HEAD_MIN_VISITS_PER_TERM": 1,
    "DEPUTY_VISIT_INTERVAL_MONTHS": 6,
    # R-M5: a visit window closing within this many days without a visit is flagged as due.
    "VISIT_WARNING_DAYS": 30,
    # R-A2: weights (percent) of the township score, the unit score and the villagers' votes.
    "APPRAISAL_WEIGHT_TOWNSHIP": 40,
    "APPRAISAL_WEIGHT_UNIT": 30,
    "APPRAISAL_WEIGHT_VILLAGERS": 30,
    # R-A2: lowest combined score for each grade.
    "GRADE_MIN_EXCELLENT": 90,
    "GRADE_MIN_COMPETENT": 75,
    "GRADE_MIN_BASICALLY_COMPETENT": 60,
    # R-A2: what one villager vote of each grade is worth, on a 0-100 scale.
    "VOTE_SCORE_EXCELLENT": 100,
    "VOTE_SCORE_COMPETENT": 80,
    "VOTE_SCORE_BASICALLY_COMPETENT": 60,
    "VOTE_SCORE_INCOMPETENT": 0,
    # R-A2a: unexcused absences that cap the grade.
    "ABSENCES_CAP_NOT_EXCELLENT": 1,
    "ABSENCES_CAP_BASICALLY_COMPETENT": 2,
    "ABSENCES_CAP_INCOMPETENT": 3,
    # R-A2a: cap on the share (percent) of excellent grades per round and cadre category; 0 is off.
    "EXCELLENT_SHARE_CAP_PERCENT": 0,
    # R-A3: years an incompetent grade bars promotion.
    "NO_PROMOTION_YEARS_AFTER_INCOMPETENT": 3,
    # R-A4: years of stationing that provincial and city organs expect of civil servants they select.
    "STATIONING_EXPERIENCE_YEARS_EXPECTED": 1,
    # R-A5: most ballot codes issued for one village at a time.
    "BALLOT_CODES_MAX_PER_ISSUE": 500,
    # R-A5: most voters a village has (the model keeps no electorate per village): no cadre's votes, online
    # and on paper together, nor one paper session's ballots, may exceed it.
    "VILLAGE_VOTERS_MAX": 5000,
}


def _policy_from_env() -> dict:
    policy = dict(POLICY_DEFAULTS)
    for name, default in POLICY_DEFAULTS.items():
        raw = os.environ.get(f"POLICY_{name}")
        if raw is None:
            continue
        try:
            policy[name] = env_bool(f"POLICY_{name}") if isinstance(default, bool) else int(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(f"POLICY_{name} must be a whole number, got {raw!r}") from exc
    weights = ("APPRAISAL_WEIGHT_TOWNSHIP", "APPRAISAL_WEIGHT_UNIT", "APPRAISAL_WEIGHT_VILLAGERS")
    if sum(policy[w] for w in weights) != 100:
        raise ImproperlyConfigured("The three appraisal weights must add up to 100.")
    return policy


POLICY = _policy_from_env()

# The flows whose human tasks appear in each user's to-do list on the home page.
WORKFLOW_FLOWS = [
    "dispatch.flows.DispatchFlow",
    "dispatch.flows.RecallFlow",
    "leave.flows.LeaveFlow",
    "appraisal.flows.AppraisalFlow",
]

# ---------------------------------------------------------------------------------------------
# The villagers' public ballot page (R-A5).
# ---------------------------------------------------------------------------------------------
# Key from which ballot codes are derived (so a sheet can be reprinted); only their digests are stored.
BALLOT_CODE_KEY = os.environ.get("BALLOT_CODE_KEY", SECRET_KEY)
# Wrong (unknown, used or closed) codes slow down the address they come from; a valid unused code is never
# refused. A village votes from one network, so the free allowance is sized for a whole village meeting's
# typing slips: this many wrong codes per window are answered at once, then each further one makes the
# address wait, the first wait doubling with every wrong code up to the longest (appraisal/throttle.py).
BALLOT_WRONG_CODES_FREE = int(os.environ.get("BALLOT_WRONG_CODES_FREE", "100"))
BALLOT_WRONG_CODES_WINDOW_SECONDS = int(os.environ.get("BALLOT_WRONG_CODES_WINDOW_SECONDS", "3600"))
BALLOT_WRONG_CODES_FIRST_WAIT_SECONDS = int(os.environ.get("BALLOT_WRONG_CODES_FIRST_WAIT_SECONDS", "5"))
BALLOT_WRONG_CODES_MAX_WAIT_SECONDS = int(os.environ.get("BALLOT_WRONG_CODES_MAX_WAIT_SECONDS", "120"))
# The address printed on ballot slips and encoded in their QR codes, e.g. https://zzb.example.gov.cn;
# empty means the address the sheet was printed from.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
# Behind a reverse proxy, the header that carries the client's address (e.g. HTTP_X_REAL_IP).
RATELIMIT_IP_META_KEY = os.environ.get("RATELIMIT_IP_META_KEY") or None
# The cache holds the ballot page's wrong-code counters: in production it must be shared by every
# worker process (Redis), or each process would allow the allowance on its own.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    if os.environ.get("REDIS_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Scheduled jobs on Celery (issue 13): Redis is the broker; without one, cron runs `manage.py run_job`.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "memory://"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# For checks only: run every job every so many seconds instead of at its time of day.
JOBS_EVERY_SECONDS = int(os.environ.get("JOBS_EVERY_SECONDS", "0")) or None
# A CJK font for PDFs (ballot sheets, certificates); by default Debian's fonts-noto-cjk.
PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH") or None
