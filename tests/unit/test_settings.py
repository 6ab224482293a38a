from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from bot.file_settings import FileSettings
from bot.identity import create_identity_provider, form_origins
from bot.settings import (
    DEMO_BOT_TOKEN,
    IdentitySettings,
    LatvijaSettings,
    OidcSettings,
    Settings,
    SmtpSettings,
)
from integrations.identity.demo import DemoProvider
from integrations.identity.oidc import OidcProvider

GOOD_TOKEN = "7012345678:AAH0realLookingTokenWith35CharactersXYZ"
# Keyword arguments for Settings: values of many types, which pydantic validates.
PRODUCTION: dict[str, Any] = {
    "app_env": "production",
    "bot_token": GOOD_TOKEN,
    "webhook_secret": "b3kQ9xW2mN7pL4vR8sT1",
    "database_url": "postgresql://bot@db/altum",
    "public_url": "https://bot.example.lv",
    "identity": IdentitySettings(provider="oidc"),
    "oidc": OidcSettings(
        issuer="https://eidas.eparaksts.lv/trustedx-authserver/oauth/lvrtc-eipsign-as",
        client_id="altum-bot",
        client_secret="Zr8kP2qW9xL4mN7vB3tY",
    ),
    "smtp": SmtpSettings(
        host="smtp.example.lv",
        tls="starttls",
        user="bot",
        password="Hq3xZ8pL2mW9vN4kT7rB",
        SMTP_FROM="ALTUM <noreply@altum.lv>",
    ),
    "files": FileSettings(_env_file=None, dir=Path("/var/lib/altum/files")),
}


