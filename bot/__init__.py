"""The runtime: the wiring (settings, the app factory, serving, the HTTP surfaces, the CLI) at
the top, and a subpackage per job: `transport` (polling, webhook), `engine` (each update's
transaction), `delivery` (the outbox and what it sends) and `ops` (operators' commands, the
demo)."""
