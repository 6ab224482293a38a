"""The path of every update: parsed, handled in one transaction under its user's lock (shared
with others arriving together), counted when it fails, set aside in quarantine at the limit."""
