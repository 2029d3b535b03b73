"""Typed settings from the environment, in one place.

Every process (web, worker, beat, CLI, tests) imports `get_settings()`; nothing else reads
`os.environ` for configuration. The environment is production unless `ORGONAUT_ENV` says demo (the dev
stack sets it) or test (the test suite): production refuses to start without encryption keys or with
a vendor base URL that is not https, since a real Admin key would go there. The other defaults are the
embedded demo's: a SQLite file under `var/`, Redis on loopback, the simulators on loopback.
Secrets and URLs that may hold passwords never appear in the settings' repr.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
DEMO_SECRET_FILE = VAR_DIR / "secret-keys"


def _local_timezone() -> str:
    """The machine's IANA zone name, or UTC when it cannot be told."""
    try:
        link = Path("/etc/localtime").resolve()
        parts = link.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1 :])
    except OSError:
        pass
    tz_file = Path("/etc/timezone")
    if tz_file.exists():
        return tz_file.read_text().strip() or "UTC"
    return "UTC"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    environment: Literal["production", "demo", "test"] = Field("production", alias="ORGONAUT_ENV")
    database_url: str = Field(f"sqlite:///{VAR_DIR / 'orgonaut.db'}", alias="ORGONAUT_DATABASE_URL", repr=False)
    redis_url: str = Field("redis://127.0.0.1:6379", alias="REDIS_URL", repr=False)
    # Reflex state and Celery live in separate Redis databases so a flush of one never hits the other.
    redis_state_db: int = Field(0, alias="ORGONAUT_REDIS_STATE_DB")
    redis_celery_db: int = Field(1, alias="ORGONAUT_REDIS_CELERY_DB")
    redis_locks_db: int = Field(2, alias="ORGONAUT_REDIS_LOCKS_DB")
    secret_keys: SecretStr = Field(SecretStr(""), alias="ORGONAUT_SECRET_KEYS")
    timezone: str = Field(default_factory=_local_timezone, alias="ORGONAUT_TIMEZONE")
    # Unset: the vendor's own API in production (each client's DEFAULT_API_BASE), the loopback simulator
    # in demo and test.
    anthropic_api_base: str = Field("", alias="ANTHROPIC_API_BASE")
    cursor_api_base: str = Field("", alias="CURSOR_API_BASE")
    codex_api_base: str = Field("", alias="CODEX_API_BASE")
    github_api_base: str = Field("", alias="GITHUB_API_BASE")
    claude_enterprise_api_base: str = Field("", alias="CLAUDE_ENTERPRISE_API_BASE")
    # Cursor's per-team limits (documented: 20 a minute for daily usage and most endpoints, 60 for usage
    # events); every worker's requests share them (`orgonaut.ratelimit`). Raise them only with Cursor.
    cursor_requests_per_minute: int = Field(20, alias="CURSOR_REQUESTS_PER_MINUTE", ge=1)
    cursor_events_requests_per_minute: int = Field(60, alias="CURSOR_EVENTS_REQUESTS_PER_MINUTE", ge=1)
    smtp_url: str = Field("smtp://127.0.0.1:8025", alias="ORGONAUT_SMTP_URL", repr=False)
    mail_from: str = Field("Orgonaut <alerts@orgonaut.local>", alias="ORGONAUT_MAIL_FROM")
    base_url: str = Field("http://localhost:3000", alias="ORGONAUT_BASE_URL")
    port: int = Field(3000, alias="ORGONAUT_PORT")
    # Days before the last complete one that each nightly reconcile fetches again (vendors revise
    # recent days); at least 1, so a day first fetched while incomplete is always fetched once more.
    lookback_days: int = Field(7, alias="ORGONAUT_AI_TOOLING_LOOKBACK_DAYS", ge=1, le=31)
    # How long a sync run's Redis lock lives unless renewed (tests shorten it to provoke expiry).
    sync_lock_ttl_seconds: int = Field(20, alias="ORGONAUT_SYNC_LOCK_TTL_SECONDS", ge=2, le=600)
    # The broker's redelivery time for an unacknowledged task; every task limit stays well inside it.
    celery_visibility_timeout: int = Field(3600, alias="ORGONAUT_CELERY_VISIBILITY_TIMEOUT", ge=10)
    # The first day a backfill may ask for; a provider's own earliest day wins where it is later
    # (`ai_tooling.run_control.earliest_backfill_date`).
    ai_tooling_earliest_date: dt.date = Field(dt.date(2024, 1, 1), alias="ORGONAUT_AI_TOOLING_EARLIEST_DATE")
    alert_cooldown_hours: float = Field(24, alias="ORGONAUT_ALERT_COOLDOWN_HOURS", gt=0)
    session_days: int = Field(14, alias="ORGONAUT_SESSION_DAYS", ge=1)
    # A login session ends after this many hours without use (and after `session_days` in any case).
    session_idle_hours: int = Field(24, alias="ORGONAUT_SESSION_IDLE_HOURS", ge=1, le=24 * 90)
    # Login throttling (tenancy/login_guard.py): checked before any password hashing.
    login_free_failures: int = Field(3, alias="ORGONAUT_LOGIN_FREE_FAILURES", ge=1)
    login_max_delay_seconds: int = Field(60, alias="ORGONAUT_LOGIN_MAX_DELAY_SECONDS", ge=1, le=3600)
    login_window_minutes: int = Field(15, alias="ORGONAUT_LOGIN_WINDOW_MINUTES", ge=1)
    login_attempts_per_ip_per_minute: int = Field(20, alias="ORGONAUT_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", ge=1)
    login_attempts_per_minute: int = Field(600, alias="ORGONAUT_LOGIN_ATTEMPTS_PER_MINUTE", ge=1)
    login_hash_concurrency: int = Field(2, alias="ORGONAUT_LOGIN_HASH_CONCURRENCY", ge=1, le=64)
    # Reverse proxies in front of the web process: the client address (for the login limits) is then
    # read from X-Forwarded-For, which is trusted only that many hops deep. 0: the socket's peer.
    trusted_proxy_hops: int = Field(0, alias="ORGONAUT_TRUSTED_PROXY_HOPS", ge=0, le=10)
    # workers/kombu_patch.py (review R3). Off only to check whether a new celery/kombu still needs it:
    # `ORGONAUT_KOMBU_PATCH=0 pytest tests/failover` must then fail.
    kombu_patch: bool = Field(True, alias="ORGONAUT_KOMBU_PATCH")
    # Test instrumentation only (orgonaut/faultpoints.py): where the failover suite kills a worker.
    faultpoints: str = Field("", alias="ORGONAUT_FAULTPOINTS")
    faultpoints_dir: str = Field("", alias="ORGONAUT_FAULTPOINTS_DIR")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises a clear error for an unknown zone
        return value

    @model_validator(mode="after")
    def _safe_in_production(self) -> Self:
        if self.environment != "production":
            self.anthropic_api_base = self.anthropic_api_base or "http://127.0.0.1:8765"
            self.cursor_api_base = self.cursor_api_base or "http://127.0.0.1:8766"
            self.codex_api_base = self.codex_api_base or "http://127.0.0.1:8768"
            self.github_api_base = self.github_api_base or "http://127.0.0.1:8767"
            self.claude_enterprise_api_base = self.claude_enterprise_api_base or "http://127.0.0.1:8769"
            return self
        if not self._key_list():
            raise ValueError("ORGONAUT_SECRET_KEYS is not set: refusing to run without an encryption key "
                             "(ORGONAUT_ENV=demo or test uses a generated one)")
        for name, url in (("ANTHROPIC_API_BASE", self.anthropic_api_base), ("CURSOR_API_BASE", self.cursor_api_base),
                          ("CODEX_API_BASE", self.codex_api_base), ("GITHUB_API_BASE", self.github_api_base),
                          ("CLAUDE_ENTERPRISE_API_BASE", self.claude_enterprise_api_base)):
            if url and not url.startswith("https://"):
                raise ValueError(f"{name} must be an https:// URL in production (it is sent an admin key); "
                                 "leave it unset for the vendor's own, or set ORGONAUT_ENV=demo for the simulators")
        return self

    def _key_list(self) -> list[str]:
        return [k.strip() for k in self.secret_keys.get_secret_value().split(",") if k.strip()]

    def redis_db_url(self, db: int) -> str:
        return redis_url_with_db(self.redis_url, db)

    @property
    def celery_broker_url(self) -> str:
        return self.redis_db_url(self.redis_celery_db)

    @property
    def redis_state_url(self) -> str:
        return self.redis_db_url(self.redis_state_db)

    @property
    def redis_locks_url(self) -> str:
        return self.redis_db_url(self.redis_locks_db)

    @property
    def allowed_origins(self) -> list[str]:
        """Where pages may open the app's WebSocket (and call the API) from: the app's own URL; in demo
        and test also its loopback twin (localhost and 127.0.0.1 name one machine)."""
        origin = self.base_url.rstrip("/")
        origins = [origin]
        if self.environment != "production":
            for a, b in (("//localhost", "//127.0.0.1"), ("//127.0.0.1", "//localhost")):
                if a in origin:
                    origins.append(origin.replace(a, b))
        return origins

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def fernet_keys(self) -> list[str]:
        """Fernet keys, newest first; demo and test generate one when none is set."""
        return self._key_list() or [_demo_secret_key()]  # production has keys (checked at load)


def redis_url_with_db(url: str, db: int) -> str:
    """The same server with database `db` (an explicit number in `url` is replaced)."""
    base = url.rstrip("/")
    head, _, tail = base.rpartition("/")
    if tail.isdigit() and head.count("/") >= 2:
        base = head
    return f"{base}/{db}"


def _demo_secret_key() -> str:
    """A generated key kept in a git-ignored file, so demo secrets survive restarts."""
    from cryptography.fernet import Fernet

    if DEMO_SECRET_FILE.exists():
        return DEMO_SECRET_FILE.read_text().strip().split(",")[0]
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    DEMO_SECRET_FILE.write_text(key)
    DEMO_SECRET_FILE.chmod(0o600)
    return key


@functools.cache
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests change the environment and call this to reload."""
    get_settings.cache_clear()
