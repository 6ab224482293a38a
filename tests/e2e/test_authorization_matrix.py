"""The authorization matrix: every action the bot offers × who presses it (a main user, an
additional user, a blocked user, a person with no membership, someone not logged in) × whose
object it names (the presser's own client or another), through the bot on SQLite and
PostgreSQL, with forged callback data.

The actions are not listed by hand: they are read from the composed routers (every callback
and command handler), and each must have a rule below naming who may use it and sample
callbacks that reach it. A new handler without a rule fails `test_every_handler_has_a_rule`;
a sample that does not reach its handler fails `test_every_sample_reaches_its_handler`.

What is checked for each press: a person whose role does not allow it, or who names another
client's object, is refused with an alert (or asked to log in) and changes nothing; one who
may is answered without an alert; and nobody is ever shown a client they have no access to.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import Chat, Document, Message
from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser
from magic_filter import MagicFilter
from matrix_support import make_objects
from messages_support import file_samples
from registration_walk import log_in
from test_administration import act_for_the_client

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from dialogs.routers import root_router
from dialogs.sections import DialogSettings
from emulator import EmulatorClient, EmulatorServer
from portal.model import TimeLimits

SETTINGS = DialogSettings(
    public_url="https://bot.example.lv",
    limits=TimeLimits(
        login_link=timedelta(minutes=10),
        login_flow=timedelta(minutes=10),
        confirmation=timedelta(hours=24),
    ),
)


class Level(IntEnum):
    """Who may use an action. ANYONE: it shows only the presser's own things (or nothing)."""

    ANYONE = 0
    LINKED = 1
    MEMBER = 2  # an active user of the chat's current client
    MAIN = 3  # a main user of it


@dataclass(frozen=True)
class Rule:
    level: Level
    # Callback data or a command; {a_*}/{b_*} name objects; (sample, level) when a sample
    # needs more than the handler's level.
    samples: tuple[str | tuple[str, Level], ...] = ()
    last: bool = False  # changes who the presser is (log out): pressed after the rest
    why: str = ""  # for handlers without samples: how they are reached and what guards them


FILE = "📎 a PDF"  # a sample that sends the bot a document

