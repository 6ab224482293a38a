"""Settings from the environment and `.env`; production refuses to start half-configured."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.file_settings import FileSettings
from integrations.identity.xmlenc import load_private_keys
from portal import quiet_hours
from portal.model import MAX_LOGIN_LINK_MINUTES, ReminderPolicy, TimeLimits

DEFAULT_DATABASE_URL = "sqlite:///./var/altum.db"
PLACEHOLDERS = {"", "changeme", "change-me", "placeholder", "secret", "xxx", "todo", "demo"}
# The emulator's demo token: real enough for aiogram, worthless anywhere else.
DEMO_BOT_TOKEN = "123456789:DEMO-altum-emulator-token-not-for-production"  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettings(ValueError):
    """Raised when production settings are missing a secret or carry something demo-only."""


class IdentitySettings(BaseSettings):
    """IDENTITY_PROVIDER: who tells us who a person is (`demo` only with DEMO_MODE on)."""

    model_config = SettingsConfigDict(env_prefix="IDENTITY_", env_file=".env", extra="ignore")

    provider: Literal["oidc", "latvija", "demo"] = "demo"
    login_link_minutes: int = Field(default=10, ge=1, le=MAX_LOGIN_LINK_MINUTES)
    # The browser's round trip through the provider (its login page, a bank's app).
    login_flow_minutes: int = Field(default=10, ge=1, le=60)


class OidcSettings(BaseSettings):
    """OpenID Connect (eParaksts, or a broker such as Keycloak in front of Latvija.lv)."""

    model_config = SettingsConfigDict(env_prefix="OIDC_", env_file=".env", extra="ignore")

    issuer: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    preset: Literal["eparaksts", "generic"] = "eparaksts"
    personal_code_claim: str = "personal_code"
    # `generic`: the claim in which the broker passes on who logged in: Latvija.lv's
    # NameIdentifier (`PK:<code>`, `PK:<code>-UR:<regno>`, `DP:…`, `AU:…`) as it was sent, or,
    # when `natural_person_types` is set, a subject type. Without it the login is refused.
    subject_claim: str = "name_identifier"
    natural_person_types: str = ""  # comma-separated values of a subject-type claim
    scope: str = ""  # empty: the preset's (eParaksts: `openid urn:lvrtc:fpeil:aa`)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # For providers without discovery: all of authorization and token (userinfo, jwks_uri
    # as needed) instead of `{issuer}/.well-known/openid-configuration`.
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    userinfo_endpoint: str = ""
    jwks_uri: str = ""
    # eParaksts may answer without an ID token: then read the person from userinfo.
    userinfo_only: bool = False


class LatvijaSettings(BaseSettings):
    """Latvija.lv WS-Federation with a SAML 1.1 assertion."""

    model_config = SettingsConfigDict(env_prefix="LATVIJA_", env_file=".env", extra="ignore")

    sts_url: str = ""
    realm: str = ""
    issuer: str = "http://www.latvija.lv/sts"
    certificate: Path | None = None  # PEM of the certificate that signs the assertions
    # PEM of our own RSA private key(s), for tokens encrypted to our certificate (a secret).
    private_key: Path | None = None
    # RSA PKCS#1 v1.5 key transport (Bleichenbacher-prone): only if the STS cannot do OAEP.
    allow_rsa_1_5: bool = False


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMTP_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    user: str = ""
    password: SecretStr = SecretStr("")
    from_: str = Field(default="ALTUM <noreply@localhost>", alias="SMTP_FROM")
    tls: Literal["none", "starttls", "ssl"] = "none"
    timeout_seconds: float = Field(default=20.0, gt=0, le=120)


class RegistrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", env_file=".env", extra="ignore")

    confirmation_hours: int = Field(default=24, ge=1, le=24 * 14)
    # Company Register's `representation_with_at_least` = N: whether N counts the *other*
    # signatories (sign with at least N others) or all of them: the register does not say.
    at_least_counts: Literal["others", "total"] = "others"
    # `required`: a company registration (matched to a signatory by name and six digits of the
    # code only) lets its registrant look and prepare, but nothing is signed or submitted in
    # the client's name until ALTUM approves it through the API. `off`: it acts at once.
    review: Literal["required", "off"] = "required"


class ApiSettings(BaseSettings):
    """The back-office API (api/) under PUBLIC_URL/api/v1."""

    model_config = SettingsConfigDict(env_prefix="API_", env_file=".env", extra="ignore")

    # Per token: a bucket of `rate_burst` requests refilled at `rate_per_second`; in this
    # process, or shared by all processes through Redis when REDIS_URL is set.
    rate_per_second: float = Field(default=50.0, gt=0, le=100_000)
    rate_burst: int = Field(default=100, ge=1, le=100_000)
    # Long polls of the event feed: the longest wait, and how often a waiting poll looks for
    # events committed by other processes (this process's own commits wake it at once).
    max_wait_seconds: float = Field(default=30.0, ge=0, le=60)
    recheck_seconds: float = Field(default=1.0, gt=0, le=30)
    # API requests in a database transaction at once per process; more wait their turn
    # without a connection, so API floods leave the chat its connections.
    concurrency: int = Field(default=8, ge=1, le=200)
    # Of those, write transactions (batches of writes, api/batch.py) at once on PostgreSQL
    # (on SQLite one): fewer, larger batches leave PostgreSQL's backends and the cores to
    # the chat; 2 served 500 writes/s as 8 did, with the chat's p99 lower (docs/performance.md).
    write_transactions: int = Field(default=2, ge=1, le=200)
    # Write requests queue for a shared transaction (api/batch.py); once the queue holds more
    # than this many seconds of writes (at the rate they are served), new ones are answered
    # 503 with Retry-After (load shedding): a backlog of API writes cannot take the chat's
    # latency with it.
    shed_after_seconds: float = Field(default=1.0, ge=0, le=60)
    # Before each write batch, wait up to this long for the chat's updates in the database to
    # finish (0: not at all): the API's transactions fill the chat's pauses rather than
    # compete with its updates, and go fuller (docs/performance.md).
    yield_to_chat_ms: float = Field(default=20.0, ge=0, le=1000)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_nested_delimiter="__"
    )

    app_env: Environment = Environment.DEVELOPMENT
    bot_token: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = DEFAULT_DATABASE_URL
    redis_url: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8080"
    webhook_secret: SecretStr = SecretStr("")
    # One web server for the login pages, e-mail confirmations, health and (in webhook mode)
    # Telegram's webhook; `altum-bot run` and `altum-bot webhook` both serve it.
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    webhook_path: str = "/telegram/webhook"
    identity: IdentitySettings = Field(default_factory=lambda: IdentitySettings())
    oidc: OidcSettings = Field(default_factory=lambda: OidcSettings())
    latvija: LatvijaSettings = Field(default_factory=lambda: LatvijaSettings())
    smtp: SmtpSettings = Field(default_factory=lambda: SmtpSettings())
    registration: RegistrationSettings = Field(default_factory=lambda: RegistrationSettings())
    api: ApiSettings = Field(default_factory=lambda: ApiSettings())
    files: FileSettings = Field(default_factory=lambda: FileSettings())
    handler_concurrency: int = Field(default=32, ge=1, le=1000)
    # How long replies stay reserved for the process that committed them before any sweeper
    # may send them (they are normally sent within milliseconds).
    outbox_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    # How often expired login links/flows and unconfirmed registrations are deleted.
    housekeeping_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Attempts at an update whose handling fails before it is set aside in quarantine; at
    # least two, so that one passing hiccup never sets an update aside.
    update_attempts: int = Field(default=3, ge=2, le=10)
    # Operators' metrics (Prometheus) on a listener of their own; off unless a port is set.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_token: SecretStr = SecretStr("")  # when set, scrapes need `Bearer <token>`
    log_level: str = "INFO"
    log_json: bool = False
    demo_mode: bool = False
    # ALTUM's client support, as «Palīdzība» and the user guide name it (ALTUM's public
    # contacts on altum.lv; unconfirmed as the right line for portal users, hence settings).
    support_phone: str = "+371 67774010"
    support_email: str = "altum@altum.lv"
    # Applications (issue 9): how long a signer has to confirm their identity at the provider
    # after pressing «Parakstīt».
    signature_confirmation_minutes: int = Field(default=5, ge=1, le=10)
    # Pushes (notices, reminders) all processes together may send a second; Telegram allows
    # about 30. Each chat gets at most one a second whatever this says.
    push_rate_per_second: float = Field(default=25.0, gt=0, le=30)
    # Reminders: never in the quiet hours (Europe/Riga, "HH:MM-HH:MM", "" for none), the
    # first this long after the cause, then every so many hours, at most so many times.
    reminder_quiet_hours: str = "21:00-08:00"
    reminder_first_delay_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    reminder_repeat_hours: int = Field(default=24, ge=1, le=24 * 30)
    reminder_max_count: int = Field(default=3, ge=1, le=50)
    invoice_reminder_days_before: int = Field(default=3, ge=0, le=60)
    reminder_check_seconds: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("reminder_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        quiet_hours.parse(value)  # raises ValueError naming what is wrong
        return value

    @property
    def reminder_policy(self) -> ReminderPolicy:
        return ReminderPolicy(
            quiet_hours=quiet_hours.parse(self.reminder_quiet_hours),
            first_delay=timedelta(minutes=self.reminder_first_delay_minutes),
            repeat=timedelta(hours=self.reminder_repeat_hours),
            max_count=self.reminder_max_count,
            invoice_days_before=self.invoice_reminder_days_before,
        )

    @field_validator("telegram_api_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _fail_closed_in_production(self) -> Self:
        if self.app_env is not Environment.PRODUCTION:
            return self
        problems = []
        for name in ("bot_token", "webhook_secret"):
            secret: SecretStr = getattr(self, name)
            if _is_placeholder(secret.get_secret_value()):
                problems.append(f"{name.upper()} is missing or a placeholder")
        if self.bot_token.get_secret_value() == DEMO_BOT_TOKEN:
            problems.append("BOT_TOKEN is the demo token")
        if self.demo_mode:
            problems.append("DEMO_MODE is on")
        if self.database_url.startswith("sqlite"):
            problems.append("DATABASE_URL points at SQLite; production runs on PostgreSQL")
        if not self.public_url.startswith("https://"):
            problems.append("PUBLIC_URL must be https://")
        if not self.telegram_api_url.startswith("https://"):
            problems.append("TELEGRAM_API_URL must be https:// (the emulator is demo-only)")
        problems.extend(self._identity_problems())
        problems.extend(self.files.production_problems())
        if self.smtp.tls == "none":
            problems.append("SMTP_TLS is none; use starttls or ssl")
        if self.smtp.user and _is_placeholder(self.smtp.password.get_secret_value()):
            problems.append("SMTP_PASSWORD is missing or a placeholder")
        if "localhost" in self.smtp.from_:
            problems.append("SMTP_FROM is not set")
        exposed = self.metrics_port is not None and not _is_loopback(self.metrics_host)
        if exposed and _is_placeholder(self.metrics_token.get_secret_value()):
            problems.append(
                "METRICS_TOKEN is missing or a placeholder while METRICS_HOST is reachable "
                "from other machines"
            )
        if problems:
            raise InsecureSettings("refusing to start in production: " + "; ".join(problems))
        return self

    def _identity_problems(self) -> list[str]:
        provider = self.identity.provider
        if provider == "demo":
            return ["IDENTITY_PROVIDER is demo; choose oidc or latvija"]
        if provider == "oidc":
            problems = []
            if not self.oidc.issuer.startswith("https://"):
                problems.append("OIDC_ISSUER must be https://")
            if not self.oidc.client_id:
                problems.append("OIDC_CLIENT_ID is missing")
            if _is_placeholder(self.oidc.client_secret.get_secret_value()):
                problems.append("OIDC_CLIENT_SECRET is missing or a placeholder")
            for name in (
                "authorization_endpoint",
                "token_endpoint",
                "userinfo_endpoint",
                "jwks_uri",
            ):
                value = getattr(self.oidc, name)
                if value and not value.startswith("https://"):
                    problems.append(f"OIDC_{name.upper()} must be https://")
            return problems
        problems = []
        if not self.latvija.sts_url.startswith("https://"):
            problems.append("LATVIJA_STS_URL must be https://")
        if not self.latvija.realm:
            problems.append("LATVIJA_REALM is missing")
        if self.latvija.certificate is None or not self.latvija.certificate.is_file():
            problems.append("LATVIJA_CERTIFICATE must name the signing certificate's PEM file")
        if self.latvija.private_key is not None:
            try:
                load_private_keys(self.latvija.private_key.read_bytes())
            except (OSError, ValueError, TypeError):
                problems.append(
                    "LATVIJA_PRIVATE_KEY must name a readable PEM file of an unencrypted RSA "
                    "private key of at least 2048 bits"
                )
        return problems

    @property
    def limits(self) -> TimeLimits:
        """Every time limit the portal applies, from these settings alone."""
        return TimeLimits(
            login_link=timedelta(minutes=self.identity.login_link_minutes),
            login_flow=timedelta(minutes=self.identity.login_flow_minutes),
            confirmation=timedelta(hours=self.registration.confirmation_hours),
        )

    @property
    def is_production(self) -> bool:
        return self.app_env is Environment.PRODUCTION

    @property
    def webhook_url(self) -> str:
        return self.public_url + self.webhook_path


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or len(value.strip()) < 16
