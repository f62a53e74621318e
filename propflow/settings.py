"""PropFlow settings: one file, driven by the environment (and a ``.env`` file).

With nothing set, PropFlow runs on the embedded default: SQLite and media files in local
folders, an in-memory cache and channel layer, Celery tasks run in-process and SMS to the
console. ``DATABASE_URL``, ``REDIS_URL`` and the S3 variables switch to the real services.
"""

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
import xstatic.pkg.leaflet  # type: ignore[import-untyped]  # no stubs; BASE_DIR only
from botocore.config import Config as BotocoreConfig
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from propflow.csp import url_source
from propflow.secret_key import development_secret_key

# Lets generic classes such as ModelAdmin[User] be subscripted at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already set win over the file's; ENV_FILE names another file, or none when empty.
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    env.read_env(ENV_FILE)

# Off unless set: `make run` (the embedded default) turns it on for itself.
DEBUG = env.bool("DEBUG", default=False)

DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))

# Without DEBUG nothing starts without a key; with DEBUG, each data folder gets a random key of
# its own, made once: no installation runs on a key that anyone else knows.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (50 or more random characters)."
        )
    SECRET_KEY = development_secret_key(DATA_DIR / "secret_key")
# The JWTs' own key, so that rotating either key does not sign out the other's users (set but
# empty, as in .env.example, is unset: an empty key would let anyone sign tokens).
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default="") or SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

INSTALLED_APPS = [
    "propflow.admin_site.PropFlowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "channels",
    "phonenumber_field",
    # Its templates and static files: the API docs page (propflow/templates, propflow/static).
    "propflow",
    "accounts",
    "properties",
    "photos",
    "outbox",
]

