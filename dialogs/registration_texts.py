"""What the registration dialog says: terms, refusals, the representation rule, password
rules, the summary and the confirmation e-mail."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from portal import contacts, voice_password
from portal.model import ClientKind, CompanyCheck, Detail, InvalidDetail, Refused, RegistrationDraft
from portal.registration import TERMS_VERSION


def terms_text() -> str:
    return _(
        "<b>Terms of use</b> (version {version})\n\n"
        "1. You register the client only if you may sign for it; ALTUM checks this and "
        "deletes registrations by persons without signing rights.\n"
        "2. You keep your voice password secret; ALTUM uses it to recognise you on the phone.\n"
        "3. What you do here in the client's name counts as done in the portal "
        "mans.altum.lv.\n"
        "4. ALTUM processes your data to provide its services, as described on altum.lv."
    ).format(version=TERMS_VERSION)


def refusal_text(reason: Refused) -> str:
    texts = {
        Refused.INVALID_NUMBER: _(
            "This is not a valid registration number: 11 digits with a correct check digit, "
            "e.g. 40103999940. Please type it again."
        ),
        Refused.UNKNOWN_COMPANY: _(
            "The Company Register has no company with this number. Check it and type it "
            "again, or /cancel."
        ),
        Refused.CLOSED_COMPANY: _(
            "This company is struck off or liquidated in the Company Register, so it cannot "
            "be registered."
        ),
        Refused.NOT_SIGNATORY: _(
            "By the Company Register you are not a person with signing rights "
            "(«paraksttiesīgā persona») of this company. Only signatories may register a "
            "client; ALTUM rejects other registrations and deletes their data. Ask a board "
            "member to register it and then give you access."
        ),
        Refused.ALREADY_REGISTERED: _(
            "This client is already registered with ALTUM. Ask its main user to give you "
            "access («Pārvaldīt lietotājus»)."
        ),
        Refused.INCOMPLETE: _("Some details are missing or no longer valid; please start again."),
    }
    return texts[reason]


def detail_text(invalid: InvalidDetail) -> str:
    """What is wrong with an answer a step refused, and what to type instead."""
    match invalid.detail:
        case Detail.REGISTRATION_NUMBER:
            return refusal_text(Refused.INVALID_NUMBER)
        case Detail.ADDRESS:
            return _("Please type the full address ({min} to {max} characters).").format(
                min=contacts.ADDRESS_MIN_LENGTH, max=contacts.ADDRESS_MAX_LENGTH
            )
        case Detail.EMAIL:
            return _(
                "This does not look like an e-mail address, e.g. anna@example.lv. "
                "Please type it again."
            )
        case Detail.PHONE:
            return _(
                "This does not look like a phone number, e.g. +371 20000000. Please type it again."
            )
        case Detail.VOICE_PASSWORD:
            return _("This voice password is too weak: {rules}. Please type another one.").format(
                rules=weakness_text(list(invalid.weaknesses))
            )
        case Detail.VOICE_PASSWORD_REPEAT:
            return _("The two voice passwords differ. Please type a new one.")
    return refusal_text(Refused.INCOMPLETE)


def rule_text(check: CompanyCheck, at_least_counts: str = "others") -> str:
    """The register's representation rule in words. Whether its N counts the other
    signatories or all of them is a setting (REGISTRATION_AT_LEAST_COUNTS)."""
    if check.representation_rule == "individually":
        return _("signs alone")
    count = check.representation_with_at_least
    if check.representation_rule == "with_at_least" and count:
        if at_least_counts == "total":
            return ngettext(
                "signs together with others: at least {count} signatory in all",
                "signs together with others: at least {count} signatories in all",
                count,
            ).format(count=count)
        return ngettext(
            "signs together with at least {count} other signatory",
            "signs together with at least {count} other signatories",
            count,
        ).format(count=count)
    return _("signs together with all other signatories")


def weakness_text(weaknesses: list[voice_password.Weakness]) -> str:
    W = voice_password.Weakness
    texts = {
        W.TOO_SHORT: _("at least {count} characters").format(count=voice_password.MIN_LENGTH),
        W.TOO_LONG: _("at most {count} characters").format(count=voice_password.MAX_LENGTH),
        W.NO_LETTER: _("at least one letter"),
        W.NO_DIGIT: _("at least one digit"),
        W.REPEATED: _("not one character repeated or a simple run like 12345678"),
        W.COMMON: _("not a common password"),
        W.PERSONAL: _("not your name or personal code"),
    }
    return "; ".join(texts[w] for w in weaknesses)


def summary_text(draft: RegistrationDraft) -> str:
    lines = [_("<b>Check the registration</b>"), ""]
    if draft.kind == ClientKind.LEGAL_ENTITY:
        lines.append(_("Client: {name}").format(name=escape(draft.name or "")))
        lines.append(_("Reg. No.: {number}").format(number=draft.registration_number))
        if draft.legal_form:
            lines.append(_("Legal form: {form}").format(form=escape(draft.legal_form)))
    else:
        lines.append(_("Client: {name} (natural person)").format(name=escape(draft.name or "")))
    if draft.address:
        lines.append(_("Address: {address}").format(address=escape(draft.address)))
    lines.append(_("E-mail: {email}").format(email=escape(draft.email or "")))
    lines.append(_("Phone: {phone}").format(phone=escape(draft.phone or "")))
    lines.append(_("Voice password: set (not shown)"))
    lines.append(_("Terms of use: accepted (version {version})").format(version=TERMS_VERSION))
    return "\n".join(lines)


def confirmation_email(name: str, url: str, *, hours: int) -> tuple[str, str]:
    subject = _("Confirm the registration of {name} at ALTUM").format(name=name)
    text = ngettext(
        "Hello!\n\n"
        "You registered {name} as a client of ALTUM in the Telegram assistant. To finish the "
        "registration, open this link and press «Apstiprināt» (Confirm):\n\n{url}\n\n"
        "The link works once and expires in {count} hour. If you did not register, ignore "
        "this e-mail: nothing happens without the confirmation.\n\nALTUM",
        "Hello!\n\n"
        "You registered {name} as a client of ALTUM in the Telegram assistant. To finish the "
        "registration, open this link and press «Apstiprināt» (Confirm):\n\n{url}\n\n"
        "The link works once and expires in {count} hours. If you did not register, ignore "
        "this e-mail: nothing happens without the confirmation.\n\nALTUM",
        hours,
    ).format(name=name, url=url, count=hours)
    return subject, text


def voice_prompt() -> str:
    return _(
        "Choose a <b>voice password</b> («Balss parole»): ALTUM asks for it when you phone. "
        "At least {count} characters with letters and digits, not your name or personal code. "
        "I delete your message right away and keep only a scrambled form."
    ).format(count=voice_password.MIN_LENGTH)


def awaiting_review_text() -> str:
    return _(
        "⏳ ALTUM still checks that you may sign for it: the Company Register shows only your "
        "name and the first six digits of your personal code. Until ALTUM confirms, you can look "
        "around and prepare, but nothing can be signed or sent to ALTUM in the client's name. "
        "I will tell you here when ALTUM has decided."
    )