# Every callback and command handler of the composed routers, as "router.handler".
RULES: dict[str, Rule] = {
    "cancel.cancel": Rule(Level.ANYONE, ("/cancel",)),
    "start.show_menu": Rule(Level.ANYONE, ("m:main",)),
    "start.start": Rule(Level.ANYONE, ("/start",)),
    "login.login_button": Rule(Level.ANYONE, ("m:login",)),
    "login.login_command": Rule(Level.ANYONE, ("/login",)),
    "logout.logout_button": Rule(Level.ANYONE, ("m:logout",), last=True),
    "logout.logout_command": Rule(Level.ANYONE, ("/logout",), last=True),
    "clients.clients_button": Rule(Level.LINKED, ("m:clients",)),
    "clients.client_command": Rule(Level.ANYONE, ("/client",)),
    "clients.chosen": Rule(Level.MEMBER, ("cl:{a_client}", "cl:{b_client}")),
    "information.opened": Rule(Level.MEMBER, ("m:info",)),
    "information.pressed": Rule(
        Level.MEMBER, ("in:home:30:all:0", "in:log:7:users:0", "in:inv:30:all:0")
    ),
    "help.help_button": Rule(Level.ANYONE, ("m:help",)),
    "help.help_command": Rule(Level.ANYONE, ("/help",)),
    "help.support_button": Rule(Level.ANYONE, ("hp:support",)),
    "help.guide_button": Rule(Level.ANYONE, ("hp:guide",)),
    "language.language_button": Rule(Level.ANYONE, ("m:language",)),
    "language.chosen": Rule(Level.ANYONE, ("lang:en",)),
    "language.language_command": Rule(Level.ANYONE, ("/language",)),
    "language.typed_instead_of_pressed": Rule(
        Level.ANYONE, why="text while choosing one's own language"
    ),
    "registration.register_button": Rule(Level.ANYONE, ("m:register",)),
    "registration.register_command": Rule(Level.ANYONE, ("/register",)),
    # The registration's steps act on the presser's own draft only (FSM state per chat).
    "registration.kind_chosen": Rule(Level.ANYONE, ("rg:legal",)),
    "registration.import_pressed": Rule(Level.ANYONE, ("rg:import",)),
    "registration.renumber": Rule(Level.ANYONE, ("rg:renumber",)),
    "registration.company_ok": Rule(Level.ANYONE, ("rg:company_ok",)),
    "registration.agreed": Rule(Level.ANYONE, ("rg:agree",)),
    "registration.cancelled": Rule(Level.ANYONE, ("rg:cancel", "rg:disagree")),
    "registration.submitted": Rule(Level.ANYONE, ("rg:submit",)),
    **{
        f"registration.{step}": Rule(Level.ANYONE, why="a step of the presser's own draft")
        for step in (
            "number_typed",
            "address_typed",
            "email_typed",
            "phone_typed",
            "voice_typed",
            "voice_repeated",
            "command_in_flow",
            "text_instead_of_button",
            "not_text",
        )
    },
    "administration.opened": Rule(Level.MAIN, ("m:admin",)),
    "administration.pressed": Rule(
        Level.MAIN,
        (
            "ad:list:0:",
            "ad:add:0:",
            "ad:create:0:",
            "ad:user:{a_user}:",
            "ad:user:{b_user}:",
            "ad:edit:{a_user}:",
            "ad:pick:{a_user}:blocked",
            "ad:save:{a_user}:active",
            "ad:save:{b_user}:blocked",
            "ad:pick:{b_user}:active",
        ),
    ),
    "administration.code_typed": Rule(
        Level.MAIN,
        why="reached only in the state «➕ Add new» sets; checks the main user again "
        "(tests/e2e/test_administration.py: blocked in the middle of it)",
    ),
    # The person's own notification settings and reminders (dialogs/notifications.py).
    "notifications.command": Rule(Level.ANYONE, ("/notifications",)),
    "notifications.button": Rule(Level.LINKED, ("m:notifications",)),
    "notifications.toggle": Rule(Level.LINKED, ("nt:invoice_due:0", "nt:invoice_due:1")),
    "notifications.quiet": Rule(Level.LINKED, ("nq:d",)),
    "notifications.snoozed": Rule(
        Level.LINKED,
        why="a reminder's own «Atlikt uz rītu»: the use case snoozes only the presser's own "
        "reminder (tests/e2e/test_reminders.py: forged and stale)",
    ),
    "profile.opened": Rule(Level.LINKED, ("m:profile",)),
    "profile.pressed": Rule(
        Level.LINKED,
        (
            "pf:home",
            "pf:phone",
            "pf:email",
            ("pf:client", Level.MEMBER),
            ("pf:consultant", Level.MEMBER),
        ),
    ),
    "profile.phone_typed": Rule(Level.LINKED, why="the person's own phone, after «Change phone»"),
    "profile.email_typed": Rule(Level.LINKED, why="the person's own e-mail, after «Change e-mail»"),
    "deals.section": Rule(Level.MEMBER, ("m:deals",)),
    "deals.pressed": Rule(
        Level.MEMBER,
        (
            "dl:active:0:0",
            "dl:closed:0:0",
            "dl:deal:{a_deal}:0",
            "dl:apps:{a_deal}:0",
            "dl:new:{a_deal}:0",
            "dl:deal:{b_deal}:0",
            "dl:apps:{b_deal}:0",
            "dl:new:{b_deal}:0",
            "dl:form:{b_deal}:0",
        ),
    ),
    # «Saziņa»: the list, a thread, its document, writing; ALTUM's message is no draft.
    "messages.messages_command": Rule(Level.MEMBER, ("/messages",)),
    "messages.messages_button": Rule(Level.MEMBER, ("m:messages",)),
    "messages.listed": Rule(Level.MEMBER, ("ms:list:0:", "ms:list:10:")),
    "messages.opened": Rule(
        Level.MEMBER,
        (
            "ms:open:{a_thread}:",
            "ms:open:{a_thread}:{a_client}",
            "ms:open:{b_thread}:",
            "ms:open:{b_thread}:{b_client}",
            "ms:open:{a_thread}:{b_client}",
        ),
    ),
    "messages.document": Rule(Level.MEMBER, ("ms:doc:{a_doc}:", "ms:doc:{b_doc}:")),
    "messages.draft_sent": Rule(
        Level.MEMBER,
        (
            "ms:draft:{b_draft}:",
            "ms:draft:{b_message}:",
            ("ms:draft:{a_message}:", Level.ANYONE),  # ALTUM's, no draft: refused to all
        ),
    ),
    "messages.archive": Rule(Level.MEMBER, ("ms:docs:0:",)),
    "messages_search.search_changed": Rule(
        Level.MEMBER,
        (
            "ms:search:0:",
            "ms:sstatus:0:",
            "ms:speriod:0:",
            "ms:sunread:0:",
            "ms:sdeal:0:",
            "ms:sapp:0:",
            "ms:sclear:0:",
        ),
    ),
    "messages_search.search_text_asked": Rule(Level.ANYONE, ("ms:stext:0:",)),
    "messages_search.search_text_given": Rule(
        Level.ANYONE, why="text after «Search text»: shown through the search, which checks"
    ),
    "messages_compose.start_writing": Rule(
        Level.MEMBER, ("ms:new:0:", "ms:reply:{b_thread}:", "ms:reply:{a_thread}:")
    ),
    # Pressed right after «Reply» above: members are writing then (MessageDialog.body).
    "messages_compose.deal_choice": Rule(Level.MEMBER, ("ms:deal:0:",)),
    "messages_compose.deal_picked": Rule(
        Level.MEMBER, ("ms:dealpick:{b_deal}:", "ms:dealpick:{a_deal}:")
    ),
    "messages_application.application_choice": Rule(Level.MEMBER, ("ms:app:0:",)),
    "messages_application.application_picked": Rule(
        Level.MEMBER, ("ms:apppick:{b_app}:", "ms:apppick:{a_app}:")
    ),
    "messages_compose.another_page": Rule(Level.MEMBER, ("ms:cpage:0:",)),
    "messages_compose.pages_done": Rule(
        Level.MEMBER, why="binds one's own photos while writing; checks the client again"
    ),
    "messages_compose.cancelled": Rule(Level.ANYONE, ("ms:cancel:0:",)),
    **{
        f"messages_compose.{step}": Rule(Level.ANYONE, why="a step of the presser's own message")
        for step in ("subject_given", "body_part", "date_typed", "not_now")
    },
    "messages_compose.body_file": Rule(
        Level.MEMBER, why="a file while writing: stored for the client the writer acts for"
    ),
    "quick_upload.choose_first": Rule(Level.ANYONE, why="text while «Kas tas ir?» is asked"),
    "quick_upload.another_page": Rule(Level.ANYONE, why="«Add a page» of one's own photos"),
    "quick_upload.pages_done": Rule(
        Level.MEMBER, why="binds one's own photos; checks the client acted for again"
    ),
    # A file sent outside a dialog, then «Kas tas ir?» → «About an application», B's thread,
    # deal and applications (refused), A's thread → its type → today → «Send»: members walk
    # the whole quick upload, in state.
    "quick_upload.received": Rule(Level.MEMBER, (FILE,)),
    # «About an application»: A has only a draft (none offered); B's applications, forged.
    "quick_upload.applications_listed": Rule(Level.MEMBER, ("ms:qapps:0:",)),
    "quick_upload.target_chosen": Rule(
        Level.MEMBER,
        (
            "ms:qthread:{b_thread}:",
            "ms:qdeal:{b_deal}:",
            "ms:qapp:{b_sent_app}:",
            "ms:qapp:{b_app}:",
            "ms:qthread:{a_thread}:",
        ),
    ),
    "messages_compose.type_chosen": Rule(Level.MEMBER, ("ms:type:0:other",)),
    "messages_compose.today_chosen": Rule(Level.MEMBER, ("ms:today:0:",)),
    "messages_compose.finished": Rule(Level.MEMBER, ("ms:send:0:",)),
    # «Pieteikumi»: A's draft (Anna's), B's draft; the form dialog's buttons on them.
    "application_forms.section": Rule(Level.MEMBER, ("m:apps",)),
    "application_forms.pressed": Rule(
        Level.MEMBER,
        (
            "ap:new:",
            "ap:list:all",
            "ap:list:draft.999999",
            "ap:open:{b_app}",
            "ap:open:{a_app}",
        ),
    ),
    "form_dialog.pressed": Rule(
        Level.MEMBER,
        (
            ("fa:nop:{b_app}:-1:", Level.ANYONE),
            "fa:back:{a_app}:0:",
            "fa:a:{b_app}:0:1",
            "fa:back:{b_app}:0:",
        ),
    ),
    "form_dialog.typed": Rule(
        Level.MEMBER, why="an answer to one's own draft's question; the draft is loaded again"
    ),
    # Saving, sending, signing (through the identity confirmation link), withdrawing.
    "form_actions.pressed": Rule(
        Level.MEMBER,
        (
            "fa:save:{a_app}:-1:",
            "fa:save:{b_app}:-1:",
            "fa:send:{b_app}:-1:",
            "fa:sign:{b_app}:-1:",
            "fa:sg:{b_app}:-1:0000000000000000",
            "fa:rf:{b_app}:-1:0000000000000000",
            "fa:sub:{b_app}:-1:",
            "fa:wd:{b_app}:-1:",
            "fa:ed:{b_app}:0:",
            "fa:cancel:{b_app}:-1:",
        ),
    ),
    "form_actions.reason_typed": Rule(
        Level.MEMBER, why="the reason after «Refuse»; the signing use case checks the client"
    ),
    "fallback.stale_button": Rule(Level.ANYONE, ("zz:forged", "ad:list", "in:log")),
    "fallback.unknown_command": Rule(Level.ANYONE, ("/nosuchcommand",)),
    "fallback.free_text": Rule(Level.ANYONE, why="any text: the menu of the presser's own"),
    "fallback.anything_else": Rule(Level.ANYONE, why="any other message: the same"),
    # «Anketas» (issue 11): the client's questionnaires; filling one is the form dialog's.
    "questionnaires.opened": Rule(Level.MEMBER, ("m:qs",)),
    "questionnaires.pressed": Rule(Level.MEMBER, ("qs:open:0", "qs:open:2", "qs:fill:1")),
    # Files in forms (issue 9 item 1, helper apps2).
    "form_dialog.file_sent": Rule(
        Level.MEMBER,
        why="a file while a form question is asked: the application is loaded through the "
        "chat's current client and the file is stored for that client "
        "(tests/e2e/test_application_files.py)",
    ),
    "quick_upload.draft_chosen": Rule(
        Level.MEMBER,
        why="only in «Kas tas ir?» with a file in hand; the application is loaded through the "
        "chat's current client and a file of another client is refused (NoAccess)",
    ),
}


