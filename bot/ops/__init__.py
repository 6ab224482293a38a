"""For operators and newcomers: housekeeping, the Company Register import, the quarantine
commands, and `altum-bot demo` with its sample data."""
