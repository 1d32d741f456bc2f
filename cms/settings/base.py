"""Masthead settings: one module, driven by the environment.

The embedded default (no variables set) is SQLite, an in-process cache, Celery tasks run eagerly and email to the
console: `make run` needs no server at all. Production sets DEBUG=0, SECRET_KEY, DATABASE_URL, REDIS_URL and
friends; see `.env.example` for every variable.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET = "django-insecure-masthead-embedded-default-not-for-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: /api/docs/ and /api/redoc/ need no CDN
    "graphene_django",
    "simple_history",
    "django_prose_editor",
    "cms.core",
    "accounts",
    "articles",
    "comments",
    "cms.webhooks",
    "paywall",
    "cms.ghost.apps.GhostConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # per request: the content generation it read, which validates the paywall's process-local values
    "cms.core.caching.ContentGenerationScope",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
_POSTGRESQL = "django.db.backends.postgresql"  # the same, with a health check that costs no round trip
_POSTGRESQL_NO_ROUND_TRIP = "cms.core.db.postgresql"
if DATABASES["default"]["ENGINE"] == _POSTGRESQL:
    DATABASES["default"]["ENGINE"] = _POSTGRESQL_NO_ROUND_TRIP
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so the meter's read-check-write is serialised on SQLite
    # exactly as SELECT ... FOR UPDATE serialises it on PostgreSQL.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if env.str("DATABASE_REPLICA_URL", default=""):
    # Read replica: public API reads of content go there (cms/db_router.py); meter, accounts and writes stay primary.
    _replica = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"] = {
        **_replica,
        "ENGINE": _POSTGRESQL_NO_ROUND_TRIP if _replica["ENGINE"] == _POSTGRESQL else _replica["ENGINE"],
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["cms.db_router.PrimaryReplicaRouter"]
    MIDDLEWARE = [*MIDDLEWARE, "cms.db_router.ReplicaReadsMiddleware"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -------------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "cms.core.cache.TolerantRedisCache",  # an outage is a miss, not a 500
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mh",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "masthead"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
# Eager only in the embedded default: without a broker URL, tasks run in-process at enqueue time.
_HAS_BROKER = bool(REDIS_URL or env.str("CELERY_BROKER_URL", default=""))
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not _HAS_BROKER)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = False  # opted in per task, only for idempotent tasks
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = env.str("TIME_ZONE", default="America/New_York")
CELERY_BEAT_SCHEDULE = {
    "articles.publish_scheduled": {"task": "articles.publish_scheduled", "schedule": 60.0},
    # Local midnight in the publisher's zone (CELERY_TIMEZONE = TIME_ZONE); a few minutes later as a safety net.
    "paywall.meter_reset": {"task": "paywall.meter_reset", "schedule": crontab(minute="0,15", hour="0")},
    # The meter distribution of the finished periods (the revenue desk's), after the reset; long before the purge.
    "paywall.meter_usage_close": {"task": "paywall.meter_usage_close", "schedule": crontab(minute="5,20", hour="0")},
    "paywall.subscription_sweep": {"task": "paywall.subscription_sweep", "schedule": crontab(minute="*/10")},
    "articles.comment_digest": {"task": "articles.comment_digest", "schedule": crontab(minute=0, hour=7)},
    "accounts.tokens_flush": {"task": "accounts.tokens_flush", "schedule": crontab(minute=30, hour=3)},
    "core.email_sweep": {"task": "core.email_sweep", "schedule": 300.0},
    "articles.webhook_sweep": {"task": "articles.webhook_sweep", "schedule": 300.0},
    # The funnel's daily aggregates: today's figures are at most five minutes old.
    "paywall.funnel_rollup": {"task": "paywall.funnel_rollup", "schedule": 300.0},
}
# The outbox sweep: an email still pending after this long has lost its task (its retries take under a minute)...
EMAIL_SWEEP_AFTER_SECONDS = env.int("EMAIL_SWEEP_AFTER_SECONDS", default=15 * 60)
# ...and one still pending after this long is marked failed instead of arriving days late.
EMAIL_GIVE_UP_AFTER_SECONDS = env.int("EMAIL_GIVE_UP_AFTER_SECONDS", default=24 * 60 * 60)

# --- Auth -------------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": True,
}

# --- Internationalisation ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))  # where collectstatic writes
STATICFILES_DIRS = [BASE_DIR / "cms" / "static"]  # GraphiQL's vendored assets (cms/static/vendor/graphiql/README.md)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
SITE_NAME = env.str("SITE_NAME", default="SOFREP")
# The start of absolute URLs in answers (cms.core.links.site_base); empty: the request's own scheme and host.
SITE_URL = env.str("SITE_URL", default="")

# --- Email ------------------------------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Masthead <no-reply@masthead.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST framework ---------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.backends.JWTAuthentication",  # simplejwt's, with a cheaper user lookup
        "rest_framework.authentication.SessionAuthentication",
        "accounts.backends.ApiKeyAuthentication",  # server-side frontends; never a reader
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "cms.api.schema.MastheadAutoSchema",
    "EXCEPTION_HANDLER": "cms.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttling.ApiKeyRateThrottle",  # the "apikey" rate for X-Api-Key requests
        "accounts.throttling.AnonRateThrottle",  # DRF's, keyed by the client address behind TRUSTED_PROXIES;
        "accounts.throttling.UserRateThrottle",  # both skip requests carrying a valid API key
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="600/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
        "login": env.str("THROTTLE_LOGIN", default="20/min"),
        "register": env.str("THROTTLE_REGISTER", default="10/hour"),
        "apikey": env.str("THROTTLE_APIKEY", default="10000/min"),
        "search": env.str("THROTTLE_SEARCH", default="60/min"),  # full-text searches that miss the page cache
        "ghost": env.str("THROTTLE_GHOST", default="600/min"),  # the Ghost Content API, per client address
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Masthead API",
    "DESCRIPTION": "Headless CMS for subscription news publishers: content, readers, paywall, subscriptions, comments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # served from our static files (drf-spectacular-sidecar), pinned by the lock, not from a CDN at @latest
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # drf-spectacular's default, plus no badge fetched from the public Swagger validator
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- GraphQL ----------------------------------------------------------------------------------------------------------
GRAPHENE = {"SCHEMA": "cms.schema.schema", "ATOMIC_MUTATIONS": True}
GRAPHQL_MAX_DEPTH = env.int("GRAPHQL_MAX_DEPTH", default=10)
GRAPHQL_MAX_ALIASES = env.int("GRAPHQL_MAX_ALIASES", default=15)
GRAPHQL_MAX_QUERY_BYTES = env.int("GRAPHQL_MAX_QUERY_BYTES", default=100_000)
GRAPHQL_MAX_FIRST = 100

# --- CORS / security --------------------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000"] if DEBUG else [])
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^(?!/ghost/).*$"  # the Ghost Content API sends its own CORS headers (any origin, no credentials)
CORS_EXPOSE_HEADERS = ["X-Reader-Token", "ETag", "Retry-After"]
from corsheaders.defaults import default_headers  # noqa: E402

CORS_ALLOW_HEADERS = (*default_headers, "x-reader-token", "idempotency-key", "x-api-key")

if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$", r"^readyz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Billing ----------------------------------------------------------------------------------------------------------
BILLING_PROVIDER = env.str("BILLING_PROVIDER", default="dev")
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=3)
# App Store (StoreKit 2): enabled when APP_STORE_BUNDLE_ID is set. docs/billing.md
APP_STORE_BUNDLE_ID = env.str("APP_STORE_BUNDLE_ID", default="")
APP_STORE_APP_APPLE_ID = env.int("APP_STORE_APP_APPLE_ID", default=None)
APP_STORE_ENVIRONMENT = env.str("APP_STORE_ENVIRONMENT", default="Production")
APP_STORE_ROOT_CERTIFICATES = env.list("APP_STORE_ROOT_CERTIFICATES", default=[])
APP_STORE_ONLINE_CHECKS = env.bool("APP_STORE_ONLINE_CHECKS", default=True)
APP_STORE_ISSUER_ID = env.str("APP_STORE_ISSUER_ID", default="")
APP_STORE_KEY_ID = env.str("APP_STORE_KEY_ID", default="")
APP_STORE_PRIVATE_KEY_PATH = env.str("APP_STORE_PRIVATE_KEY_PATH", default="")
APP_STORE_API_BASE = env.str("APP_STORE_API_BASE", default="")
# Google Play: enabled when GOOGLE_PLAY_PACKAGE_NAME is set. docs/billing.md
GOOGLE_PLAY_PACKAGE_NAME = env.str("GOOGLE_PLAY_PACKAGE_NAME", default="")
GOOGLE_PLAY_SERVICE_ACCOUNT_FILE = env.str("GOOGLE_PLAY_SERVICE_ACCOUNT_FILE", default="")
GOOGLE_PLAY_API_BASE = env.str("GOOGLE_PLAY_API_BASE", default="https://androidpublisher.googleapis.com")
GOOGLE_PUBSUB_AUDIENCE = env.str("GOOGLE_PUBSUB_AUDIENCE", default="")
GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL = env.str("GOOGLE_PUBSUB_SERVICE_ACCOUNT_EMAIL", default="")
GOOGLE_OIDC_CERTS_URL = env.str("GOOGLE_OIDC_CERTS_URL", default="https://www.googleapis.com/oauth2/v1/certs")

# --- Paywall ----------------------------------------------------------------------------------------------------------
PAYWALL_ANONYMOUS_DAILY_LIMIT = env.int("PAYWALL_ANONYMOUS_DAILY_LIMIT", default=3)
PAYWALL_REGISTERED_DAILY_LIMIT = env.int("PAYWALL_REGISTERED_DAILY_LIMIT", default=5)
# Database time one full-text search may take (ms, PostgreSQL; 0 = unlimited): longer ones answer 503 search_timeout.
SEARCH_STATEMENT_TIMEOUT_MS = env.int("SEARCH_STATEMENT_TIMEOUT_MS", default=90.0)
# Search (articles/search.py, docs/search.md). `auto`: RUM when its index exists, else GIN; `gin` forces the fallback.
SEARCH_METHOD = env.str("SEARCH_METHOD", default="auto")
if SEARCH_METHOD not in ("auto", "gin"):
    raise ImproperlyConfigured("SEARCH_METHOD must be 'auto' or 'gin'.")
# Recency in relevance order: an article this many days newer scores as if twice as relevant (0 = relevance only).
SEARCH_RECENCY_HALF_LIFE_DAYS = env.float("SEARCH_RECENCY_HALF_LIFE_DAYS", default=90.0)
# RUM method: how many of the newest matches (from the index) are scored in relevance order.
SEARCH_CANDIDATES = env.int("SEARCH_CANDIDATES", default=500)
PAYWALL_METER_RETENTION_DAYS = env.int("PAYWALL_METER_RETENTION_DAYS", default=30)
# Raw funnel events (paywall.FunnelEvent) are purged after this many days; the daily aggregates stay.
ANALYTICS_RETENTION_DAYS = env.int("ANALYTICS_RETENTION_DAYS", default=90)
# The detail path's funnel events are buffered per process and written in batches (paywall/services/funnel_buffer.py):
# at most this many events, at most this many seconds old. 1 writes each event at once.
ANALYTICS_BUFFER_SIZE = env.int("ANALYTICS_BUFFER_SIZE", default=200)
ANALYTICS_BUFFER_SECONDS = env.float("ANALYTICS_BUFFER_SECONDS", default=2.0)
# Off trades durability for throughput: a PostgreSQL crash may forget the counted reads of its last ~0.6 s (those
# readers get one more free article); see docs/deploy.md. On by default.
PAYWALL_METER_SYNCHRONOUS_COMMIT = env.bool("PAYWALL_METER_SYNCHRONOUS_COMMIT", default=True)
PAYWALL_READER_TOKEN_MAX_AGE_DAYS = env.int("PAYWALL_READER_TOKEN_MAX_AGE_DAYS", default=365)
PAYWALL_TRIAL_DAYS = env.int("PAYWALL_TRIAL_DAYS", default=14)
PAYWALL_LOGIN_URL = env.str("PAYWALL_LOGIN_URL", default="/login")
PAYWALL_SUBSCRIBE_URL = env.str("PAYWALL_SUBSCRIBE_URL", default="/subscribe")
# Gift links (paywall/services/gifts.py): links a subscriber may create per calendar month (TIME_ZONE), how many days
# one stays valid, how many distinct recipients it opens for, and whether readers on a trial may give.
GIFT_LINKS_PER_MONTH = env.int("GIFT_LINKS_PER_MONTH", default=10)
GIFT_LINK_DAYS = env.int("GIFT_LINK_DAYS", default=14)
GIFT_LINK_REDEMPTIONS = env.int("GIFT_LINK_REDEMPTIONS", default=50)
GIFT_LINKS_FOR_TRIAL = env.bool("GIFT_LINKS_FOR_TRIAL", default=True)
# Group subscriptions: the frontend page that accepts an invitation (`?token=` appended), how long an invitation link
# stays valid, and the most seats one group may buy.
GROUP_INVITATION_URL = env.str("GROUP_INVITATION_URL", default="/groups/accept")
GROUP_INVITATION_DAYS = env.int("GROUP_INVITATION_DAYS", default=14)
GROUP_MAX_SEATS = env.int("GROUP_MAX_SEATS", default=10000)
ARTICLE_PREVIEW_PARAGRAPHS = 3
ARTICLE_PREVIEW_TOKEN_MAX_AGE = env.int("ARTICLE_PREVIEW_TOKEN_MAX_AGE", default=60 * 60 * 24)

# --- Comments ---------------------------------------------------------------------------------------------------------
COMMENTS_SEE_POLICY = env.str("COMMENTS_SEE_POLICY", default="registered")  # anyone | registered | subscribers
COMMENTS_POST_POLICY = env.str("COMMENTS_POST_POLICY", default="subscribers")  # registered | subscribers
COMMENTS_EDIT_WINDOW_MINUTES = env.int("COMMENTS_EDIT_WINDOW_MINUTES", default=15)
COMMENTS_MIN_APPROVED = env.int("COMMENTS_MIN_APPROVED", default=0)
COMMENTS_FLAG_THRESHOLD = env.int("COMMENTS_FLAG_THRESHOLD", default=3)
COMMENTS_BLOCKED_WORDS = env.list("COMMENTS_BLOCKED_WORDS", default=[])
COMMENTS_HOLD_LINKS = env.bool("COMMENTS_HOLD_LINKS", default=True)
COMMENTS_RATE_PER_MINUTE = env.int("COMMENTS_RATE_PER_MINUTE", default=5)
COMMENTS_RATE_PER_DAY = env.int("COMMENTS_RATE_PER_DAY", default=50)
COMMENTS_MAX_DEPTH = 3

# --- Ghost-compatible Content API (cms.ghost) ---------------------------------------------------------------------
FRONTEND_URL = env.str("FRONTEND_URL", default=PUBLIC_BASE_URL)  # where the public site (the Ghost frontend) lives
GHOST_POST_URL_PATTERN = env.str("GHOST_POST_URL_PATTERN", default="/{section}/{slug}/")  # also {id}, {year}...
GHOST_PAGE_URL_PATTERN = env.str("GHOST_PAGE_URL_PATTERN", default="/{slug}/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