MIDDLEWARE = [
    "propflow.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "propflow.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "propflow.urls"
WSGI_APPLICATION = "propflow.wsgi.application"
ASGI_APPLICATION = "propflow.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'propflow.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite serves one writer at a time: wait for the lock rather than fail at once.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results, channel layer ----------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "propflow",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one Redis publish per group, which each web process delivers to its own
            # sockets (the core layer sends one message per socket in a group); nothing is
            # dropped for capacity, nor kept: a listener that missed events replays them from
            # the event log (after=). Measured by benchmarks.websocket_fanout (README).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # redis-py 8 defaults (a 5 s socket timeout, a pool of 100) crash consumers under
            # load: see NOTES.md, Channels and Redis.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None, "max_connections": 2000}],
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- WebSockets (/ws/events/) ----------------------------------------------------------------
# Browser pages on other origins that may open the events socket, as full origins
# (scheme://host[:port], the API's CORS origins by default); a page served by this server (the
# socket's own scheme and Host, one of ALLOWED_HOSTS) may always. Clients that send no Origin
# (phone apps) are not browsers and need no such check: their token is the credential.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=CORS_ALLOWED_ORIGINS)
# Listeners only ever send a ping: anything larger or faster is misuse, and the socket closes.
WEBSOCKET_MAX_MESSAGE_BYTES = env.int("WEBSOCKET_MAX_MESSAGE_BYTES", default=4096)
WEBSOCKET_MESSAGES_PER_SECOND = env.float("WEBSOCKET_MESSAGES_PER_SECOND", default=5.0)
WEBSOCKET_MESSAGE_BURST = env.int("WEBSOCKET_MESSAGE_BURST", default=20)
# An open socket's listener is re-checked this often (a query or two per socket): a
# session that ended or a user deactivated or moved in or out of staff closes it with 4401.
WEBSOCKET_SESSION_RECHECK_SECONDS = env.float("WEBSOCKET_SESSION_RECHECK_SECONDS", default=60.0)
if WEBSOCKET_SESSION_RECHECK_SECONDS <= 0:
    raise ImproperlyConfigured("WEBSOCKET_SESSION_RECHECK_SECONDS must be positive.")
# A session's socket closes (4401) after this long, however valid the session: a workday.
# A token's socket closes when the token expires (JWT_ACCESS_MINUTES).
WEBSOCKET_SESSION_MAX_SECONDS = env.int("WEBSOCKET_SESSION_MAX_SECONDS", default=12 * 60 * 60)
# The event log (outbox) keeps events this long: the socket's and the API's `after` reach back
# this far, and an older one is answered 410 (close 4410).
EVENT_RETENTION_DAYS = env.int("EVENT_RETENTION_DAYS", default=30)
if EVENT_RETENTION_DAYS <= 0:
    raise ImproperlyConfigured("EVENT_RETENTION_DAYS must be positive.")

# --- Webhooks -------------------------------------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Seconds after the first attempt of each retry; then the delivery is failed.
WEBHOOK_RETRY_SCHEDULE = [
    int(delay)
    for delay in env.list(
        "WEBHOOK_RETRY_SCHEDULE", default=["5", "300", "1800", "7200", "18000", "36000"]
    )
]
if WEBHOOK_TIMEOUT_SECONDS <= 0 or any(delay < 0 for delay in WEBHOOK_RETRY_SCHEDULE):
    raise ImproperlyConfigured(
        "WEBHOOK_TIMEOUT_SECONDS must be positive, the retry delays not negative."
    )
# http and non-public addresses (loopback, private, link-local, metadata): a developer's.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
# The secrets are kept encrypted with this (any string; by default derived from SECRET_KEY, so
# that changing SECRET_KEY makes the stored secrets unreadable: set this to keep them).
WEBHOOK_ENCRYPTION_KEY = env.str("WEBHOOK_ENCRYPTION_KEY", default=f"webhooks:{SECRET_KEY}")
# Resolves a host name to its addresses (host, port) -> [address]; checked before connecting.
WEBHOOK_RESOLVER = env.str("WEBHOOK_RESOLVER", default="outbox.addresses.system_resolver")
# A CA bundle for the receivers' certificates, None for the system's.
WEBHOOK_CA_FILE = env.str("WEBHOOK_CA_FILE", default=None)
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
# How often beat queues the deliveries whose next attempt is due.
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=5.0)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "django-db"
# Without a broker the embedded default runs tasks in-process, right after commit.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Seconds a task may run (then its worker child is killed), and before SoftTimeLimitExceeded.
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=120)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=100)
if not 0 < CELERY_TASK_SOFT_TIME_LIMIT < CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_SOFT_TIME_LIMIT must be positive and below CELERY_TASK_TIME_LIMIT."
    )
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "flush-expired-tokens": {
        "task": "accounts.flush_expired_tokens",
        "schedule": crontab(hour=3, minute=17),
    },
    "requeue-stuck-photos": {
        "task": "photos.requeue_stuck",
        "schedule": crontab(minute="*/5"),
    },
    "prune-events": {
        "task": "outbox.prune_events",
        "schedule": crontab(hour=3, minute=41),
    },
    "retry-webhooks": {
        "task": "outbox.retry_webhooks",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
}

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet for the property page's map, served from the xstatic-leaflet package (nothing copied
# into the repository): /static/leaflet/leaflet.js.
STATICFILES_DIRS = [("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
# The map's tile server ({s}, {z}, {x}, {y} placeholders, as Leaflet takes them); empty: no tiles,
# the markers and the QC radius are drawn on a blank map.
LEAFLET_TILE_URL = env.str(
    "LEAFLET_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
LEAFLET_TILE_ATTRIBUTION = env.str(
    "LEAFLET_TILE_ATTRIBUTION", default="© OpenStreetMap contributors"
)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))

S3_BUCKET = env.str("S3_BUCKET", default="")
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="")
S3_REGION = env.str("S3_REGION", default="us-east-1")
STORAGES: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
if S3_BUCKET:
    STORAGES["default"] = {
        # One boto3 client per process, not one per thread (propflow/storage.py).
        "BACKEND": "propflow.storage.SharedClientS3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "access_key": env.str("AWS_ACCESS_KEY_ID"),
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY"),
            "endpoint_url": S3_ENDPOINT_URL or None,
            "region_name": S3_REGION,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": env.int("S3_URL_EXPIRY_SECONDS", default=600),
            # Given a client_config, django-storages takes the signature version and addressing
            # style from it alone. Timeouts: botocore's defaults (60 s connect and read, retried)
            # would hold a request and its row lock for minutes when the object store hangs.
            "client_config": BotocoreConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=15,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="IN")
