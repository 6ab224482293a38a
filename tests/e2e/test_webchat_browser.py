"""The demo as a newcomer meets it, in a real browser (headless Chromium) on a 360 px wide
phone: the web chat from START through /login (the Mini App in a frame, the demo provider)
and /register of a sample company, its confirmation page opened from the demo mailbox and
pressed by keyboard, a file sent from the browser; the login link refused in an ordinary
tab; the pages in Latvian and English; the back-office API's docs page. Every page is checked
for its `lang`, for no sideways scrolling at 360 px, and every tab fails any request that
leaves 127.0.0.1 (the tests assert none was made). One demo and one browser per module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import Page, chromium, chromium_missing
from e2e_support import running_demo
from page_checks import check_page, tab_to
from registration_walk import register_company
from webchat_support import WebChat

from bot.ops.demo import BOT_ID
from emulator import EmulatorClient

pytestmark = [
    pytest.mark.skipif(chromium_missing() is not None, reason=str(chromium_missing())),
    pytest.mark.asyncio(loop_scope="module"),
]

NewPage = Callable[[], Awaitable[Page]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[EmulatorClient, str]]:
    async with running_demo(tmp_path_factory.mktemp("demo") / "demo.db") as (emu, web):
        yield emu, web


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[NewPage]:
    async with chromium() as new_page:
        yield new_page


@pytest_asyncio.fixture(loop_scope="module")
async def phone(browser: NewPage) -> AsyncIterator[NewPage]:
    """New tabs with a phone's viewport that may reach 127.0.0.1 only; after the test, none
    tried to reach anything else."""
    opened: list[Page] = []

    async def new_phone_page() -> Page:
        page = await browser()
        await page.phone()
        await page.keep_local()
        opened.append(page)
        return page

    yield new_phone_page
    assert [url for page in opened for url in page.blocked] == []
    for page in opened:
        await page.close()


async def user_id(emu: EmulatorClient, first_name: str) -> int:
    return int(next(u["id"] for u in await emu.users(BOT_ID) if u["first_name"] == first_name))


async def newest_confirmation_link(mail: Page, web: str) -> str:
    """The link in the newest e-mail of the demo's mailbox (a mail client's stand-in)."""
    await mail.navigate(f"{web}/demo/mail")
    link = await mail.wait_for(  # the mailbox lists the newest first
        "[...document.querySelectorAll('a')].map((a) => a.href)"
        ".find((h) => h.includes('/confirm/'))"
    )
    await check_page(mail, lang="en")  # the demo's own page, in English
    return str(link)


async def test_a_newcomer_registers_a_company_in_the_web_chat(
    demo: tuple[EmulatorClient, str], phone: NewPage, tmp_path: Path
) -> None:
    emu, web = demo
    chat = await WebChat.open(await phone(), emu, BOT_ID, await user_id(emu, "Jānis"))
    await chat.click("#start")
    greeting, _menu = await chat.replies(2)
    assert greeting["text"].startswith("Labdien, Jānis!")

    await chat.say("/login")
    offer = await chat.reply()
    assert offer["text"].startswith("Pieslēgšanās")
    await chat.press("🔐 Pieslēgties")  # the Mini App opens in a frame
    provider = await chat.page.wait_for_frame("/demo/authorize")
    await chat.page.wait_for("!!document.querySelector('button')", frame_id=provider)
    await check_page(chat.page, lang="en", frame_id=provider)  # the demo's own, in English
    await chat.page.evaluate(
        "[...document.querySelectorAll('button')]"
        ".find((b) => b.textContent === 'Marta Zariņa').click(); true",
        frame_id=provider,
    )
    done = await chat.page.wait_for_frame("/auth/callback")
    await chat.page.wait_for("document.title === 'Pieslēgšanās izdevās'", frame_id=done)
    await check_page(chat.page, lang="lv", frame_id=done)
    linked, _clients = await chat.replies(2)
    assert "piesaistīts kā Marta Zariņa" in linked["text"]
    await chat.click("#webapp-close")

    await chat.say("/register")
    assert "Kas ir jaunais klients?" in (await chat.reply())["text"]
    await chat.press("🏢 Juridiska persona (uzņēmums)")
    assert "reģistrācijas numuru" in (await chat.reply())["text"]
    await chat.say("40103777710")
    await chat.reply()
    await chat.press("Importēt no UR")
    company = await chat.reply()
    assert 'AS "Daugavas Dzirnavas"' in company["text"] and "vienpersoniski" in company["text"]
    await chat.press("Turpināt")
    await chat.reply()
    for answer in ("marta@dzirnavas.lv", "+371 2000 0000", "Ozols mežā 2024", "Ozols mežā 2024"):
        await chat.say(answer)
        await chat.reply()
    await chat.press("Piekrītu")
    assert "Pārbaudiet reģistrācijas datus" in (await chat.reply())["text"]
    await chat.press("Reģistrēties")
    assert "Pabeidziet reģistrāciju" in (await chat.reply())["text"]

    # The e-mail, in the demo's mailbox; its link opens the confirmation page on the phone.
    mail = await phone()
    link = await newest_confirmation_link(mail, web)
    await mail.navigate(link)
    await mail.wait_for("document.title === 'Apstipriniet reģistrāciju'")
    await check_page(mail, lang="lv")
    await tab_to(mail, "Apstiprināt")
    await mail.key("Enter")
    await mail.wait_for("document.title === 'Reģistrācija pabeigta'")
    await check_page(mail, lang="lv")
    registered, _menu = await chat.replies(2)
    assert 'AS "Daugavas Dzirnavas" ir reģistrēts' in registered["text"]

    # A document from the browser's file picker reaches the bot, byte for byte, and it answers.
    statement = tmp_path / "bilance 2025.pdf"
    statement.write_bytes(b"%PDF-1.4\n" + b"%" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    await chat.attach(statement)
    await chat.reply()
    sent = [m for m in await emu.messages(BOT_ID, chat.person.user_id) if m["document"]]
    assert [m["document"]["file_name"] for m in sent] == ["bilance 2025.pdf"]
    assert await emu.download(BOT_ID, sent[0]["document"]["file_id"]) == statement.read_bytes()
    await chat.page.wait_for(
        "[...document.querySelectorAll('.mine .doc a')]"
        ".some((a) => a.textContent === 'bilance 2025.pdf')"
    )
    await check_page(chat.page, lang="en")  # the emulator's own page, in English


async def test_the_pages_speak_english_to_an_english_speaker_and_work_by_keyboard(
    demo: tuple[EmulatorClient, str], phone: NewPage
) -> None:
    emu, web = demo
    chat = await WebChat.open(await phone(), emu, BOT_ID, await user_id(emu, "Emily"))
    await chat.say("/login")
    await chat.reply()
    await chat.press("🔐 Log in")
    provider = await chat.page.wait_for_frame("/demo/authorize")
    await chat.page.wait_for("!!document.querySelector('button')", frame_id=provider)
    await chat.page.evaluate("document.getElementById('webapp-frame').focus(); true")
    await tab_to(chat.page, "Ilze Liepa", frame_id=provider)
    await chat.page.key("Enter")
    done = await chat.page.wait_for_frame("/auth/callback")
    await chat.page.wait_for("document.title === 'Logged in'", frame_id=done)
    await check_page(chat.page, lang="en", frame_id=done)
    linked, _clients = await chat.replies(2)
    assert "linked as Ilze Liepa" in linked["text"]

    await register_company(chat.person, "40103888880", "ilze@vejravas.lv")
    mail = await phone()
    link = await newest_confirmation_link(mail, web)
    await mail.navigate(link)
    await mail.wait_for("document.title === 'Confirm the registration'")
    await check_page(mail, lang="en")
    await tab_to(mail, "Apstiprināt")
    await mail.key("Enter")
    await mail.wait_for("document.title === 'Registration complete'")
    await check_page(mail, lang="en")
    assert 'SIA "Vējrāvas Enerģija" is registered' in (await chat.reply())["text"]

    # Used once: the link now says so (in Latvian: whose it was is no longer known).
    await mail.navigate(link)
    await mail.wait_for("document.title === 'Saite nav derīga'")
    await check_page(mail, lang="lv")


async def test_the_login_link_works_only_in_the_mini_app(
    demo: tuple[EmulatorClient, str], phone: NewPage
) -> None:
    """The link copied out of the Mini App, initData and all, into an ordinary tab refuses
    in the browser's language and uses nothing up; in the chat's frame it logs in."""
    emu, _web = demo
    chat = await WebChat.open(await phone(), emu, BOT_ID, await user_id(emu, "Anna"))
    await chat.say("/login")
    offer = await chat.reply()
    copied = await chat.person.open_web_app(offer)
    for accept, lang, title, unchanged in (
        ("en-GB,en;q=0.9", "en", "Open it from the Telegram chat", "nothing was changed"),
        ("lv-LV,lv;q=0.9,en;q=0.5", "lv", "Atveriet to no Telegram sarunas", "nekas netika"),
    ):
        tab = await phone()
        await tab.languages(accept)
        await tab.navigate(copied["launch_url"])
        text = await tab.wait_for(f"document.title === '{title}' && document.body.innerText")
        assert unchanged in text
        await check_page(tab, lang=lang)

    # Without JavaScript the first page cannot post anything; it says how to log in.
    still = await phone()
    await still.languages("lv")
    await still.without_scripts()
    await still.navigate(copied["launch_url"])
    text = await still.wait_for("document.title === 'Pieslēgšanās' && document.body.innerText")
    assert "Šī lapa darbojas tikai Telegram" in text
    await check_page(still, lang="lv")

    await chat.press("🔐 Pieslēgties")
    provider = await chat.page.wait_for_frame("/demo/authorize")
    await chat.page.wait_for("!!document.querySelector('button')", frame_id=provider)
    await chat.page.evaluate(
        "[...document.querySelectorAll('button')]"
        ".find((b) => b.textContent === 'Anna Bērziņa').click(); true",
        frame_id=provider,
    )
    done = await chat.page.wait_for_frame("/auth/callback")
    await chat.page.wait_for("document.title === 'Pieslēgšanās izdevās'", frame_id=done)
    assert "piesaistīts kā Anna Bērziņa" in (await chat.reply())["text"]

    # Used up: opened again, the link says so.
    again = await phone()
    await again.languages("en")
    await again.navigate(copied["launch_url"])
    await again.wait_for("document.title === 'Logging in failed'")
    await check_page(again, lang="en")


async def test_the_back_office_docs_page_renders_offline(
    demo: tuple[EmulatorClient, str], phone: NewPage
) -> None:
    _emu, web = demo
    docs = await phone()
    await docs.navigate(f"{web}/api/v1/docs")
    title = await docs.wait_for("document.readyState === 'complete' && document.title")
    assert "API" in title
    await check_page(docs, lang="en")
    operations = await docs.evaluate("document.querySelectorAll('h3 .m').length")
    assert operations >= 20
    assert await docs.evaluate("!!document.querySelector('a[href=\"/api/v1/openapi.json\"]')")


async def test_the_checks_catch_what_they_look_for(
    demo: tuple[EmulatorClient, str], browser: NewPage
) -> None:
    """The checks above would fail a page that reached out, scrolled sideways or named no
    language (so their passing means something)."""
    _emu, web = demo
    page = await browser()
    await page.phone()
    await page.keep_local()
    await page.navigate(f"{web}/healthz")
    await page.wait_for("document.readyState === 'complete'")
    await page.evaluate(
        "fetch('https://cdn.example.com/font.woff2').catch(() => null).then(() => true)"
    )
    assert page.blocked == ["https://cdn.example.com/font.woff2"]
    with pytest.raises(AssertionError, match="lang"):  # plain text: no lang, ...
        await check_page(page, lang="en")
    await page.evaluate("document.documentElement.lang = 'en'; true")
    with pytest.raises(AssertionError, match="980 px wide: not a phone"):  # ... no viewport
        await check_page(page, lang="en")
    await page.evaluate(
        "document.open(); document.write('<!doctype html><html lang=en><head><meta "
        'name=viewport content="width=device-width"></head><body>'
        '<div style="width: 500px">wide</div></body></html>\'); document.close(); true'
    )
    with pytest.raises(AssertionError, match="px of content in a 360 px wide view"):
        await check_page(page, lang="en")
    await page.close()
