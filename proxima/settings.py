"""Django settings for Proxima, read from the environment.

Every setting that differs between a laptop and production comes from an
environment variable, so one code base serves both (twelve-factor style):

- ``DATABASE_URL``: database, default a SQLite file under ``var/``;
- ``PROXIMA_SECRET_KEY``: secret key, default a key generated once and kept
  in ``var/secret_key``;
- ``PROXIMA_DEBUG``: ``1`` to turn debug on (off by default);
- ``PROXIMA_ALLOWED_HOSTS``: comma-separated host names;
- ``PROXIMA_VAR_DIR``: where the SQLite file, the secret key, uploaded files
  and collected static files live;
- ``PROXIMA_HTTPS``: ``1`` behind HTTPS (secure cookies, HSTS);
- ``PROXIMA_EMAIL_BACKEND``: Django e-mail backend, default the console;
- ``PROXIMA_BASE_URL``: the site's address (``https://proxima.example.org``), for the links in
  e-mails sent by commands; without it, e-mails name the page instead of linking to it;
- ``PROXIMA_OSRM_URL``: an OSRM server (``http://host:5000``) for the bus's travel times;
  without it, great-circle distance × ``PROXIMA_DETOUR_FACTOR`` (1.3) at ``PROXIMA_SPEED_KMH`` (50).
"""

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _default_var_dir() -> Path:
    # In a source checkout keep var/ beside pyproject.toml, wherever the command is run from.
    checkout = PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.cwd() / "var"


VAR_DIR = Path(os.environ.get("PROXIMA_VAR_DIR") or _default_var_dir()).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = os.environ.get("PROXIMA_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Written with 0600 so other local users cannot forge sessions.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_flag("PROXIMA_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("PROXIMA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("PROXIMA_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs' assets locally instead of from a CDN
    "axes",
    "django_tasks",
    "django_tasks_db",
    "proxima.core",
    "proxima.accounts",
    "proxima.territory",
    "proxima.households",
    "proxima.imports",
    "proxima.needs",
    "proxima.agency",
    "proxima.offer",
    "proxima.outreach",
    "proxima.funding",
    "proxima.concierge",
    "proxima.billing",
    "proxima.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "proxima.accounts.middleware.AuditContextMiddleware",
    # Axes must come last: it turns repeated failed logins into a lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "proxima.urls"
WSGI_APPLICATION = "proxima.wsgi.application"

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
                "proxima.core.context_processors.organisation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'proxima.sqlite3'}",
        conn_max_age=int(os.environ.get("PROXIMA_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the task worker write to the same file: WAL lets readers go on
    # while one writer works, IMMEDIATE transactions avoid "database is locked" upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The cache holds the counts of the public forms' limits (proxima.core.throttle, the agency's booking pages): in
# the database, so that every web process counts the same visitor together (a cache in each process's memory
# would multiply the limits by the number of processes). Its table comes with the migrations (core 0001).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "proxima_cache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Login throttling (django-axes): 5 failures for one account from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # the login form's field; it holds the e-mail address
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

SESSION_COOKIE_AGE = 8 * 3600  # one working day
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_flag("PROXIMA_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at start-up when it is missing
MEDIA_ROOT = VAR_DIR / "media"  # uploaded import files: never served over HTTP
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("PROXIMA_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("PROXIMA_FROM_EMAIL", "Proxima <ne-pas-repondre@proxima.invalid>")
# The address of this Proxima as users reach it: links in e-mails sent by commands, which have no request.
PROXIMA_BASE_URL = os.environ.get("PROXIMA_BASE_URL", "").rstrip("/")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PROXIMA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PROXIMA_LOG_LEVEL", "WARNING")},
}

# Travel times of the mobile agency's bus (proxima.agency.travel).
PROXIMA_OSRM_URL = os.environ.get("PROXIMA_OSRM_URL", "")
PROXIMA_DETOUR_FACTOR = float(os.environ.get("PROXIMA_DETOUR_FACTOR", "1.3"))
PROXIMA_SPEED_KMH = float(os.environ.get("PROXIMA_SPEED_KMH", "50"))

# Pagination of every list page and API list.
PROXIMA_PAGE_SIZE = 50

# Map tiles (the only thing maps fetch from outside): OpenStreetMap's by default; a landlord may run its own
# tile server or use IGN's Géoplateforme. The attribution is HTML, shown in the corner of every map.
PROXIMA_TILE_URL = os.environ.get("PROXIMA_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
PROXIMA_TILE_ATTRIBUTION = os.environ.get(
    "PROXIMA_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',
)