def samples(rule: Rule) -> list[tuple[str, Level]]:
    return [(s, rule.level) if isinstance(s, str) else s for s in rule.samples]


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for sub in router.sub_routers:
        yield from _routers(sub)


def handlers() -> dict[str, tuple[list[Any], bool]]:
    """Every handler of the composed routers: its filters, and whether it takes callbacks."""
    found: dict[str, tuple[list[Any], bool]] = {}
    for router in _routers(root_router(SETTINGS)):
        for observer, is_callback in ((router.callback_query, True), (router.message, False)):
            for handler in observer.handlers:
                key = f"{router.name}.{handler.callback.__name__}"
                filters = [inspect.unwrap(f.callback) for f in handler.filters or []]
                previous = found.get(key)
                found[key] = ((previous[0] if previous else []) + filters, is_callback)
    return found


def test_every_handler_has_a_rule() -> None:
    found = handlers()
    assert sorted(set(found) - set(RULES)) == [], "handlers without a rule in RULES"
    assert sorted(set(RULES) - set(found)) == [], "rules for handlers that are gone"


class _SampleIds(dict[str, int]):
    """Any object name of a sample: 1 for client A's, 2 for client B's."""

    def __missing__(self, key: str) -> int:
        return 1 if key.startswith("a_") else 2


