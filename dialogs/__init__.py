"""The conversations: each section of the bot declares itself once (`dialogs.sections`) in its
own module; `dialogs.routers` collects the declarations into the registry from which the main
menu, /help's portal map, the command lists and the router composition are derived.

Handlers never talk to Telegram directly: they queue Bot API calls on `Outgoing`, which the
runtime stores in the outbox within the update's transaction and sends after commit. They
ask, show and call the portal's use cases; the portal decides.
"""
