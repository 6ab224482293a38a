"""Runtime: settings, app factory, middlewares, polling and webhook serving, outbox, CLI."""
