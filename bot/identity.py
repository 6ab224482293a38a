"""Builds the identity provider the settings name; the demo one only in demo mode."""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.settings import Settings
from integrations.identity.demo import DemoProvider
from integrations.identity.latvija import LatvijaProvider
from integrations.identity.oidc import OidcEndpoints, OidcProvider
from portal.ports import IdentityProvider


def create_identity_provider(settings: Settings) -> IdentityProvider:
    chosen = settings.identity.provider
    if chosen == "oidc":
        oidc = settings.oidc
        endpoints = None
        if oidc.authorization_endpoint or oidc.token_endpoint:
            if not (oidc.authorization_endpoint and oidc.token_endpoint):
                raise ValueError("set both OIDC_AUTHORIZATION_ENDPOINT and OIDC_TOKEN_ENDPOINT")
            endpoints = OidcEndpoints(
                authorization=oidc.authorization_endpoint,
                token=oidc.token_endpoint,
                userinfo=oidc.userinfo_endpoint or None,
                jwks_uri=oidc.jwks_uri or None,
            )
        return OidcProvider(
            issuer=settings.oidc.issuer,
            client_id=settings.oidc.client_id,
            client_secret=settings.oidc.client_secret.get_secret_value(),
            preset=settings.oidc.preset,
            personal_code_claim=settings.oidc.personal_code_claim,
            scope=settings.oidc.scope,
            timeout=settings.oidc.timeout_seconds,
            endpoints=endpoints,
            userinfo_only=oidc.userinfo_only,
            subject_claim=oidc.subject_claim,
            natural_person_types=tuple(
                kind.strip() for kind in oidc.natural_person_types.split(",") if kind.strip()
            ),
            require_https=settings.is_production,
        )
    if chosen == "latvija":
        certificate = settings.latvija.certificate
        if certificate is None:
            raise ValueError("LATVIJA_CERTIFICATE is not set")
        private_key = settings.latvija.private_key
        return LatvijaProvider(
            sts_url=settings.latvija.sts_url,
            realm=settings.latvija.realm,
            certificate_pem=certificate.read_text(),
            issuer=settings.latvija.issuer,
            private_key_pem=private_key.read_bytes() if private_key is not None else None,
            allow_rsa_1_5=settings.latvija.allow_rsa_1_5,
        )
    # It asserts whoever the page says: never merely because nothing else was configured.
    if settings.is_production or not settings.demo_mode:
        raise ValueError(
            "the demo identity provider (IDENTITY_PROVIDER's default) runs only with "
            "DEMO_MODE on: set IDENTITY_PROVIDER=oidc or latvija"
        )
    return DemoProvider(public_url=settings.public_url)


def form_origins(settings: Settings) -> tuple[str, ...]:
    """Where the pages' forms may send the browser besides the bot itself: the provider's
    login page (the link's «Continue» answers with a redirect there)."""
    chosen = settings.identity.provider
    if chosen == "oidc":
        target = settings.oidc.authorization_endpoint or settings.oidc.issuer
    elif chosen == "latvija":
        target = settings.latvija.sts_url
    else:
        return ()  # the demo provider's page is the bot's own
    parts = urlsplit(target)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme and parts.netloc else ()


def provider_label(settings: Settings) -> str:
    """How the login page names where the person goes next."""
    chosen = settings.identity.provider
    if chosen == "oidc":
        # A generic provider is most often a broker in front of Latvija.lv.
        return "eParaksts" if settings.oidc.preset == "eparaksts" else "Latvija.lv"
    return {"latvija": "Latvija.lv", "demo": "demo"}[chosen]
