"""Identity providers: each implements `portal.identity.IdentityProvider`."""