def _reaches(filters: list[Any], sample: str) -> bool:
    if sample == FILE:  # a message handler whose own filters take a document
        document = Message(
            message_id=1,
            date=datetime.now(UTC),
            chat=Chat(id=1, type="private"),
            document=Document(file_id="f", file_unique_id="u", file_name="a.pdf"),
        )
        checks = [f for f in filters if isinstance(getattr(f, "__self__", None), MagicFilter)]
        return bool(checks) and all(check(document) for check in checks)
    if sample.startswith("/"):
        commands = [f for f in filters if isinstance(f, Command)]
        name = sample[1:]
        return any(name in [str(c) for c in f.commands] for f in commands) or (
            not commands and filters != []  # the fallback's "any command"
        )
    callback_filters = [f for f in filters if isinstance(f, CallbackQueryFilter)]
    if not callback_filters:
        return not filters  # the fallback takes any callback
    for f in callback_filters:
        try:
            data = f.callback_data.unpack(sample.format_map(_SampleIds()))
        except (TypeError, ValueError):
            continue
        if f.rule is None or f.rule.resolve(data):
            return True
    return False


def test_every_sample_reaches_its_handler() -> None:
    found = handlers()
    for key, rule in RULES.items():
        assert rule.samples or rule.why, f"{key}: no sample and no reason"
        filters, _is_callback = found[key]
        for sample, _level in samples(rule):
            assert _reaches(filters, sample), f"{key}: {sample} does not reach it"
    callback_handlers = {k: f for k, (f, is_cb) in found.items() if is_cb and k in RULES}
    for sample, _level in samples(RULES["fallback.stale_button"]):
        taken = [
            k
            for k, f in callback_handlers.items()
            if k != "fallback.stale_button" and f and _reaches(f, sample)
        ]
        assert taken == [], f"forged {sample} is taken by {taken}"


