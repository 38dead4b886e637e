"""The one settings module of Qaryz.

Every value comes from an environment variable with an embedded default, so that
``scripts/start`` runs with no services at all (SQLite, local files, in-process jobs,
embedded adapters) and production only sets variables. Each variable is listed in
README.md ("Configuration").
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# --- Where things live -------------------------------------------------------------
DATA_DIR = Path(env("QARYZ_DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
# Key material lives outside the data directory (R-3P-1): a backup of the data
# directory alone never carries the keys that decrypt it.
KEY_DIR = Path(env("QARYZ_KEY_DIR", str(BASE_DIR / "var-keys"))).resolve()


def key_from_env_or_file(name: str, env_name: str) -> str:
    """A secret from the environment, else a random one persisted (0600) in KEY_DIR, never in code."""
    value = env(env_name)
    if value:
        return value
    KEY_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = KEY_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = key_from_env_or_file("django-secret-key", "DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", False)
DEMO_MODE = env_bool("QARYZ_DEMO", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

# --- Applications --------------------------------------------------------------------
QARYZ_APPS = [
    "qaryz.core",
    "qaryz.records",
    "qaryz.clients",
    "qaryz.access",
    "qaryz.biometrics",
    "qaryz.signatures",
    "qaryz.lending",
    "qaryz.servicing",
    "qaryz.bureau",
    "qaryz.compliance",
    "qaryz.messaging",
    "qaryz.incidents",
    "qaryz.fraudcases",
    "qaryz.risks",
    "qaryz.regulator",
    "qaryz.leaks",
    "qaryz.antifraud",
    "qaryz.collections",
    "qaryz.correspondence",
    "qaryz.devices",
    "qaryz.cabinet",
    "qaryz.backoffice",
    "qaryz.api",
    "qaryz.assurance",
]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    # django-ninja's templates and static files: the interactive API docs at /api/v1/docs load
    # Swagger UI from this server (the CSP allows no CDN), see qaryz/api/api.py.
    "ninja",
    *QARYZ_APPS,
]

MIDDLEWARE = [
    "qaryz.core.middleware.RequestIdMiddleware",
    "qaryz.core.input_guard.NulByteGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "qaryz.regulator.gate.RegulatorGateMiddleware",
    "qaryz.core.middleware.SecurityHeadersMiddleware",
    "qaryz.core.middleware.SafeErrorMiddleware",
]

ROOT_URLCONF = "qaryz.urls"
WSGI_APPLICATION = "qaryz.wsgi.application"
ASGI_APPLICATION = "qaryz.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qaryz.core.context_processors.branding",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qaryz.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer commits; IMMEDIATE transactions take the
    # write lock up front so concurrent writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background jobs -----------------------------------------------------------------
# Embedded: jobs run in-process right away. Production: CELERY_BROKER_URL set, jobs go to
# Celery workers through qaryz.core.tasks_backend.CeleryBackend.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
TASKS = {
    "default": {
        "BACKEND": (
            "qaryz.core.tasks_backend.CeleryBackend"
            if CELERY_BROKER_URL
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}
# Close of business (servicing, docs/servicing.md): loan ids per chunk transaction, the queue of
# the chunk jobs, days-past-due bucket thresholds (bucket = number of thresholds <= days past due).
QARYZ_COB_CHUNK = int(env("QARYZ_COB_CHUNK", "50000"))
QARYZ_COB_QUEUE = env("QARYZ_COB_QUEUE", "default")
QARYZ_SERVICING_DPD_BUCKETS = env("QARYZ_SERVICING_DPD_BUCKETS", "1,31,61,91")
# Client notices of posted payments are delivered by a job on this queue (messaging.tasks).
QARYZ_NOTICE_QUEUE = env("QARYZ_NOTICE_QUEUE", "default")
TASKS["default"]["QUEUES"] = sorted({"default", QARYZ_COB_QUEUE, QARYZ_NOTICE_QUEUE})
# Nightly close of business at 00:30 local time: fans the chunks out to the workers and waits.
CELERY_TIMEZONE = "Asia/Almaty"
CELERY_BEAT_SCHEDULE = {
    "close-business-day": {
        "task": "qaryz.run_task",
        "schedule": crontab(hour=0, minute=30),
        "args": ["qaryz.servicing.tasks.close_business_day_job", [], {}],
    },
    "fraud-case-deadlines": {
        "task": "qaryz.run_task",
        "schedule": crontab(hour=6, minute=0),
        "args": ["qaryz.fraudcases.tasks.check_deadlines_job", [], {}],
    },
    "fetch-bank-statement": {
        "task": "qaryz.run_task",
        "schedule": crontab(minute="*/15"),
        "args": ["qaryz.servicing.tasks.fetch_bank_statement_job", [], {}],
    },
    "reconcile-payouts": {
        "task": "qaryz.run_task",
        "schedule": crontab(minute="*/10"),
        "args": ["qaryz.servicing.tasks.reconcile_payouts_job", [], {}],
    },
    # The credit-bureau feed of the day closed (docs/bureau.md): after the close of business; it
    # refuses (and a later run resumes) when the close is not finished.
    "send-bureau-feed": {
        "task": "qaryz.run_task",
        "schedule": crontab(hour=int(env("QARYZ_BUREAU_FEED_HOUR", "3")), minute=0),
        "args": ["qaryz.bureau.tasks.send_bureau_feed_job", [], {}],
    },
    # Reports to the NBRK antifraud centre left unsent by an outage (docs/antifraud.md).
    "resend-afc-reports": {
        "task": "qaryz.run_task",
        "schedule": crontab(minute="*/15"),
        "args": ["qaryz.antifraud.tasks.resend_reports_job", [], {}],
    },
    # Delay notices wait outside permitted contact hours (collections policy); hourly they go out.
    "send-delay-notices": {
        "task": "qaryz.run_task",
        "schedule": crontab(minute=5),
        "args": ["qaryz.servicing.tasks.send_delay_notices", [], {}],
    },
}

# --- Fraud-victim cases (Rules §13; docs/fraudcases.md) --------------------------------------
# Deadlines: N days of a kind – "working" (the core calendar) or "calendar" (the stricter MFO
# procedure of seed 000 §36: three calendar days for the suspension).
FRAUD_SUSPENSION_DAYS = int(env("QARYZ_FRAUD_SUSPENSION_DAYS", "3"))
FRAUD_SUSPENSION_DAY_KIND = env("QARYZ_FRAUD_SUSPENSION_DAY_KIND", "working")
FRAUD_VERDICT_DAYS = int(env("QARYZ_FRAUD_VERDICT_DAYS", "15"))
FRAUD_VERDICT_DAY_KIND = env("QARYZ_FRAUD_VERDICT_DAY_KIND", "working")
# The contract template has no clause on interest for a suspended period: by default none is
# accrued on resumption; the case decision may say otherwise.
FRAUD_BACK_ACCRUAL_DEFAULT = env_bool("QARYZ_FRAUD_BACK_ACCRUAL_DEFAULT", False)
INCIDENT_MEASURES_WORKING_DAYS = int(env("QARYZ_INCIDENT_MEASURES_WORKING_DAYS", "2"))
INCIDENT_INFORM_WORKING_DAYS = int(env("QARYZ_INCIDENT_INFORM_WORKING_DAYS", "1"))
# The addressee of incident notices (R-INC-1); blank: the ARDFM's name in the letter's language.
INCIDENT_AUTHORITY_NAME = env("QARYZ_INCIDENT_AUTHORITY_NAME", "")

# --- Risk registers (R-AF-2, R-RISK-1; docs/registers.md) ------------------------------------
# An information asset is critical when the losses from a breach of its security reach this
# materiality threshold, in tenge (seed 000 §15).
RISKS_MATERIALITY_THRESHOLD_KZT = int(env("QARYZ_RISKS_MATERIALITY_THRESHOLD_KZT", "5000000"))

# --- Regulator notices (R-REG-1..2; docs/registers.md) ---------------------------------------
# The notice goes to the authority this many working days before a channel opens or changes.
REGULATOR_NOTICE_WORKING_DAYS = int(env("QARYZ_REGULATOR_NOTICE_WORKING_DAYS", "10"))
# The blocking check on the clients' side (qaryz/regulator/gate.py): the site's pages are the web
# channel, /api/v1/ the mobile app; each offers only the services of its notice in effect. The
# channel is the register's one of that name, or, when blank, the only one of the kind.
REGULATOR_CHANNEL_CHECK = env_bool("QARYZ_REGULATOR_CHANNEL_CHECK", True)
REGULATOR_WEB_CHANNEL = env("QARYZ_REGULATOR_WEB_CHANNEL", "")
REGULATOR_APP_CHANNEL = env("QARYZ_REGULATOR_APP_CHANNEL", "")

# --- Data-leak measures (R-LEAK-1; docs/registers.md) ----------------------------------------
# The mobile operator's subscriber check: "embedded" (simulator) or "http".
LEAKS_OPERATOR = env("QARYZ_LEAKS_OPERATOR", "embedded")
LEAKS_OPERATOR_URL = env("QARYZ_LEAKS_OPERATOR_URL", "")
LEAKS_OPERATOR_TOKEN = env("QARYZ_LEAKS_OPERATOR_TOKEN", "")
LEAKS_OPERATOR_TIMEOUT = float(env("QARYZ_LEAKS_OPERATOR_TIMEOUT", "10"))

# --- Letters between the client and the MFO (R-CAB-7; docs/correspondence.md) ----------------
# The MFO's answer is due N days of a kind after the client's letter: "working" (the core
# calendar) or "calendar". The regulation sets no term; 15 working days is the default.
LETTER_REPLY_DAYS = int(env("QARYZ_LETTER_REPLY_DAYS", "15"))
LETTER_REPLY_DAY_KIND = env("QARYZ_LETTER_REPLY_DAY_KIND", "working")
LETTER_ATTACHMENT_MAX_BYTES = int(env("QARYZ_LETTER_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
LETTER_MAX_ATTACHMENTS = int(env("QARYZ_LETTER_MAX_ATTACHMENTS", "5"))

# --- Files ------------------------------------------------------------------------------
STORAGE_BACKEND = env("QARYZ_STORAGE", "local")  # local | s3
MEDIA_ROOT = DATA_DIR / "files"
MEDIA_URL = "/files/"  # never served directly: documents are decrypted by views that check access
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if STORAGE_BACKEND == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("QARYZ_S3_BUCKET", "qaryz"),
            "endpoint_url": env("QARYZ_S3_ENDPOINT_URL") or None,
            "region_name": env("QARYZ_S3_REGION", "us-east-1"),
            "access_key": env("QARYZ_S3_ACCESS_KEY") or None,
            "secret_key": env("QARYZ_S3_SECRET_KEY") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }

# --- Authentication -------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"

# --- Sessions and cookies (R-AUTH-3, R-AUTH-4, R-WEB-2) -----------------------------------
SESSION_IDLE_SECONDS = int(env("QARYZ_SESSION_IDLE_SECONDS", "600"))
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True  # sliding idle window, enforced on the server
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("QARYZ_SECURE_COOKIES", not DEBUG and not DEMO_MODE)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Transport security (R-TLS-1) -------------------------------------------------------
SECURE_HSTS_SECONDS = int(env("QARYZ_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Take the request id from the proxy's X-Request-ID header (only behind a proxy that sets it).
TRUST_REQUEST_ID = env_bool("QARYZ_TRUST_REQUEST_ID", False)
SECURE_SSL_REDIRECT = env_bool("QARYZ_SSL_REDIRECT", False)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env(
    "QARYZ_CSP",
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; connect-src 'self' wss://127.0.0.1:13579; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
)

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("kk", _("Kazakh")), ("en", _("English"))]
# Kazakh number and date formats (Django has none for kk): qaryz/core/formats/kk/formats.py.
FORMAT_MODULE_PATH = ["qaryz.core.formats"]
# Each room keeps its own catalogue in qaryz/<app>/locale/, found through INSTALLED_APPS.
LOCALE_PATHS: list[Path] = []
USE_I18N = True
TIME_ZONE = "Asia/Almaty"
USE_TZ = True

# --- Logging -----------------------------------------------------------------------------
LOG_JSON = env_bool("QARYZ_LOG_JSON", not DEBUG and not DEMO_MODE)
LOG_LEVEL = env("QARYZ_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "qaryz.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_JSON else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR", "propagate": True}},
}

# --- The MFO operating the platform (R-CAB-2, R-WEB-1) ----------------------------------
# Demo values; the real ones are data in the back office (core.MfoProfile) once loaded.
MFO_NAME = env("QARYZ_MFO_NAME", "Qaryz Demo MFO")
MFO_PRIMARY_COLOR = env("QARYZ_MFO_PRIMARY_COLOR", "#0b6e4f")
MFO_PUBLIC_DOMAIN = env("QARYZ_MFO_DOMAIN", "qaryz.kz")
# Where borrowers can repay in cash (R-CAB-6 "how to repay"): a JSON list of
# {"kind": "cash_desk" | "terminal", "name", "address", "hours"}; demo mode shows two examples.
_DEMO_CASH_DESKS = (
    '[{"kind": "cash_desk", "name": "Касса Qaryz Demo", "address": "г. Алматы, ул. Панфилова, 98, 3 этаж",'
    ' "hours": "Пн–Пт 09:00–18:00"}, {"kind": "terminal", "name": "Qiwi / Kassa24",'
    ' "address": "г. Алматы, ТРЦ «Mega Alma-Ata», 1 этаж", "hours": "24/7"}]'
)
SERVICING_CASH_DESKS: list[dict[str, str]] = json.loads(
    env("QARYZ_CASH_DESKS", _DEMO_CASH_DESKS if DEMO_MODE else "[]")
)
CSRF_FAILURE_VIEW = "qaryz.core.views.csrf_failure"

# --- records ---
# Documents are kept until the contract's obligations end + this many years (R-ARCH-1); the
# regulation's 5 years is a floor, a smaller value is ignored.
RECORDS_RETENTION_YEARS = max(5, int(env("QARYZ_RETENTION_YEARS", "5")))
# S3 Object Lock mode for vault objects when the bucket has Object Lock enabled.
RECORDS_S3_OBJECT_LOCK_MODE = env("QARYZ_S3_OBJECT_LOCK_MODE", "COMPLIANCE")
# PostgreSQL: the audit append runs as a prepared statement (0 behind a transaction-pooling
# PgBouncer older than 1.21, which cannot keep prepared statements).
RECORDS_AUDIT_PREPARE = env_bool("QARYZ_AUDIT_PREPARE", True)
# Holder of the vault's key-encryption key: "file" (KEY_DIR/vault-kek.json, embedded default) or
# "vault-transit" (HashiCorp Vault / OpenBao Transit engine; docs/records.md "Keys").
RECORDS_KEK_BACKEND = env("QARYZ_KEK_BACKEND", "file")
# Key holder of the columns encrypted at rest (qaryz.core.encrypted, R-3P-1): data keys wrapped by
# the KEK above, kept in records.FieldKey.
FIELD_KEY_PROVIDER = "qaryz.records.fieldkeys.RecordsFieldKeys"
RECORDS_VAULT_ADDR = env("QARYZ_VAULT_ADDR", "")
RECORDS_VAULT_TOKEN = env("QARYZ_VAULT_TOKEN", "")
RECORDS_VAULT_TOKEN_FILE = env("QARYZ_VAULT_TOKEN_FILE", "")
RECORDS_VAULT_NAMESPACE = env("QARYZ_VAULT_NAMESPACE", "")
RECORDS_VAULT_TRANSIT_MOUNT = env("QARYZ_VAULT_TRANSIT_MOUNT", "transit")
RECORDS_VAULT_TRANSIT_KEY = env("QARYZ_VAULT_TRANSIT_KEY", "qaryz-vault-kek")
RECORDS_VAULT_CACERT = env("QARYZ_VAULT_CACERT", "")
RECORDS_VAULT_CONNECT_TIMEOUT = float(env("QARYZ_VAULT_CONNECT_TIMEOUT", "3"))
RECORDS_VAULT_READ_TIMEOUT = float(env("QARYZ_VAULT_READ_TIMEOUT", "10"))
# Vault objects without a document row (rolled-back store_document) older than this are deleted
# by sweep_vault_orphans (at least 1 hour).
RECORDS_ORPHAN_GRACE_HOURS = float(env("QARYZ_VAULT_ORPHAN_GRACE_HOURS", "24"))
# The audit trail knows who acted and from where even when a service is called without the request.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "qaryz.records.middleware.AuditContextMiddleware",
)

# --- access ---------------------------------------------------------------------------------
# Client and staff authentication (R-AUTH-1..6, R-ONB-8, R-ACC-2). Each is listed in README.
# One-time codes are stored only as HMACs under this key.
OTP_HMAC_KEY = key_from_env_or_file("otp-hmac-key", "QARYZ_OTP_KEY").encode()
OTP_TTL_SECONDS = int(env("QARYZ_OTP_TTL_SECONDS", "60"))
OTP_MAX_ATTEMPTS = int(env("QARYZ_OTP_MAX_ATTEMPTS", "3"))
OTP_RESEND_SECONDS = int(env("QARYZ_OTP_RESEND_SECONDS", "30"))
OTP_MAX_SENDS = int(env("QARYZ_OTP_MAX_SENDS", "5"))
OTP_LENGTH = int(env("QARYZ_OTP_LENGTH", "6"))
LOGIN_MAX_FAILURES = int(env("QARYZ_LOGIN_MAX_FAILURES", "3"))
LOGIN_LOCK_SECONDS = int(env("QARYZ_LOGIN_LOCK_SECONDS", "900"))
# Window in which a registration / recovery step (verified code, biometrics) stays usable.
ACCESS_STEP_SECONDS = int(env("QARYZ_ACCESS_STEP_SECONDS", "900"))
REGISTRATION_STEP_SECONDS = int(env("QARYZ_REGISTRATION_STEP_SECONDS", "86400"))
# Requests per client address and hour that may start a password recovery or a registration.
ACCESS_START_PER_ADDRESS_PER_HOUR = int(env("QARYZ_ACCESS_START_PER_ADDRESS_PER_HOUR", "20"))
API_TOKEN_SECONDS = int(env("QARYZ_API_TOKEN_SECONDS", "600"))
API_TOKEN_MAX_SECONDS = int(env("QARYZ_API_TOKEN_MAX_SECONDS", "43200"))
STAFF_PASSWORD_MIN_LENGTH = int(env("QARYZ_STAFF_PASSWORD_MIN_LENGTH", "12"))
STAFF_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": STAFF_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
TOTP_ISSUER = env("QARYZ_TOTP_ISSUER", MFO_NAME)

# --- devices (R-MOB-1): device-bound tokens, version policy, integrity, push --------------
# Access tokens of a bound device live this long (absolute); the refresh token renews them.
DEVICE_ACCESS_TOKEN_SECONDS = int(env("QARYZ_DEVICE_ACCESS_TOKEN_SECONDS", "300"))
DEVICE_REFRESH_TOKEN_SECONDS = int(env("QARYZ_DEVICE_REFRESH_TOKEN_SECONDS", str(30 * 86400)))
# A lost refresh answer: the previous generation is accepted again this long, never older ones.
DEVICE_REFRESH_GRACE_SECONDS = int(env("QARYZ_DEVICE_REFRESH_GRACE_SECONDS", "5"))
# Proof time may differ from the server clock by this much; proof ids are remembered twice as long.
DEVICE_PROOF_SKEW_SECONDS = int(env("QARYZ_DEVICE_PROOF_SKEW_SECONDS", "60"))
# True: money functions refuse tokens not bound to a device key (web and server clients use the
# cabinet or bound tokens then). False (default): unbound bearer tokens keep working.
DEVICE_BINDING_REQUIRED = env_bool("QARYZ_DEVICE_BINDING_REQUIRED", False)
# True: a bound device must have passed an integrity check before money functions.
DEVICE_INTEGRITY_REQUIRED = env_bool("QARYZ_DEVICE_INTEGRITY_REQUIRED", False)
DEVICE_ATTESTATION_VERIFIER = env(
    "QARYZ_DEVICE_ATTESTATION_VERIFIER", "qaryz.devices.adapters.embedded.EmbeddedAttestationVerifier"
)
DEVICE_ATTESTATION_URL = env("QARYZ_DEVICE_ATTESTATION_URL")
DEVICE_ATTESTATION_TOKEN = env("QARYZ_DEVICE_ATTESTATION_TOKEN")
DEVICE_APP_PACKAGE = env("QARYZ_DEVICE_APP_PACKAGE", "kz.qaryz.app")
# Per platform: the oldest version still allowed to borrow and pay, and the newest published.
APP_VERSION_POLICY = {
    "android": {
        "min": env("QARYZ_APP_ANDROID_MIN_VERSION", "1.0.0"),
        "latest": env("QARYZ_APP_ANDROID_LATEST_VERSION", "1.0.0"),
    },
    "ios": {
        "min": env("QARYZ_APP_IOS_MIN_VERSION", "1.0.0"),
        "latest": env("QARYZ_APP_IOS_LATEST_VERSION", "1.0.0"),
    },
}
APP_STORE_URLS = {
    "android": env(
        "QARYZ_APP_ANDROID_STORE_URL", "https://play.google.com/store/apps/details?id=kz.qaryz.app"
    ),
    "ios": env("QARYZ_APP_IOS_STORE_URL", "https://apps.apple.com/kz/app/qaryz/id0000000000"),
}
# Outgoing e-mail to the authority, creditors, service providers (messaging/mail.py): the embedded
# simulated mail server, or Django's e-mail backend ("qaryz.messaging.adapters.mail.SmtpMailGateway",
# SMTP with the EMAIL_* settings below).
MAIL_GATEWAY = env("QARYZ_MAIL_GATEWAY", "qaryz.messaging.adapters.mail.EmbeddedMailGateway")
MAIL_OUTBOX_FILE = env("QARYZ_MAIL_OUTBOX_FILE", str(DATA_DIR / "mail-outbox.log"))
MAIL_FROM = env("QARYZ_MAIL_FROM", "compliance@qaryz.kz")
MAIL_TIMEOUT = float(env("QARYZ_MAIL_TIMEOUT", "10"))
EMAIL_BACKEND = env("QARYZ_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("QARYZ_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("QARYZ_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("QARYZ_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("QARYZ_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("QARYZ_EMAIL_USE_TLS", False)
# Where the notices to the authority go by default (incidents, regulator notices); blank: typed in.
AUTHORITY_EMAIL = env("QARYZ_AUTHORITY_EMAIL", "")
PUSH_SERVICE = env("QARYZ_PUSH_SERVICE", "qaryz.messaging.adapters.embedded.EmbeddedPushService")
PUSH_HTTP_URL = env("QARYZ_PUSH_HTTP_URL")
PUSH_HTTP_TOKEN = env("QARYZ_PUSH_HTTP_TOKEN")

# --- messaging ------------------------------------------------------------------------------
SMS_GATEWAY = env("QARYZ_SMS_GATEWAY", "qaryz.messaging.adapters.embedded.EmbeddedSmsGateway")
SMS_OUTBOX_FILE = env("QARYZ_SMS_OUTBOX_FILE", str(DATA_DIR / "sms-outbox.log"))
SMS_HTTP_URL = env("QARYZ_SMS_HTTP_URL")
SMS_HTTP_TOKEN = env("QARYZ_SMS_HTTP_TOKEN")
SMS_HTTP_USER = env("QARYZ_SMS_HTTP_USER")
SMS_HTTP_PASSWORD = env("QARYZ_SMS_HTTP_PASSWORD")
SMS_HTTP_CONNECT_TIMEOUT = float(env("QARYZ_SMS_HTTP_CONNECT_TIMEOUT", "3"))
SMS_HTTP_READ_TIMEOUT = float(env("QARYZ_SMS_HTTP_READ_TIMEOUT", "10"))
SMS_SENDER = env("QARYZ_SMS_SENDER", "QARYZ")

# --- signatures ---
# EDS verification (R-ONB-4, R-ONB-6, R-SIGN-1, R-AUTH-5). Trusted roots: a directory of PEM/DER
# certificates (NCA RK's roots in production); the demo's test root is trusted only when
# QARYZ_EDS_TRUST_TEST_PKI is on (default: on in demo mode only).
EDS_TRUSTED_ROOTS_DIR = env("QARYZ_EDS_TRUSTED_ROOTS_DIR")
EDS_INTERMEDIATES_DIR = env("QARYZ_EDS_INTERMEDIATES_DIR")
EDS_TEST_PKI_DIR = Path(env("QARYZ_EDS_TEST_PKI_DIR", str(KEY_DIR / "test-pki"))).resolve()
EDS_TEST_PKI_URL = env("QARYZ_EDS_TEST_PKI_URL", "http://test-pki.invalid")
EDS_TRUST_TEST_PKI = env_bool("QARYZ_EDS_TRUST_TEST_PKI", DEMO_MODE)
# "embedded": OCSP/CRL answered in-process by the test PKI; "http": real OCSP + CRL over HTTP.
EDS_REVOCATION = env("QARYZ_EDS_REVOCATION", "embedded" if DEMO_MODE else "http")
EDS_OCSP_URL = env("QARYZ_EDS_OCSP_URL")  # empty: the URL in the certificate (AIA)
EDS_CRL_URL = env("QARYZ_EDS_CRL_URL")  # empty: the URL in the certificate (CDP)
EDS_HTTP_TIMEOUT = float(env("QARYZ_EDS_HTTP_TIMEOUT", "5"))
EDS_OCSP_CACHE_SECONDS = int(env("QARYZ_EDS_OCSP_CACHE_SECONDS", "300"))
EDS_REQUEST_TTL_SECONDS = int(env("QARYZ_EDS_REQUEST_TTL_SECONDS", "900"))
EDS_MAX_ATTEMPTS = int(env("QARYZ_EDS_MAX_ATTEMPTS", "10"))  # failed submissions before a request closes
# --- biometrics -------------------------------------------------------------------------
# Provider of the 1:1 face match: "embedded" (offline engine in qaryz.biometrics.engine) or
# "http" (TsOID or a vendor engine behind the JSON contract in docs/biometrics.md).
# Identity document issue dates (clients.services.check_issue_date). **Unconfirmed** (DOMAIN.md
# says nothing): KZ ID cards are reported to be issued from 16 and valid 10 years; passports from
# birth. An ID card issued before this age is refused (14 leaves a margin under the reported 16);
# an ID card whose expiry is not issue + the validity years is accepted with a warning to staff.
CLIENTS_ID_CARD_MIN_ISSUE_AGE = int(env("QARYZ_ID_CARD_MIN_ISSUE_AGE", "14"))
CLIENTS_PASSPORT_MIN_ISSUE_AGE = int(env("QARYZ_PASSPORT_MIN_ISSUE_AGE", "0"))
CLIENTS_ID_CARD_VALIDITY_YEARS = int(env("QARYZ_ID_CARD_VALIDITY_YEARS", "10"))

BIOMETRICS_PROVIDER = env("QARYZ_BIOMETRICS_PROVIDER", "embedded")
BIOMETRICS_HTTP_URL = env("QARYZ_BIOMETRICS_HTTP_URL", "")
BIOMETRICS_HTTP_TOKEN = env("QARYZ_BIOMETRICS_HTTP_TOKEN", "")
BIOMETRICS_HTTP_TIMEOUT = float(env("QARYZ_BIOMETRICS_HTTP_TIMEOUT", "10"))
# Similarity (percent) a selfie needs against the document photo and the registration photo.
BIOMETRICS_MATCH_THRESHOLD = float(env("QARYZ_BIOMETRICS_MATCH_THRESHOLD", "60"))
# Seconds a liveness session stays open after its capture timeline (short: R-LIVE-1).
BIOMETRICS_SESSION_TTL = int(env("QARYZ_BIOMETRICS_SESSION_TTL", "90"))
# Keep every captured frame in the vault as evidence (the best frame is always kept).
BIOMETRICS_STORE_FRAMES = env_bool("QARYZ_BIOMETRICS_STORE_FRAMES", True)
# Antifraud 1:N: descriptor distance under which two clients are reported as the same face.
BIOMETRICS_SAME_FACE_DISTANCE = float(env("QARYZ_BIOMETRICS_SAME_FACE_DISTANCE", "0.5"))
# --- lending ---------------------------------------------------------------------------
# Published effective rate (ГЭСВ): decimal places and year basis of Σ S/(1+i)^(t/B) (DOMAIN.md:
# one decimal and 365 as reported, unconfirmed – hence configuration).
LENDING_RATE_DECIMALS = int(env("QARYZ_LENDING_RATE_DECIMALS", "1"))
LENDING_RATE_YEAR_DAYS = int(env("QARYZ_LENDING_RATE_YEAR_DAYS", "365"))
# First-period rule of schedules: the first instalment is at least this many days after disbursement.
LENDING_FIRST_PERIOD_MIN_DAYS = int(env("QARYZ_LENDING_FIRST_PERIOD_MIN_DAYS", "15"))

# --- compliance (AML screening) -----------------------------------------------------------
# Name similarity (0-100, rapidfuzz on transliterated, folded names) from which a screening goes
# to the AML officer for manual review. An exact IIN match always refuses.
AML_REVIEW_THRESHOLD = float(env("QARYZ_AML_REVIEW_THRESHOLD", "85"))
# Credit bureau (R-PRE-8, R-CB-1): "embedded" (the project's own simulator, in-process) or "http".
LENDING_BUREAU = env("QARYZ_BUREAU", "embedded")
LENDING_BUREAU_URL = env("QARYZ_BUREAU_URL", "")
LENDING_BUREAU_API_KEY = env("QARYZ_BUREAU_API_KEY", "")
LENDING_BUREAU_TIMEOUT = float(env("QARYZ_BUREAU_TIMEOUT", "10"))
# The named person whose bureau account makes the requests (R-CB-1: one account per named person).
LENDING_BUREAU_ACCOUNT = env("QARYZ_BUREAU_ACCOUNT", "demo-credit-officer")
# Credit policy of the decision engine (JSON object overriding DecisionConfig fields, docs/lending.md).
LENDING_DECISION_CONFIG = env("QARYZ_DECISION_CONFIG", "{}")
# Contract template version (qaryz/lending/templates/lending/contract_<version>.json).
LENDING_CONTRACT_TEMPLATE = env("QARYZ_CONTRACT_TEMPLATE", "2026-12-02")
# TrueType font with Cyrillic and Kazakh glyphs for contract PDFs (Debian fonts-dejavu-core).
LENDING_PDF_FONT = env("QARYZ_LENDING_PDF_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LENDING_PDF_FONT_BOLD = env(
    "QARYZ_LENDING_PDF_FONT_BOLD", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
)

# --- access: WebAuthn security keys (issue 4, R-AUTH-1) -------------------------------------
# Relying-party id: the registrable domain keys are bound to. Empty: the request's host name
# (without port) – set it in production so a key keeps working behind any host alias.
WEBAUTHN_RP_ID = env("QARYZ_WEBAUTHN_RP_ID", "")
# Origins whose ceremonies are accepted (comma list, e.g. https://qaryz.kz,android:apk-key-hash:…).
# Empty: only the request's own origin (scheme://host[:port]).
WEBAUTHN_ORIGINS = env_list("QARYZ_WEBAUTHN_ORIGINS", "")
# How long a registration or sign-in challenge may be answered (seconds); single use either way.
WEBAUTHN_TIMEOUT_SECONDS = int(env("QARYZ_WEBAUTHN_TIMEOUT_SECONDS", "120"))

# --- bureau: outgoing credit-bureau reporting (R-CB-1, Rules §13, docs/bureau.md) ------------------
# "embedded" (the stateful bureau simulator, qaryz/bureau/adapters/embedded.py) or "http".
BUREAU_FEED = env("QARYZ_BUREAU_FEED", "embedded")
BUREAU_FEED_URL = env("QARYZ_BUREAU_FEED_URL", "")
BUREAU_FEED_TOKEN = env("QARYZ_BUREAU_FEED_TOKEN", "")
BUREAU_FEED_HMAC_SECRET = env("QARYZ_BUREAU_FEED_HMAC_SECRET", "")
BUREAU_FEED_CONNECT_TIMEOUT = float(env("QARYZ_BUREAU_FEED_CONNECT_TIMEOUT", "3"))
BUREAU_FEED_READ_TIMEOUT = float(env("QARYZ_BUREAU_FEED_READ_TIMEOUT", "30"))
BUREAU_FEED_RETRIES = int(env("QARYZ_BUREAU_FEED_RETRIES", "2"))
BUREAU_FEED_BATCH_SIZE = int(env("QARYZ_BUREAU_FEED_BATCH_SIZE", "1000"))

# --- servicing: payout bank (R-DISB-1..5, docs/servicing.md "Payout bank") ---------------------
# "embedded" (the stateful bank simulator, adapters/bank_embedded.py) or "http" (a real bank).
# Incoming money: the card acquirer and the bank statement (dotted class paths; embedded simulators
# by default, ``qaryz.servicing.adapters.incoming_http.HttpAcquirer`` / ``HttpIncomingBank`` in production).
SERVICING_ACQUIRER = env(
    "QARYZ_SERVICING_ACQUIRER", "qaryz.servicing.adapters.acquirer_embedded.EmbeddedAcquirer"
)
SERVICING_INCOMING_BANK = env(
    "QARYZ_SERVICING_INCOMING_BANK", "qaryz.servicing.adapters.acquirer_embedded.EmbeddedIncomingBank"
)
SERVICING_ACQUIRER_URL = env("QARYZ_SERVICING_ACQUIRER_URL", "")
SERVICING_ACQUIRER_TOKEN = env("QARYZ_SERVICING_ACQUIRER_TOKEN", "")
SERVICING_ACQUIRER_WEBHOOK_KEY = env("QARYZ_SERVICING_ACQUIRER_WEBHOOK_KEY", "")
SERVICING_STATEMENT_URL = env("QARYZ_SERVICING_STATEMENT_URL", "")
SERVICING_STATEMENT_TOKEN = env("QARYZ_SERVICING_STATEMENT_TOKEN", "")
SERVICING_STATEMENT_LOOKBACK_DAYS = int(env("QARYZ_SERVICING_STATEMENT_LOOKBACK_DAYS", "3"))
SERVICING_HTTP_TIMEOUT = float(env("QARYZ_SERVICING_HTTP_TIMEOUT", "10"))
PAYOUT_BANK = env("QARYZ_PAYOUT_BANK", "embedded")
PAYOUT_URL = env("QARYZ_PAYOUT_URL", "")
PAYOUT_TOKEN = env("QARYZ_PAYOUT_TOKEN", "")
PAYOUT_TIMEOUT = float(env("QARYZ_PAYOUT_TIMEOUT", "10"))
# Shared secret of the bank's webhook signature (HMAC-SHA256 over the raw body).
PAYOUT_WEBHOOK_SECRET = env("QARYZ_PAYOUT_WEBHOOK_SECRET", "demo-payout-webhook-secret")
# reconcile_payouts asks the bank about pending/sent payouts older than this many minutes.
PAYOUT_RECONCILE_AFTER_MINUTES = int(env("QARYZ_PAYOUT_RECONCILE_AFTER_MINUTES", "10"))
# Maker–checker (issue 14): a client's payout or overpayment refund of MORE than this many KZT
# waits for a staff member's approval before the bank is called (cash-desk payouts, fraud-victim
# refunds and suspense returns made by staff always wait for a second staff member).
PAYOUT_SECOND_APPROVAL_ABOVE = int(env("QARYZ_PAYOUT_SECOND_APPROVAL_ABOVE", "500000"))
# Simulator: settle delay, automatic webhook delivery by a timer thread, webhook URL (empty: the
# handler in-process), failure mode (normal / fail / timeout / down), foreign accounts (JSON
# {"<IBAN or card>": "<IIN/BIN>" or "?"}).
PAYOUT_SIM_DELAY_SECONDS = float(env("QARYZ_PAYOUT_SIM_DELAY_SECONDS", "3"))
PAYOUT_SIM_AUTO_DELIVER = env_bool("QARYZ_PAYOUT_SIM_AUTO_DELIVER", DEMO_MODE)
PAYOUT_SIM_WEBHOOK_URL = env("QARYZ_PAYOUT_SIM_WEBHOOK_URL", "")
PAYOUT_SIM_MODE = env("QARYZ_PAYOUT_SIM_MODE", "normal")
# In the demo the simulated bank knows the demo partner merchant's account (qaryz/servicing/demo.py).
PAYOUT_SIM_ACCOUNTS = json.loads(
    env("QARYZ_PAYOUT_SIM_ACCOUNTS", '{"KZ156010000000123456": "150140000012"}' if DEMO_MODE else "{}")
    or "{}"
)

# --- Antifraud (R-AF-1; docs/antifraud.md) ------------------------------------------------------
ANTIFRAUD_CENTRE = env("QARYZ_AFC", "embedded")  # embedded | http: the NBRK antifraud centre
ANTIFRAUD_CENTRE_URL = env("QARYZ_AFC_URL", "")
ANTIFRAUD_CENTRE_TOKEN = env("QARYZ_AFC_TOKEN", "")
# The beat job resend-afc-reports sends again reports the centre has not accepted or rejected yet
# once they are older than this (younger ones are still being sent right after their commit).
ANTIFRAUD_RESEND_AFTER_MINUTES = int(env("QARYZ_AFC_RESEND_AFTER_MINUTES", "5"))
# how long a process keeps the active rule version before asking the database again
ANTIFRAUD_RULESET_CACHE_SECONDS = float(env("QARYZ_ANTIFRAUD_RULESET_CACHE_SECONDS", "2"))
# dotted paths of f(event_kind, client, attributes) -> dict adding attributes to every event
ANTIFRAUD_ENRICHERS: list[str] = [
    "qaryz.antifraud.enrichers.data_leak",
    "qaryz.antifraud.enrichers.device_integrity",
]
