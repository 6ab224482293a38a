"""FILES_… settings: the store's directory and the limits that are settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.file_settings import FileSettings
from portal.documents import MIB, DocumentRules


def test_defaults_are_the_manuals_limits() -> None:
    settings = FileSettings(_env_file=None)
    assert settings.rules() == DocumentRules()
    assert (settings.rules().min_bytes, settings.rules().max_bytes) == (1024, 20 * MIB)


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILES_DIR", "/srv/altum/files")
    monkeypatch.setenv("FILES_MIN_BYTES", "1000")
    monkeypatch.setenv("FILES_PHOTO_MIN_SIDE", "1000")
    settings = FileSettings(_env_file=None)
    assert settings.dir == Path("/srv/altum/files")
    assert (settings.rules().min_bytes, settings.rules().photo_min_side) == (1000, 1000)
    assert settings.production_problems() == []


def test_production_wants_an_absolute_directory() -> None:
    assert FileSettings(_env_file=None).production_problems() == [
        "FILES_DIR must be an absolute path outside anything a web server serves"
    ]


def test_limits_are_bounded() -> None:
    with pytest.raises(ValidationError):
        FileSettings(_env_file=None, max_bytes=1)
    with pytest.raises(ValidationError):
        FileSettings(_env_file=None, min_bytes=0)
