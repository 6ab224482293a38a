"""What goes out: the outbox (Bot API calls and e-mails written in the update's transaction,
sent after commit), its JSON payloads, the Bot API client, the notifier that turns the
back-office use cases' notices into chat messages, and the demo's in-memory mailbox."""