@dataclass
class Presser:
    """A person of the matrix: their role at client A (the one all objects `a_*` belong to)."""

    name: str
    person: Person
    level: Level  # what they may do at the client their chat acts for (A, or none)
    message_id: int = 0  # a message of theirs to forge callbacks on


A_NAME, B_NAME = "Ozolkalna", "Daugavas"
LOG_IN = "First log in"  # dialogs.clients.not_logged_in


def expected(level: Level, presser: Presser, sample: str) -> bool | None:
    """Whether the press must be allowed; None when only "shows nothing foreign" is checked."""
    if level is Level.ANYONE:
        return None
    names_other = "{b_" in sample  # an object of client B: nobody of the matrix acts for B
    return presser.level >= level and not names_other


async def _answer(emu: EmulatorClient, since: int, callback_id: str) -> dict[str, Any]:
    for _ in range(200):
        for call in await emu.calls(BOT_ID, method="answerCallbackQuery", since=since):
            if call["params"]["callback_query_id"] == callback_id:
                return dict(call["params"])
        await asyncio.sleep(0.02)
    raise TimeoutError(f"callback {callback_id} was not answered")


async def _told(emu: EmulatorClient, since: int, chat_id: int, text: str) -> bool:
    """Whether the chat is sent `text` after `since` (it may follow the button's answer)."""
    for _ in range(100):
        sent = await emu.calls(BOT_ID, method="sendMessage", chat_id=chat_id, since=since)
        if any(text in str(call["params"].get("text")) for call in sent):
            return True
        await asyncio.sleep(0.05)
    return False


async def _settled(emu: EmulatorClient) -> None:
    """Until the bot has sent everything (no new call for a while)."""
    last = await emu.last_seq(BOT_ID)
    while True:
        await asyncio.sleep(0.3)
        now = await emu.last_seq(BOT_ID)
        if now == last:
            return
        last = now


async def _feed_of(api: Api, after: str) -> tuple[list[dict[str, Any]], str]:
    """Every event of the feed after `after`, and where it ends."""
    found: list[dict[str, Any]] = []
    while True:
        page = (await api.get("/events", after=after, limit=1000)).body
        found += page["events"]
        if not page["events"]:
            return found, after
        after = page["next"]


