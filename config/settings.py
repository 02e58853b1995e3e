"""Tandem's one settings module: everything comes from the environment (see .env.example).

With no environment set, Tandem runs embedded: SQLite under var/, Celery tasks run
eagerly in-process, e-mail goes to the console. With DATABASE_URL and REDIS_URL set it
runs in services mode (PostgreSQL, Redis broker and cache, separate Celery workers).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------ mode
DATABASE_URL = env.str("DATABASE_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED = not DATABASE_URL

# ------------------------------------------------------------------ core
DEBUG = env.bool("DJANGO_DEBUG", default=EMBEDDED)
_DEV_SECRET = "embedded-development-key-not-for-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG or EMBEDDED else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off.")
# How many reverse proxies stand in front of Tandem: rate limits then use the client's
# address from X-Forwarded-For instead of the proxy's (0: use the connection's address).
TRUSTED_PROXY_COUNT = env.int("TANDEM_TRUSTED_PROXIES", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

TANDEM_VERSION = "0.1.0"
TANDEM_COMPANY_NAME = env.str("TANDEM_COMPANY_NAME", default="Tandem Demo Oy")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    # third party
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "csp",
    # ours: integration first (the bottom layer), then the domain apps
    "integration",
    "crm",
    "hr",
    "inventory",
    "sales",
    "support",
    "finance",
    # Extra apps, e.g. the test suite's event-bus fixtures (tests.busapp).
    *env.list("TANDEM_EXTRA_APPS", default=[]),
]

MIDDLEWARE = [
    "integration.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "integration.middleware.ActorMiddleware",
    "integration.middleware.PageLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "integration.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "integration.api.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "integration.context_processors.shell",
            ],
        },
    },
]

# ------------------------------------------------------------------ database
if EMBEDDED:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {"default": env.db_url_config(f"sqlite:///{VAR_DIR / 'tandem.sqlite3'}")}
else:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that reads the socket instead of sending
        # SELECT 1 before each request (config/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "config.postgresql"
    # PostgreSQL's parallel workers per query (max_parallel_workers_per_gather), when set.
    # config/wsgi.py sets 0 for the web server: its requests already share every core,
    # and a parallel plan only adds processes that compete with the other requests (a
    # broad search at 1M accounts: p95 2.0 s with them, 1.6 s without, 8 clients).
    _parallel = env.str("TANDEM_DB_PARALLEL_WORKERS", default="")
    # PostgreSQL's JIT compilation of a query's expressions (jit), when set. config/wsgi.py
    # turns it off for the web server: it compiles any query whose estimated cost passes
    # jit_above_cost, a LIMITed page included, and the compiling took 5 ms of an 11 ms
    # query (a one-word account search at 1M accounts) that runs in 6 ms without it.
    _jit = env.str("TANDEM_DB_JIT", default="")
    _options = [f"-c max_parallel_workers_per_gather={int(_parallel)}"] if _parallel else []
    if _jit:
        _options.append(f"-c jit={'on' if env.bool('TANDEM_DB_JIT') else 'off'}")
    if _options:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(_options)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------ cache
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("TANDEM_CACHE_PREFIX", default="tandem"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ------------------------------------------------------------------ auth (django-allauth)
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "integration.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
# Brute-force limit: the 6th wrong password for one account within 5 minutes is refused.
# The key is the account itself (see AccountAdapter), whether named by e-mail or username.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "30/m/ip,5/5m/key",
    "login": env.str("TANDEM_LOGIN_RATE_PER_IP", default="60/m/ip"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env.str("TANDEM_MFA_ISSUER", default="Tandem")
# Roles whose members must enable two-factor authentication before they reach any page
# or the admin. Production default: Admin, Finance, HR; none in the embedded demo.
TANDEM_MFA_REQUIRED_ROLES = env.list(
    "TANDEM_MFA_REQUIRED_ROLES", default=[] if EMBEDDED else ["Admin", "Finance", "HR"]
)

# ------------------------------------------------------------------ i18n
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TANDEM_TIME_ZONE", default="Europe/Helsinki")
# The currency of new accounts and documents unless one is given (ISO 4217).
TANDEM_DEFAULT_CURRENCY = env.str("TANDEM_DEFAULT_CURRENCY", default="EUR")
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------ static files
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("DJANGO_STATIC_MANIFEST", default=False)
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True

# ------------------------------------------------------------------ e-mail
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Tandem <tandem@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ------------------------------------------------------------------ security
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG and not SECURE_SSL_REDIRECT:
    # The operator turned the redirect off on purpose: TLS ends at a proxy in front of
    # Tandem (X-Forwarded-Proto is honoured above) or this is a loopback-only check.
    SILENCED_SYSTEM_CHECKS = ["security.W008"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# ------------------------------------------------------------------ REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integration.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "integration.api.permissions.TokenScopes",
        "integration.api.permissions.ModelPermissions",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "integration.api.throttling.PrincipalRateThrottle",
        "integration.api.throttling.AnonymousRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "principal": env.str("TANDEM_API_RATE", default="1200/min"),
        "anonymous": env.str("TANDEM_API_ANON_RATE", default="60/min"),
        "web_leads": env.str("TANDEM_WEB_LEAD_RATE", default="10/min"),
    },
    "DEFAULT_PAGINATION_CLASS": "integration.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "integration.api.exceptions.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": (
        "Front office and back office in one API. Authenticate with "
        "`Authorization: Bearer <token>` (tokens carry scopes `<app>:read`, `<app>:write` "
        "or `*`) or with a browser session."
    ),
    "VERSION": TANDEM_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several resources have a `status`: name each choice set after its resource.
    "ENUM_NAME_OVERRIDES": {
        "WebhookStatusEnum": "integration.api.webhooks.STATUSES",
        "AccountStatusEnum": "crm.models.Account.Status",
        "LeadStatusEnum": "crm.models.Lead.Status",
        "OpportunityStatusEnum": "crm.models.Opportunity.Status",
        "CampaignStatusEnum": "crm.models.Campaign.Status",
        "CampaignMemberStatusEnum": "crm.models.CampaignMember.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "integration.api.schema.add_error_responses",
    ],
}

# ------------------------------------------------------------------ Celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("TANDEM_CELERY_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("TANDEM_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("TANDEM_TASK_SOFT_TIME_LIMIT", default=240)
# A task not acknowledged within this time is redelivered by Redis; no countdown may exceed it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(timedelta(hours=1).total_seconds()),
    # Publishing gives up on a dead broker at once (the outbox keeps the work) instead
    # of retrying for minutes inside a web request.
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Celery's Django fixup closes the database connection around every task unless this is
# set; config/celery.py instead applies CONN_MAX_AGE/CONN_HEALTH_CHECKS per task, as Django
# does per request (a new PostgreSQL connection per task costs more than a batch of events).
CELERY_DB_REUSE_MAX = 1_000_000

# ------------------------------------------------------------------ event bus
TANDEM_EVENT_MAX_ATTEMPTS = env.int("TANDEM_EVENT_MAX_ATTEMPTS", default=8)
TANDEM_EVENT_POISON_LIMIT = 3  # a delivery whose worker died this many times is dead
TANDEM_EVENT_LEASE_SECONDS = env.int("TANDEM_EVENT_LEASE_SECONDS", default=30)
TANDEM_EVENT_RETRY_BASE_SECONDS = env.float("TANDEM_EVENT_RETRY_BASE_SECONDS", default=2.0)
TANDEM_EVENT_RETRY_MAX_SECONDS = env.float("TANDEM_EVENT_RETRY_MAX_SECONDS", default=900.0)
TANDEM_EVENT_BATCH_SIZE = env.int("TANDEM_EVENT_BATCH_SIZE", default=100)
TANDEM_EVENT_SWEEP_SECONDS = env.float("TANDEM_EVENT_SWEEP_SECONDS", default=2.0)
TANDEM_EVENT_SWEEP_GRACE = timedelta(seconds=2)  # leave fresh ones to their on-commit task
TANDEM_EVENT_SWEEP_LIMIT = 10_000
# Dispatch tasks waiting in their queue at most: each claims its deliveries plus any other
# due ones, and one that claims a full batch queues the next, so more would only pile up.
TANDEM_EVENT_MAX_WAITING = 4
CELERY_TASK_QUEUES = (Queue("celery"), Queue("tandem.dispatch"))  # workers consume both
CELERY_TASK_ROUTES = {"integration.dispatch": {"queue": "tandem.dispatch"}}
CELERY_BEAT_SCHEDULE: dict = {
    "integration.sweep": {"task": "integration.sweep", "schedule": TANDEM_EVENT_SWEEP_SECONDS},
}
# Keep Django's LOGGING (JSON lines with request ids) in worker and beat processes too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# ------------------------------------------------------------------ logging
LOG_LEVEL = env.str("TANDEM_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "integration.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "integration.logging.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": env.str("TANDEM_LOG_FORMAT", default="plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "INFO"},
    },
}

# ------------------------------------------------------------------ idempotent API POSTs
# How long an Idempotency-Key is remembered (its answer replayed); beat purges older ones.
TANDEM_IDEMPOTENCY_TTL_HOURS = env.int("TANDEM_IDEMPOTENCY_TTL_HOURS", default=24)
CELERY_BEAT_SCHEDULE["integration.purge_idempotency_keys"] = {
    "task": "integration.purge_idempotency_keys",
    "schedule": timedelta(hours=1),
}
# Sales: contract renewal reminders (30 days ahead) and overdue quotes marked expired, daily.
CELERY_BEAT_SCHEDULE["sales.remind_contract_renewals"] = {
    "task": "sales.remind_contract_renewals",
    "schedule": timedelta(days=1),
}
CELERY_BEAT_SCHEDULE["inventory.propose_reorders"] = {
    "task": "inventory.propose_reorders",
    "schedule": timedelta(hours=1),
}

# ------------------------------------------------------------------ outbound webhooks
# Seconds one POST to a subscriber may take in all (connect, send, answer) before it fails.
TANDEM_WEBHOOK_TIMEOUT_SECONDS = env.float("TANDEM_WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Retries: about base·2^(n-1) seconds after the n-th failed attempt (with jitter), capped.
TANDEM_WEBHOOK_RETRY_BASE_SECONDS = env.float("TANDEM_WEBHOOK_RETRY_BASE_SECONDS", default=5.0)
TANDEM_WEBHOOK_RETRY_MAX_SECONDS = env.float("TANDEM_WEBHOOK_RETRY_MAX_SECONDS", default=3600.0)
# Attempts of one delivery before it is given up (failed; retryable from admin).
TANDEM_WEBHOOK_MAX_ATTEMPTS = env.int("TANDEM_WEBHOOK_MAX_ATTEMPTS", default=16)
# A subscription is disabled after this many failed attempts in a row (any deliveries)...
TANDEM_WEBHOOK_DISABLE_AFTER = env.int("TANDEM_WEBHOOK_DISABLE_AFTER", default=20)
# ...once it has been failing for at least this long: a short outage during a burst of
# events is retried, not punished.
TANDEM_WEBHOOK_DISABLE_AFTER_SECONDS = env.float(
    "TANDEM_WEBHOOK_DISABLE_AFTER_SECONDS", default=3600.0
)
# Allow URLs on loopback, private, link-local and other non-public addresses (tests, labs).
TANDEM_WEBHOOKS_ALLOW_PRIVATE = env.bool("TANDEM_WEBHOOKS_ALLOW_PRIVATE", default=False)
# How often beat queues webhook deliveries that are due (retries, lost messages).
TANDEM_WEBHOOK_SWEEP_SECONDS = env.float("TANDEM_WEBHOOK_SWEEP_SECONDS", default=2.0)
TANDEM_WEBHOOK_SWEEP_GRACE = timedelta(seconds=2)  # leave fresh ones to their on-commit task
TANDEM_WEBHOOK_BATCH_SIZE = 10  # deliveries one task sends, concurrently
CELERY_BEAT_SCHEDULE["integration.sweep_webhooks"] = {
    "task": "integration.sweep_webhooks",
    "schedule": TANDEM_WEBHOOK_SWEEP_SECONDS,
}
