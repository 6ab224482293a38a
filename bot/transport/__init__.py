"""How updates arrive: long polling and the webhook. Both hand Telegram's JSON to
`App.feed_raw` (the engine) and acknowledge an update only once it is done."""
