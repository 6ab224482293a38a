"""Bot API methods about the bot itself: getMe, updates, webhooks, commands, profile."""

from __future__ import annotations

from . import validation as v
from .models import JSON, Encoded, Update
from .registry import Call, Handler, bot_method
from .validation import ApiError, bad_request

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@bot_method("getMe")
async def get_me(call: Call) -> JSON:
    return {
        **call.world.identity.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@bot_method("logOut")
async def log_out(call: Call) -> bool:
    return True


@bot_method("close")
async def close(call: Call) -> bool:
    return True


@bot_method("getUpdates")
async def get_updates(call: Call) -> Encoded:
    world, p = call.world, call.params
    if world.webhook.url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    # Out-of-range values are clamped, not rejected, by the real server.
    offset = p.get_int("offset", 0)
    limit = min(max(p.get_int("limit", 100), 1), 100)
    timeout = min(max(p.get_int("timeout", 0), 0), world.config.long_poll_max)
    world.set_allowed_updates(p.get_json("allowed_updates"))
    world.confirm(offset)
    world.poll_generation += 1
    generation = world.poll_generation
    world.notifier.notify()  # lets a still-waiting older poll see it was superseded

    def eligible() -> list[Update]:
        if offset > 0:
            return [u for u in world.pending if u.update_id >= offset]
        return list(world.pending)

    def ready() -> bool:
        superseded = generation != world.poll_generation
        return world.closed or superseded or bool(world.webhook.url) or bool(eligible())

    await world.notifier.wait_for(ready, timeout)
    if generation != world.poll_generation:
        raise ApiError(409, POLL_CONFLICT)
    if world.webhook.url:
        raise ApiError(409, "Conflict: terminated by setWebhook request")
    # The bot sees each update again in every answer until it confirms it: encode it once.
    return Encoded.array(u.encoded for u in eligible()[:limit])


@bot_method("setWebhook")
async def set_webhook(call: Call) -> bool:
    world, p = call.world, call.params
    url = p.get_str("url") or ""
    if not url:
        return await delete_webhook(call)
    v.webhook_url(url)
    secret = v.secret_token(p.get_str("secret_token"))
    max_connections = min(max(p.get_int("max_connections", 40), 1), 100)
    world.set_allowed_updates(p.get_json("allowed_updates"))
    drop = p.get_bool("drop_pending_updates")
    hook = world.webhook
    same = (hook.url, hook.secret_token, hook.max_connections) == (url, secret, max_connections)
    if same and not drop:
        call.description = "Webhook is already set"
        return True
    if drop:
        world.pending.clear()
    hook.url, hook.secret_token, hook.max_connections = url, secret, max_connections
    hook.last_error_date = hook.last_error_message = None
    call.description = "Webhook was set"
    _webhook_changed(call)
    return True


@bot_method("deleteWebhook")
async def delete_webhook(call: Call) -> bool:
    world = call.world
    if call.params.get_bool("drop_pending_updates"):
        world.pending.clear()
    if not world.webhook.url:
        call.description = "Webhook is already deleted"
        return True
    world.webhook.url, world.webhook.secret_token = "", None
    call.description = "Webhook was deleted"
    _webhook_changed(call)
    return True


def _webhook_changed(call: Call) -> None:
    world = call.world
    world.changed()
    if world.on_webhook_change is not None:
        world.on_webhook_change()


@bot_method("getWebhookInfo")
async def get_webhook_info(call: Call) -> JSON:
    return webhook_info(call)


def webhook_info(call: Call) -> JSON:
    world = call.world
    hook = world.webhook
    info: JSON = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(world.pending),
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        info["ip_address"] = "127.0.0.1"
        if world.allowed_updates is not None:
            info["allowed_updates"] = sorted(world.allowed_updates)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


def _scope_and_language(call: Call) -> tuple[str, str]:
    scope = v.command_scope(call.params.raw("scope"))
    return scope, v.language_code(call.params.get_str("language_code"))


@bot_method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = v.commands(call.params.raw("commands"))
    key = _scope_and_language(call)
    if commands:
        call.world.commands[key] = commands
    else:
        call.world.commands.pop(key, None)
    call.world.changed()
    return True


@bot_method("getMyCommands")
async def get_my_commands(call: Call) -> list[JSON]:
    return list(call.world.commands.get(_scope_and_language(call), []))


@bot_method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.world.commands.pop(_scope_and_language(call), None)
    call.world.changed()
    return True


def _profile_text(field: str, limit: int) -> tuple[Handler, Handler]:
    async def setter(call: Call) -> bool:
        value = call.params.get_str(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long")  # Telegram: *_INVALID / too long
        language = v.language_code(call.params.get_str("language_code"))
        call.world.texts[f"{field}:{language}"] = value
        return True

    async def getter(call: Call) -> JSON:
        language = v.language_code(call.params.get_str("language_code"))
        texts = call.world.texts
        value = texts.get(f"{field}:{language}", texts.get(f"{field}:", ""))
        if field == "name" and not value:
            value = call.world.identity.first_name
        return {field: value}

    return setter, getter


for _field, _limit, _suffix in (
    ("description", 512, "Description"),
    ("short_description", 120, "ShortDescription"),
    ("name", 64, "Name"),
):
    _setter, _getter = _profile_text(_field, _limit)
    bot_method(f"setMy{_suffix}")(_setter)
    bot_method(f"getMy{_suffix}")(_getter)


@bot_method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    call.world.texts["menu_button"] = call.params.get_str("menu_button") or ""
    return True


@bot_method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> JSON:
    return {"type": "commands"}


@bot_method("getChat")
async def get_chat(call: Call) -> JSON:
    user = call.private_chat()
    return {
        **user.chat_api(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
        },
    }