# django-axes refuses a password sign-in (the admin's) while its account or address is locked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin sign-in: this many failed passwords for an account, or from an address, with no pause of
# 15 minutes between them lock it for 15 minutes (the admin lists the attempts, and may delete
# them to unlock early). Logs mask the phone and the address.
ADMIN_LOGIN_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_FAILURE_LIMIT = ADMIN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_CALLABLE = "accounts.admin_sign_in.attempted_phone"
AXES_LOCKOUT_CALLABLE = "accounts.admin_sign_in.locked_out"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# One-time SMS codes. Limits are "<count>/<seconds>" windows counted in the cache.
OTP_LENGTH = 6
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
OTP_REQUEST_LIMIT_PER_PHONE = env.str("OTP_REQUEST_LIMIT_PER_PHONE", default="3/600")
OTP_REQUEST_LIMIT_PER_IP = env.str("OTP_REQUEST_LIMIT_PER_IP", default="20/600")
OTP_VERIFY_LIMIT_PER_IP = env.str("OTP_VERIFY_LIMIT_PER_IP", default="60/600")

SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = Path(env.str("SMS_FILE_PATH", default=str(DATA_DIR / "sms")))
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")

# The optional `content` check (photos.content): a backend's labels of each photo's preview
# compared with its category. Empty: no check, and nothing is sent anywhere (the embedded
# default); google_vision: Cloud Vision's label detection; locmem: the tests' labels.
PHOTO_CONTENT_BACKEND = env.str("PHOTO_CONTENT_BACKEND", default="")
if PHOTO_CONTENT_BACKEND not in ("", "google_vision", "locmem"):
    raise ImproperlyConfigured("PHOTO_CONTENT_BACKEND must be empty, google_vision or locmem.")
GOOGLE_VISION_API_KEY = env.str("GOOGLE_VISION_API_KEY", default="")
if PHOTO_CONTENT_BACKEND == "google_vision" and not GOOGLE_VISION_API_KEY:
    raise ImproperlyConfigured("PHOTO_CONTENT_BACKEND=google_vision needs GOOGLE_VISION_API_KEY.")
GOOGLE_VISION_API_URL = env.str("GOOGLE_VISION_API_URL", default="https://vision.googleapis.com/v1")
# The whole call, retries included: it runs inside the QC task, within its time limit.
PHOTO_CONTENT_TIMEOUT_SECONDS = env.float("PHOTO_CONTENT_TIMEOUT_SECONDS", default=15.0)
# Checked only with a backend: without one, no call is made and the timeout bounds nothing.
CONTENT_TIMEOUT_FITS = 0 < PHOTO_CONTENT_TIMEOUT_SECONDS < CELERY_TASK_SOFT_TIME_LIMIT / 2
if PHOTO_CONTENT_BACKEND and not CONTENT_TIMEOUT_FITS:
    raise ImproperlyConfigured(
        "PHOTO_CONTENT_TIMEOUT_SECONDS must be positive and below half CELERY_TASK_SOFT_TIME_LIMIT."
    )
# A label counts from this score (Vision's confidence, 0 to 1; it returns none below 0.5).
PHOTO_CONTENT_MIN_SCORE = env.float("PHOTO_CONTENT_MIN_SCORE", default=0.7)
if not 0 < PHOTO_CONTENT_MIN_SCORE <= 1:
    raise ImproperlyConfigured("PHOTO_CONTENT_MIN_SCORE must be above 0 and at most 1.")
# The labels that recognise each category, matched whole and ignoring case: Vision's names for
# what only that place has, never those any room or photo gets ("Interior design", "Floor",
# "Property", "Home"). Set as the default is written: CATEGORY=label,label;… (the whole table);
# a category without labels (OTHER) passes whatever is seen.
PHOTO_CONTENT_EXPECTED_LABELS: dict[str, list[str]] = {
    category.strip(): labels
    for category, labels in env.get_value(
        "PHOTO_CONTENT_EXPECTED_LABELS",
        cast={"value": list},
        parse_default=True,
        default=(
            "FRONT=building,house,facade,residential area,roof,porch,gate,villa,cottage,"
            "condominium,tower block,mixed-use;"
            "STREET=street,road,road surface,lane,thoroughfare,alley,sidewalk,asphalt,"
            "neighbourhood,neighborhood,residential area,town;"
            "LIVING=living room,couch,studio couch,sofa bed,loveseat,coffee table,club chair,"
            "armchair,fireplace,television;"
            "KITCHEN=kitchen,countertop,cabinetry,stove,kitchen stove,gas stove,cooktop,oven,"
            "microwave oven,sink,kitchen sink,kitchen appliance,refrigerator;"
            "BEDROOM=bedroom,bed,bed frame,bed sheet,bedding,mattress,duvet cover,headboard,"
            "nightstand;"
            "BATHROOM=bathroom,toilet,toilet seat,bidet,bathtub,shower,shower door,tap,"
            "bathroom sink,bathroom cabinet,plumbing fixture;"
            "OTHER="
        ),
    ).items()
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": JWT_SIGNING_KEY,
}
if SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] > timedelta(minutes=15):
    raise ImproperlyConfigured("JWT_ACCESS_MINUTES may be at most 15.")
if SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"] > timedelta(days=7):
    raise ImproperlyConfigured("JWT_REFRESH_DAYS may be at most 7.")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON everywhere (nested too deeply: 400, not 500); the photo upload declares multipart.
    "DEFAULT_PARSER_CLASSES": ["propflow.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "propflow.api_errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PropFlow API",
    "DESCRIPTION": "Property inspection and valuation: phone sign-in, properties, photos, QC.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PropertyStatusEnum": "properties.models.Status",
        "QcCheckNameEnum": "photos.qc.ALL_CHECK_NAMES",
        "ContentCredentialsValidationEnum": "photos.provenance.VALIDATIONS",
        "QcCheckResultEnum": ["pass", "warn", "fail"],
        "PhotoReviewDecisionEnum": ["approve", "reject", "reshoot"],
        "ErrorCodeEnum": "propflow.errors.ErrorCode",
    },
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security: on whenever DEBUG is off -----------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe /health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/?$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Content-Security-Policy: the admin and the API docs (propflow.csp) ----------------------
# Scripts and styles only from our static files, never inline: Django's admin, Leaflet and the
# docs page need nothing more. Images also from data: URLs (Swagger UI's icons), the map's tile
# server, the S3 endpoint of the photos' signed URLs, and CONTENT_SECURITY_POLICY_IMG_SRC (say, a
# CDN in front of the bucket). Everything else from this server only: the WebSocket too.
CONTENT_SECURITY_POLICY_PATHS = ["/admin/", "/api/v1/docs"]
if not S3_BUCKET:
    _photo_sources = []
elif S3_ENDPOINT_URL:
    _photo_sources = [url_source(S3_ENDPOINT_URL)]
else:
    # boto3 signs us-east-1 URLs for the global endpoint and other regions' for their own.
    _photo_sources = ["https://s3.amazonaws.com", f"https://s3.{S3_REGION}.amazonaws.com"]
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": [
        "'self'",
        "data:",
        *([url_source(LEAFLET_TILE_URL)] if LEAFLET_TILE_URL else []),
        *_photo_sources,
        *env.list("CONTENT_SECURITY_POLICY_IMG_SRC", default=[]),
    ],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# --- Logging: one line per request and per task; JSON when DEBUG is off ---------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "propflow.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"redact_tokens": {"()": "propflow.logs.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain" if DEBUG else "json"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our request log replaces Django's, which would repeat each line (and 4xx as warnings).
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "ERROR"},
        # uvicorn logs each WebSocket handshake with its query string, where the token is.
        "uvicorn.error": {"filters": ["redact_tokens"]},
        # django-axes: the failed and locked-out sign-ins (phone and address masked), not its
        # start-up banner and the steps of each attempt.
        "axes": {"level": "WARNING"},
        # Celery's line per task repeats propflow.task's (propflow.celery), and beat's line per
        # sending would repeat it every WEBHOOK_SWEEP_SECONDS.
        "celery.app.trace": {"level": "WARNING"},
        "celery.beat": {"level": "WARNING"},
    },
}

# --- Properties and photos ------------------------------------------------------------------
PROPERTY_TIME_ZONE = env.str("PROPERTY_TIME_ZONE", default="Asia/Kolkata")
PROPERTY_DEFAULT_DUE_DAYS = env.int("PROPERTY_DEFAULT_DUE_DAYS", default=3)
PHOTO_REQUIRED_CATEGORIES = env.list(
    "PHOTO_REQUIRED_CATEGORIES", default=["FRONT", "LIVING", "KITCHEN"]
)
PHOTO_MAX_UPLOAD_BYTES = env.int("PHOTO_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=100_000_000)
# The memory one decode may take, in the web process or the worker: an upload whose decode would
# need more (estimated from its header, photos.imaging.decode_megabytes) is refused (413), and the
# worker decodes each photo in a child process limited to this much more address space and to
# PHOTO_MAX_DECODE_SECONDS; a decode over either is an attempt that failed.
PHOTO_MAX_DECODE_MB = env.int("PHOTO_MAX_DECODE_MB", default=576)
PHOTO_MAX_DECODE_SECONDS = env.int("PHOTO_MAX_DECODE_SECONDS", default=30)
if not 0 < PHOTO_MAX_DECODE_SECONDS < CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "PHOTO_MAX_DECODE_SECONDS must be positive and below CELERY_TASK_SOFT_TIME_LIMIT."
    )
