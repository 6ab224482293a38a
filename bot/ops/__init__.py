"""For operators and newcomers: housekeeping, the Company Register import, the quarantine
commands, the back-office API's tokens, and `altum-bot demo` with its sample data (the
Company Register's and ALTUM's back office's)."""
