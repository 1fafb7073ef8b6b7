"""Default configuration: safe for development, no secrets; production overrides come from the environment."""
from __future__ import annotations

from datetime import timedelta

#: The development secret. A production configuration refuses to start with it.
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


class DefaultConfig:
    """Values every deployment starts from; instance/config.py and EVALSYS_* variables override them."""

    ENV_NAME = "development"  # "production" switches on the start-up refusals and Secure cookies
    SECRET_KEY = DEFAULT_SECRET_KEY
    # Key of the audit chain's HMAC; kept outside the database. Derived from SECRET_KEY when unset.
    AUDIT_HMAC_KEY: str | None = None
    DEBUG = False
    TESTING = False

    SQLALCHEMY_DATABASE_URI: str | None = None  # None → sqlite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLITE_BUSY_TIMEOUT_MS = 30_000

    # Folders of indicator systems and of the Alembic scripts. None → the project's criteria/ and
    # migrations/: the checkout's, or the copies an installed wheel carries (evalsys/resources.py).
    CRITERIA_DIR: str | None = None
    MIGRATIONS_DIR: str | None = None

    # Sessions (security.md): idle 30 minutes, absolute 12 hours, rotated at login.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_NAME = "evalsys_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # CSRF tokens live as long as the session; the idle timeout is enforced server-side instead.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True

    # Lockout: the 5th failure within 15 minutes locks for 15 minutes.
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_WINDOW = timedelta(minutes=15)
    LOCKOUT_DURATION = timedelta(minutes=15)
    # Per-IP throttle on the login form: generous, a whole department may share one address.
    LOGIN_RATE_LIMIT = "60 per minute;600 per hour"
    RATELIMIT_STORAGE_URI = "memory://"  # set to redis://host:6379/0 when several workers share it
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    # Number of reverse-proxy hops whose X-Forwarded-For is trusted (0 = use the socket address).
    PROXY_HOPS = 0

    # Second factor (TOTP) for admin, security admin, auditor and authority accounts. With
    # REQUIRE_TOTP (EVALSYS_REQUIRE_TOTP=true) those accounts must enrol before anything else.
    REQUIRE_TOTP = False
    # Key encrypting the TOTP secrets at rest; derived from SECRET_KEY when unset (changing the key
    # means every second factor has to be reset by the security admin).
    TOTP_ENCRYPTION_KEY: str | None = None
    TOTP_ISSUER = "evalsys"
    # Time allowed between the password step and the code step.
    TOTP_PENDING_TIMEOUT = timedelta(minutes=5)

    # argon2id, at or above the OWASP minimum (m=19 MiB, t=2, p=1).
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST_KIB = 19 * 1024
    ARGON2_PARALLELISM = 1

    MAX_CONTENT_LENGTH = 21 * 1024 * 1024  # one 20 MB file plus the form around it
    UPLOAD_MAX_BYTES = 20 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "简体中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None

    # Email: nothing is queued or sent unless MAIL_SERVER is set.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "evalsys@localhost"
    MAIL_MAX_ATTEMPTS = 5
    PUBLIC_BASE_URL = ""  # e.g. https://evalsys.example.gov.cn, used for links in emails
    PASSWORD_RESET_RATE_LIMIT = "5 per minute;30 per hour"  # reset requests per client address

    # Subsidy funds (domain.md §8): a refused over-spend or only a flag; the large single payment; import limits.
    FUNDS_OVER_RECEIVED_IS_FLAG = False
    FUNDS_LARGE_PAYMENT_FEN = 50_000_000
    FUNDS_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    FUNDS_IMPORT_MAX_UNCOMPRESSED = 20 * 1024 * 1024
    FUNDS_IMPORT_MAX_ROWS = 2001

    PAGE_SIZE = 25
    AUDIT_EXPORT_MAX_ROWS = 100_000


class ProductionDefaults:
    """Overrides applied when ENV_NAME is production."""

    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