# QC runs of a photo that may start (a claim is an attempt) before the photo ends ERROR: a decode
# over its limits, or a worker killed or timed out in the middle, is tried again until then.
PHOTO_QC_MAX_ATTEMPTS = env.int("PHOTO_QC_MAX_ATTEMPTS", default=3)
if PHOTO_QC_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("PHOTO_QC_MAX_ATTEMPTS must be at least 1.")
# Request bodies over these sizes are refused (413) before Django reads them, by
# propflow.request_limits in front of it: the photo upload may carry a photo and its form,
# anything else 1 MB. (A proxy in front should refuse them too: see the README.)
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1024 * 1024)
REQUEST_MAX_BODY_BYTES_BY_PATH = {
    r"^/api/v1/properties/[0-9a-fA-F-]{36}/photos/?$": PHOTO_MAX_UPLOAD_BYTES + 1024 * 1024,
}
# Uploads above this size are spooled to a temporary file instead of memory (Django's default,
# stated here because the photo upload relies on it); DATA_UPLOAD_MAX_MEMORY_SIZE bounds the
# non-file part of a request body, and the photo upload refuses a file over
# PHOTO_MAX_UPLOAD_BYTES as it is parsed (413).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A photo whose QC has been PENDING or RUNNING this long is re-queued by the sweep (and a RUNNING
# claim this old may be taken over): longer than a task may run, so that no live run is raced.
PHOTO_QC_STUCK_SECONDS = env.int("PHOTO_QC_STUCK_SECONDS", default=300)
if PHOTO_QC_STUCK_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("PHOTO_QC_STUCK_SECONDS must exceed CELERY_TASK_TIME_LIMIT.")
# QC thresholds: each one set overrides its default in photos.qc.Thresholds, where the defaults
# were measured; None keeps the default (photos.selectors.qc_thresholds applies them).
PHOTO_QC_MAX_DISTANCE_KM = env.float("PHOTO_QC_MAX_DISTANCE_KM", default=None)
PHOTO_QC_MAX_AGE_HOURS = env.float("PHOTO_QC_MAX_AGE_HOURS", default=None)
PHOTO_QC_MIN_WIDTH = env.int("PHOTO_QC_MIN_WIDTH", default=None)
PHOTO_QC_MIN_HEIGHT = env.int("PHOTO_QC_MIN_HEIGHT", default=None)
PHOTO_QC_DHASH_NEAR_DISTANCE = env.int("PHOTO_QC_DHASH_NEAR_DISTANCE", default=None)
PHOTO_QC_SHARPNESS_MIN_VARIANCE = env.float("PHOTO_QC_SHARPNESS_MIN_VARIANCE", default=None)
PHOTO_QC_CLOCK_SKEW_MINUTES = env.float("PHOTO_QC_CLOCK_SKEW_MINUTES", default=None)
PHOTO_QC_THUMBNAIL_MISMATCH_DISTANCE = env.int("PHOTO_QC_THUMBNAIL_MISMATCH_DISTANCE", default=None)
# Content Credentials (C2PA) are verified offline against these trust anchors: a PEM file (the
# official C2PA trust list in production); empty trusts no signer, so a good signature reads
# "valid", never "trusted". C2PA_TRUST_CONFIG is the allowed extended key usages (c2pa's
# trust_config format, one OID a line); empty keeps the library's list.
C2PA_TRUST_ANCHORS = env.str("C2PA_TRUST_ANCHORS", default="")
C2PA_TRUST_CONFIG = env.str("C2PA_TRUST_CONFIG", default="")
for _name, _path in (
    ("C2PA_TRUST_ANCHORS", C2PA_TRUST_ANCHORS),
    ("C2PA_TRUST_CONFIG", C2PA_TRUST_CONFIG),
):
    if _path and not Path(_path).is_file():
        raise ImproperlyConfigured(f"{_name} names no file: {_path}")
