"""Settings for 承诺追踪, read from the environment; SQLite is the default."""

import os
import tempfile
from pathlib import Path

from commitments.engine.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise ValueError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "django_tables2",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "commitments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Django's session middleware, whose closing write waits out a busy database (commitments/middleware.py).
    "commitments.middleware.BusyTolerantSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before CSRF, which reads the POST first: an upload Django cannot parse gets a Chinese reason, not a 400.
    "commitments.middleware.UnparsableUploadMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "commitments.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "tracker.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

# PostgreSQL (or any database dj-database-url reads) in production: DATABASE_URL=postgres://user:pw@host:5432/db.
# Without it, SQLite in one file; the web process and Celery workers may share that file.
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    import dj_database_url

    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                # Writers take the lock when their transaction begins, so two processes (web and a
                # worker) never deadlock upgrading a read lock; WAL lets readers go on meanwhile.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
            # A file, not memory: the integration tests start a real Celery worker on the test database.
            # The process id keeps parallel test runs apart.
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", f"/tmp/tracker-test-{os.getpid()}.sqlite3")},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Chinese first and only: a browser asking for English still gets the Chinese interface.
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "admin:login"

# An upload the analyst must decide about (a near-copy of an imported report) waits here between two
# requests: a private folder (0700, files 0600), emptied of what is older than a day.
UPLOAD_HOLD_DIR = Path(
    env_str("UPLOAD_HOLD_DIR", "") or Path(tempfile.gettempdir()) / f"chengnuo-upload-hold-{os.getuid()}"
)

# An upload this large or larger is imported by a job (a worker; the embedded default: a thread of the
# server) while the page shows its progress; smaller ones are imported within the request.
IMPORT_JOB_MIN_BYTES = env_int("IMPORT_JOB_MIN_BYTES", 1024 * 1024)

# Reports larger than this are refused at import with a clear message.
REPORT_MAX_BYTES = env_int("REPORT_MAX_BYTES", 20 * 1024 * 1024)
# What a report may hold once unpacked (commitments.engine.ingest.readers.ReadLimits): beyond a
# limit it is refused with the reason, before it costs minutes or gigabytes.
REPORT_MAX_CHARS = env_int("REPORT_MAX_CHARS", 2_000_000)
REPORT_HTML_MAX_DEPTH = env_int("REPORT_HTML_MAX_DEPTH", 500)
REPORT_HTML_MAX_NODES = env_int("REPORT_HTML_MAX_NODES", 100_000)
REPORT_ZIP_MAX_MEMBER_BYTES = env_int("REPORT_ZIP_MAX_MEMBER_BYTES", 50 * 1024 * 1024)
REPORT_ZIP_MAX_RATIO = env_int("REPORT_ZIP_MAX_RATIO", 100)
# Pages of a scan read by OCR (Tesseract, seconds a page; in a job or at the command line, never in a request).
REPORT_OCR_MAX_PAGES = env_int("REPORT_OCR_MAX_PAGES", 300)
REPORT_ZIP_MAX_TOTAL_BYTES = env_int("REPORT_ZIP_MAX_TOTAL_BYTES", 100 * 1024 * 1024)

# Semantic similarity (USE embeddings) as one part of the evidence score; off: lexical parts only.
MATCH_EMBEDDINGS = env_bool("MATCH_EMBEDDINGS", True)

# Jobs (Celery). With REDIS_URL the broker is Redis and `celery -A tracker worker` runs the jobs; without it
# tasks run eagerly in the calling process, so `make demo` needs no server.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A job is acknowledged only after it finished: a worker killed mid-run leaves it to another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # An unacknowledged job is handed out again after this many seconds (longer than any run).
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3 * 3600),
    "socket_connect_timeout": 5,
}
# Enqueueing while Redis is down fails within a few seconds, so the user is told at once.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A running job that has not reported progress for this long is taken to be dead (its worker was killed).
MATCHING_RUN_STALE_SECONDS = env_int("MATCHING_RUN_STALE_SECONDS", 600)
# A queued job that no worker started within this long is sent again (its message was lost).
MATCHING_RUN_REQUEUE_SECONDS = env_int("MATCHING_RUN_REQUEUE_SECONDS", 1800)

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        # Tracebacks of failed imports go here, never to the person at the command line.
        "file": {
            "class": "logging.FileHandler",
            "filename": env_str("LOG_FILE", str(BASE_DIR / "tracker.log")),
            "formatter": "plain",
            "delay": True,
            "encoding": "utf-8",
        },
    },
    "loggers": {"commitments": {"handlers": ["file"], "level": LOG_LEVEL, "propagate": False}},
}

# Assessment export (django-import-export): control characters that PDF text sometimes carries would make
# the XLSX writer fail; they are escaped instead.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
