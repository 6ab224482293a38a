"""Builds the identity provider the settings name; the demo one never in production."""

from __future__ import annotations

from bot.settings import Settings
from integrations.identity.demo import DemoProvider
from integrations.identity.latvija import LatvijaProvider
from integrations.identity.oidc import OidcEndpoints, OidcProvider
from portal.identity import IdentityProvider


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
    if settings.is_production:
        raise ValueError("the demo identity provider is refused in production")
    return DemoProvider(public_url=settings.public_url)


def provider_label(settings: Settings) -> str:
    """How the login page names where the person goes next."""
    chosen = settings.identity.provider
    if chosen == "oidc":
        # A generic provider is most often a broker in front of Latvija.lv.
        return "eParaksts" if settings.oidc.preset == "eparaksts" else "Latvija.lv"
    return {"latvija": "Latvija.lv", "demo": "demo"}[chosen]
