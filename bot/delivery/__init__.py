"""What goes out: the outbox (Bot API calls and e-mails written in the update's transaction,
sent after commit), its JSON payloads, the Bot API client, and the demo's in-memory mailbox."""
