"""Identity providers: each implements `portal.ports.IdentityProvider`."""
