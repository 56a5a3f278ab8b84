"""One settings module, driven by environment variables only.

Typed readers fail loudly on malformed values. SQLite is the default database;
set DATABASE_URL (postgres://...) for PostgreSQL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))


def env_str(name, default=None):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("DANGJIAN_TESTING", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production-0123456789"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_htmx",
    "axes",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.compliance",
    "dangjian.imports",
    "dangjian.life",
    "dangjian.dues",
    "dangjian.api",
    "dangjian.pipeline",
    "dangjian.service",
    "dangjian.vanguard",
    "dangjian.integrity",
    "dangjian.tasks",
    "dangjian.review",
    "dangjian.points",
    "dangjian.appraisal",
    "dangjian.workdays",
    "dangjian.terms",
    "dangjian.transfers",
    "dangjian.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.dbrouter.ReplicaRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.accounts.middleware.SessionLimitsMiddleware",
    "dangjian.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangjian.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dangjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.core.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# DATABASE_URL is the primary (system of record). PostgreSQL only:
# - DATABASE_REPLICA_URLS: comma-separated read replicas (streaming replication); reads of the views in
#   DATABASE_REPLICA_VIEWS and of `with dbrouter.replica():` blocks go there (see dangjian/core/dbrouter.py);
# - DATABASE_POOL=1: a psycopg connection pool in each process (DATABASE_POOL_MIN_SIZE/MAX_SIZE/TIMEOUT);
# - DATABASE_PGBOUNCER=1: behind pgbouncer in transaction mode (no server-side cursors).
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dangjian.sqlite3'}")
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 0)
DATABASE_POOL = env_bool("DATABASE_POOL", False)
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])


def _postgres_options(db):
    db["CONN_HEALTH_CHECKS"] = env_bool("CONN_HEALTH_CHECKS", True)
    db["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DATABASE_PGBOUNCER", False)
    if DATABASE_POOL:
        if CONN_MAX_AGE:
            raise ImproperlyConfigured("DATABASE_POOL=1 needs CONN_MAX_AGE=0 (the pool keeps the connections)")
        db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 2),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
    return db


_db = dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    if _db["NAME"] != ":memory:":
        Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
        ),
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _postgres_options(_db)
    if env_str("DATABASE_TEST_NAME"):
        _db["TEST"] = {"NAME": env_str("DATABASE_TEST_NAME")}
else:
    raise ImproperlyConfigured("DATABASE_URL must be sqlite:// or postgres://")
DATABASES = {"default": _db}
DATABASE_REPLICAS = []
for _index, _url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = dj_database_url.parse(_url, conn_max_age=CONN_MAX_AGE)
    if _db["ENGINE"] != "django.db.backends.postgresql" or _replica["ENGINE"] != _db["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs PostgreSQL for DATABASE_URL and every replica")
    _replica["TEST"] = {"MIRROR": "default"}  # tests: the replica alias reads the test database
    DATABASES[f"replica{_index}"] = _postgres_options(_replica)
    DATABASE_REPLICAS.append(f"replica{_index}")
DATABASE_ROUTERS = ["dangjian.core.dbrouter.PrimaryReplicaRouter"] if DATABASE_REPLICAS else []
# After a request that wrote, the same browser reads the primary for this many seconds (the page after a
# POST-redirect must show what was just saved, however far the replica lags).
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 10)
# Read-only screens whose GET requests read from a replica: URL names, or "namespace:*" for a whole app.
DATABASE_REPLICA_VIEWS = env_list("DATABASE_REPLICA_VIEWS", [
    "reports:*", "compliance:matrix", "compliance:findings", "members:export", "members:export_national",
    "dues:arrears", "dues:publication", "dues:publication_xlsx", "service:summary", "review:results_export",
])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth and login security ---------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Tests create hundreds of users; Argon2 stays the production hasher.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "dangjian.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]

# django-axes: 5 failures lock the account and, separately, the IP for 30 minutes.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success must not wipe failures: with IP lockout on, resetting on success would let an attacker
# holding one account guess four times, log in, and repeat. Failures expire with the cool-off.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "dangjian.accounts.views.lockout_response"
AXES_VERBOSE = False
# Number of trusted reverse proxies in front of the app (1 behind nginx); see core.audit.client_ip.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "dangjian.core.audit.client_ip"

SESSION_COOKIE_AGE = 30 * 60  # idle timeout: 30 minutes
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIMIT = timedelta(hours=12)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers -------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts and styles only from our own origin (vendored, no CDN, no inline scripts). Inline style
# attributes are allowed: they cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
if not DEBUG and not TESTING:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploads -----------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
# Production serves hashed, compressed files through WhiteNoise (run `dangjian collectstatic` first);
# development and tests use the plain storage and need no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG or TESTING
                    else "dangjian.core.staticstorage.StaticStorage"},
}
# Uploads on S3-compatible object storage (MinIO, Ceph, a cloud bucket) when S3_BUCKET is set, so every app
# server sees the same files. Files stay private: served through the app (core.uploads.download_response).
S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL"),  # e.g. http://minio.internal:9000; empty for AWS
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "region_name": env_str("S3_REGION", "us-east-1"),
            "location": env_str("S3_PREFIX", "media"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Development and tests: WhiteNoise serves from the app directories, no collectstatic needed.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# Roster imports run in a background thread so the browser can show progress.
IMPORT_IN_THREAD = env_bool("IMPORT_IN_THREAD", not TESTING)
REPORT_JOBS_IN_THREAD = env_bool("REPORT_JOBS_IN_THREAD", not TESTING)
# Organisation choices: a field with at most this many organisations renders them all in its <select>; above it
# (a province) the select lists the chosen organisation, its ancestors and children, and a search box finds the rest.
ORG_PICKER_FULL_MAX = env_int("ORG_PICKER_FULL_MAX", 300)
if ORG_PICKER_FULL_MAX < 1:
    raise ImproperlyConfigured(f"ORG_PICKER_FULL_MAX must be at least 1, got {ORG_PICKER_FULL_MAX}")

# --- Field encryption (ID numbers, phones) ------------------------------------
# The key lives outside the database and outside the repository: an environment
# variable (base64, 32 bytes) or a key file. Development creates var/field.key.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
FIELD_ENCRYPTION_KEY_FILE = Path(env_str("FIELD_ENCRYPTION_KEY_FILE", str(VAR_DIR / "field.key")))
# Previous keys, still accepted for decryption while `dangjian keys rotate` re-encrypts:
# comma-separated base64 keys, or a file with one key per line.
FIELD_ENCRYPTION_OLD_KEYS = env_list("FIELD_ENCRYPTION_OLD_KEYS", [])
FIELD_ENCRYPTION_OLD_KEYS_FILE = env_str("FIELD_ENCRYPTION_OLD_KEYS_FILE")

# Several app servers share one cache (rate-limit counters, e.g. review codes) in Redis when REDIS_URL is set;
# otherwise each process has its own in-memory cache (fine for one server). Sessions and login lockouts
# (django-axes' database handler) are always in the database, so any app server serves any user.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "dangjian")}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

PAGE_SIZE = 50

# `dangjian serve` (gunicorn): bind address; workers default to 2 × cores + 1 (WEB_CONCURRENCY overrides).
SERVE_HOST = env_str("SERVE_HOST", "127.0.0.1")
SERVE_PORT = env_int("SERVE_PORT", 8000)

# `dangjian scheduler`: scheduled jobs run once however many app servers run the scheduler. The lock is
# a PostgreSQL advisory lock, a lock file next to the SQLite database, or Redis (SCHEDULER_LOCK=redis).
SCHEDULER_LOCK = env_str("SCHEDULER_LOCK", "database")
if SCHEDULER_LOCK not in {"database", "redis"}:
    raise ImproperlyConfigured("SCHEDULER_LOCK must be database or redis")
if SCHEDULER_LOCK == "redis" and not REDIS_URL:
    raise ImproperlyConfigured("SCHEDULER_LOCK=redis needs REDIS_URL")
SCHEDULER_JOBS = env_list("SCHEDULER_JOBS", ["dues_bills", "findings", "audit_verify", "backup"])
SCHEDULER_BACKUP_KEEP = env_int("SCHEDULER_BACKUP_KEEP", 14)

# Findings (问题清单, 工作台): a scope of at most this many organisations is checked on every visit; a larger one
# (a district, a province) reads the newest run of the nightly `findings` job (compliance.selectors.findings_in).
FINDINGS_LIVE_MAX_ORGS = env_int("FINDINGS_LIVE_MAX_ORGS", 500)
if FINDINGS_LIVE_MAX_ORGS < 1:
    raise ImproperlyConfigured("FINDINGS_LIVE_MAX_ORGS must be at least 1")