def test_production_settings_that_are_complete_are_accepted() -> None:
    settings = Settings(_env_file=None, **PRODUCTION)
    assert settings.is_production
    assert settings.webhook_url == "https://bot.example.lv/telegram/webhook"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"bot_token": ""}, "BOT_TOKEN is missing"),
        ({"webhook_secret": "changeme"}, "WEBHOOK_SECRET is missing or a placeholder"),
        ({"bot_token": DEMO_BOT_TOKEN}, "BOT_TOKEN is the demo token"),
        ({"demo_mode": True}, "DEMO_MODE is on"),
        ({"files": FileSettings(_env_file=None)}, "FILES_DIR must be an absolute path"),
        ({"database_url": "sqlite:///x.db"}, "points at SQLite"),
        ({"public_url": "http://bot.example.lv"}, "PUBLIC_URL must be https"),
        ({"telegram_api_url": "http://127.0.0.1:8081"}, "TELEGRAM_API_URL must be https"),
        ({"identity": IdentitySettings(provider="demo")}, "IDENTITY_PROVIDER is demo"),
        ({"oidc": OidcSettings(issuer="https://x", client_id="c")}, "OIDC_CLIENT_SECRET"),
        ({"identity": IdentitySettings(provider="latvija")}, "LATVIJA_CERTIFICATE"),
        ({"smtp": SmtpSettings(tls="none", SMTP_FROM="a@altum.lv")}, "SMTP_TLS is none"),
        ({"files": FileSettings(dir=Path("var/files"))}, "FILES_DIR must be an absolute path"),
    ],
)
def test_production_refuses_missing_secrets_and_demo_things(
    change: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Settings(_env_file=None, **{**PRODUCTION, **change})


def test_secrets_do_not_show_in_repr() -> None:
    settings = Settings(_env_file=None, **PRODUCTION)
    assert GOOD_TOKEN not in repr(settings)
    assert "b3kQ9xW2mN7pL4vR8sT1" not in str(settings.model_dump())


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9999/")
    settings = Settings(_env_file=None)
    assert settings.bot_token.get_secret_value() == GOOD_TOKEN
    assert settings.telegram_api_url == "http://127.0.0.1:9999"
    assert settings.database_url.startswith("sqlite")


def _latvija_production(tmp_path: Path, private_key: Path | None) -> dict[str, Any]:
    certificate = tmp_path / "sts.pem"
    certificate.write_text("-----BEGIN CERTIFICATE-----\n")  # only its presence is checked here
    return {
        **PRODUCTION,
        "identity": IdentitySettings(provider="latvija"),
        "latvija": LatvijaSettings(
            sts_url="https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx",
            realm="urn:federation:altum-bot",
            certificate=certificate,
            private_key=private_key,
        ),
    }


def _rsa_pem(bits: int) -> bytes:
    return rsa.generate_private_key(65537, bits).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_production_accepts_latvija_with_or_without_a_readable_private_key(tmp_path: Path) -> None:
    Settings(_env_file=None, **_latvija_production(tmp_path, None))
    key = tmp_path / "rp-key.pem"
    key.write_bytes(_rsa_pem(2048))
    settings = Settings(_env_file=None, **_latvija_production(tmp_path, key))
    assert settings.latvija.private_key == key and not settings.latvija.allow_rsa_1_5


@pytest.mark.parametrize(
    "content",
    [None, b"", b"-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n", 1024],
    ids=["missing", "empty", "garbage", "1024-bit"],
)
def test_production_refuses_an_unreadable_latvija_private_key(
    tmp_path: Path, content: bytes | int | None
) -> None:
    key = tmp_path / "rp-key.pem"
    if isinstance(content, int):
        key.write_bytes(_rsa_pem(content))
    elif content is not None:
        key.write_bytes(content)
    with pytest.raises(ValidationError, match="LATVIJA_PRIVATE_KEY"):
        Settings(_env_file=None, **_latvija_production(tmp_path, key))


def test_the_demo_identity_provider_needs_demo_mode() -> None:
    """APP_ENV unset and IDENTITY_PROVIDER at its default is not a demo: nothing starts."""
    unconfigured = Settings(_env_file=None, bot_token=GOOD_TOKEN)
    assert unconfigured.identity.provider == "demo" and not unconfigured.is_production
    with pytest.raises(ValueError, match="DEMO_MODE"):
        create_identity_provider(unconfigured)
    demo = Settings(_env_file=None, bot_token=GOOD_TOKEN, demo_mode=True)
    assert isinstance(create_identity_provider(demo), DemoProvider)


def test_production_oidc_requires_https_discovery() -> None:
    provider = create_identity_provider(Settings(_env_file=None, **PRODUCTION))
    assert isinstance(provider, OidcProvider) and provider.require_https
    oidc = {key: PRODUCTION[key] for key in ("identity", "oidc")}
    development = create_identity_provider(Settings(_env_file=None, **oidc))
    assert isinstance(development, OidcProvider) and not development.require_https


def test_forms_may_lead_only_to_the_configured_provider() -> None:
    oidc = Settings(_env_file=None, **PRODUCTION)
    assert form_origins(oidc) == ("https://eidas.eparaksts.lv",)
    configured = oidc.model_copy(
        update={
            "oidc": OidcSettings(
                issuer="https://eidas.eparaksts.lv/trustedx-authserver/oauth/lvrtc-eipsign-as",
                authorization_endpoint="https://login.eparaksts.lv/authorize",
                token_endpoint="https://eidas.eparaksts.lv/token",
            )
        }
    )
    assert form_origins(configured) == ("https://login.eparaksts.lv",)
    latvija = Settings(
        _env_file=None,
        identity=IdentitySettings(provider="latvija"),
        latvija=LatvijaSettings(sts_url="https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx"),
    )
    assert form_origins(latvija) == ("https://epaktv.vraa.gov.lv",)
    assert form_origins(Settings(_env_file=None, demo_mode=True)) == ()


def test_metrics_are_off_unless_a_port_is_set_and_need_a_token_when_exposed() -> None:
    assert Settings(_env_file=None).metrics_port is None
    assert Settings(_env_file=None).update_attempts == 3
    # On loopback the listener is the host's own; elsewhere production wants a token.
    assert Settings(_env_file=None, **PRODUCTION, metrics_port=9100).metrics_port == 9100
    exposed = {**PRODUCTION, "metrics_port": 9100, "metrics_host": "0.0.0.0"}
    with pytest.raises(ValidationError, match="METRICS_TOKEN is missing"):
        Settings(_env_file=None, **exposed)
    with pytest.raises(ValidationError, match="METRICS_TOKEN is missing"):
        Settings(_env_file=None, **exposed, metrics_token="changeme")
    accepted = Settings(_env_file=None, **exposed, metrics_token="Kq7vN2xP9mL4wR8tZ3bY")
    assert "Kq7vN2xP9mL4wR8tZ3bY" not in repr(accepted)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, update_attempts=1)  # one hiccup must not set an update aside
