"""FILES_…: where received documents are kept and the limits that are settings
(`Settings.files`; `production_problems()` is part of the production check)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from portal.documents import KIB, MIB, DocumentRules


class FileSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FILES_", env_file=".env", extra="ignore")

    # Outside anything a web server serves; files come back only through the bot.
    dir: Path = Path("var/files")
    # "At least 1 KB", as the portal's manual says: 1000 or 1024 bytes is unconfirmed.
    min_bytes: int = Field(default=KIB, ge=1, le=64 * KIB)
    # 20 MiB is what Telegram's cloud Bot API lets a bot download; more needs a local Bot API.
    max_bytes: int = Field(default=20 * MIB, ge=MIB, le=2000 * MIB)
    # A picture's shorter side in pixels below which it gets the "hard to read" warning.
    photo_min_side: int = Field(default=800, ge=1, le=10_000)
    # The sweeper (bot/ops/file_sweeper.py): how often it looks, and how old a stored file
    # that nothing names (or a staged leftover) must be before it goes. The grace covers an
    # upload stored but not yet written into a row; never under an hour.
    sweep_seconds: float = Field(default=3600.0, ge=60, le=7 * 86_400)
    sweep_grace_hours: float = Field(default=24.0, ge=1, le=24 * 365)

    def rules(self) -> DocumentRules:
        return DocumentRules(
            min_bytes=self.min_bytes, max_bytes=self.max_bytes, photo_min_side=self.photo_min_side
        )

    def production_problems(self) -> list[str]:
        if not self.dir.is_absolute():
            return ["FILES_DIR must be an absolute path outside anything a web server serves"]
        return []