async def test_every_action_by_every_role_on_own_and_other_clients(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    people = {
        key: await person(name, language_code="en")
        for key, name in (
            ("anna", "Anna"),
            ("janis", "Jānis"),
            ("ilze", "Ilze"),
            ("dace", "Dace"),
            ("emily", "Emily"),
        )
    }
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        a = (await api.post("/clients", {"registration_number": "40103999940"})).body["id"]
        b = (await api.post("/clients", {"registration_number": "40103777710"})).body["id"]
        users = {}
        for code, client, role in (
            ("120584-12349", a, "main"),  # Anna
            ("030379-15671", a, "additional"),  # Jānis
            ("250690-18905", a, "additional"),  # Ilze, blocked below
            ("190775-13454", b, "main"),  # Marta, of client B only
        ):
            body = {"personal_code": code, "role": role}
            users[code] = (await api.post(f"/clients/{client}/users", body)).body["id"]
        for key in ("anna", "janis", "ilze", "dace"):
            await log_in(people[key], http, key)
        for key in ("anna", "janis", "ilze"):
            await act_for_the_client(people[key])
        await api.patch(f"/clients/{a}/users/{users['250690-18905']}", {"status": "blocked"})
        await people["ilze"].reply()  # told of it
        made = await make_objects(
            database_url,
            api,
            clients={"a": a, "b": b},
            main_users={"a": users["120584-12349"], "b": users["190775-13454"]},
            anna_telegram_id=people["anna"].user_id,
            marks={"a": A_NAME, "b": B_NAME},
        )
        for key in ("anna", "janis"):
            await people[key].reply()  # told of ALTUM's message
        await people["emily"].say("/start")
        await people["emily"].replies(2)

        pressers = [
            Presser("main", people["anna"], Level.MAIN),
            Presser("additional", people["janis"], Level.MEMBER),
            Presser("blocked", people["ilze"], Level.LINKED),
            Presser("no membership", people["dace"], Level.LINKED),
            Presser("unlinked", people["emily"], Level.ANYONE),
        ]
        for presser in pressers:
            messages = await emu.messages(BOT_ID, presser.person.user_id)
            presser.message_id = [m for m in messages if m["from"]["is_bot"]][-1]["message_id"]
        objects = {
            "a_client": a,
            "b_client": b,
            "a_user": users["030379-15671"],  # Jānis at A: active, so saving "active" is no change
            "b_user": users["190775-13454"],
            **made,
        }
        before = {
            c: {u["id"]: u["status"] for u in (await api.get(f"/clients/{c}/users")).body["items"]}
            for c in (a, b)
        }
        _events, feed_start = await _feed_of(api, "0")
        b_before = (await api.get(f"/applications/{made['b_app']}")).body
        start = await emu.last_seq(BOT_ID)
        presses = sorted(
            (
                (key, rule, sample, level)
                for key, rule in RULES.items()
                for sample, level in samples(rule)
            ),
            key=lambda item: item[1].last,
        )
        checked = 0
        wrong: list[str] = []  # all of them at once, not only the first

        async def press(presser: Presser, key: str, template: str, level: Level) -> None:
            nonlocal checked
            sample = template.format(**objects)
            if sample.startswith("/"):
                await presser.person.say(sample)
                return
            if sample == FILE:
                await emu.send_document(
                    BOT_ID, presser.person.user_id, file_samples.pdf(text="Izzina"), "izzina.pdf"
                )
                await _settled(emu)
                return
            since = await emu.last_seq(BOT_ID)
            sent = await emu.forge_callback(
                BOT_ID, presser.person.user_id, presser.message_id, sample
            )
            answer = await _answer(emu, since, sent["callback_query_id"])
            allowed = expected(level, presser, template)
            where = f"{key} {sample} by {presser.name}: {answer.get('text')}"
            if allowed is True and answer.get("show_alert"):
                wrong.append(f"refused: {where}")
            elif (
                allowed is False and presser.level >= Level.LINKED and not answer.get("show_alert")
            ):
                wrong.append(f"not refused with an alert: {where}")
            elif (  # someone not logged in: told to
                allowed is False
                and not answer.get("show_alert")
                and not await _told(emu, since, presser.person.user_id, LOG_IN)
            ):
                wrong.append(f"not asked to log in: {where}")
            checked += 1

        # The pressers' chats are independent: each sample is pressed by all at once (in
        # order within a chat, so a sample may lead into the next one's state).
        for key, _rule, template, level in presses:
            await asyncio.gather(*(press(p, key, template, level) for p in pressers))
        await _settled(emu)
        calls = await emu.calls(BOT_ID, since=start)
        events, _end = await _feed_of(api, feed_start)
        b_after = (await api.get(f"/applications/{made['b_app']}")).body
        after = {
            c: {u["id"]: u["status"] for u in (await api.get(f"/clients/{c}/users")).body["items"]}
            for c in (a, b)
        }

    assert after == before  # nothing of either client changed, whoever pressed what
    assert b_after == b_before  # nor B's application
    assert [e for e in events if e["client_id"] == b] == []  # nor anything else of B's
    # The allowed walk did act: both of A's members sent a file into A's thread.
    replies = [(e["type"], e["thread_id"]) for e in events if e["type"] == "message.sent"]
    assert replies == [("message.sent", made["a_thread"])] * 2
    assert wrong == [], "\n".join(wrong)
    buttons = [t for _k, _r, t, _l in presses if not t.startswith("/") and t != FILE]
    assert len(buttons) >= 100 and checked == len(pressers) * len(buttons)  # each answered
    # Nobody was shown a client they do not act for: A's name only to A's active users,
    # B's to nobody of the matrix.
    for presser in pressers:
        texts = " ".join(
            str(call["params"])  # texts, captions, file names
            for call in calls
            if call["params"].get("chat_id") == presser.person.user_id
        )
        assert B_NAME not in texts, presser.name
        if presser.level < Level.MEMBER:
            assert A_NAME not in texts, presser.name
