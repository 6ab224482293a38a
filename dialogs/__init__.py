"""The conversations: one router per portal section, composed in `dialogs.routers`.

Handlers never talk to Telegram directly: they queue Bot API calls on `Outgoing`, which the
runtime stores in the outbox within the update's transaction and sends after commit.
"""
