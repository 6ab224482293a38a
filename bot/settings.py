"""Settings from the environment and `.env`; production refuses to start half-configured."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/altum.db"
PLACEHOLDERS = {"", "changeme", "change-me", "placeholder", "secret", "xxx", "todo", "demo"}
# The emulator's demo token: real enough for aiogram, worthless anywhere else.
DEMO_BOT_TOKEN = "123456789:DEMO-altum-emulator-token-not-for-production"  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class InsecureSettings(ValueError):
    """Raised when production settings are missing a secret or carry something demo-only."""


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
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/telegram/webhook"
    handler_concurrency: int = Field(default=32, ge=1, le=1000)
    # How long replies stay reserved for the process that committed them before any sweeper
    # may send them (they are normally sent within milliseconds).
    outbox_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    log_level: str = "INFO"
    log_json: bool = False
    demo_mode: bool = False

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
        if problems:
            raise InsecureSettings("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def is_production(self) -> bool:
        return self.app_env is Environment.PRODUCTION

    @property
    def webhook_url(self) -> str:
        return self.public_url + self.webhook_path


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDERS or len(value.strip()) < 16
