"""What the bot says about a document it refuses or accepts with a warning: which rule, by how
much, and what to do (`portal.documents.ADVICE`). Texts are HTML (the bot's parse mode)."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import get_i18n, ngettext
from aiogram.utils.i18n import gettext as _
from babel.numbers import format_decimal

from portal.documents import (
    KIB,
    KINDS,
    MIB,
    Advice,
    DocumentKind,
    DocumentRules,
    KindGroup,
    Refusal,
    RefusalCode,
    UploadWarning,
    WarningCode,
)


def refusal_text(refusal: Refusal, rules: DocumentRules) -> str:
    """The rule the file broke, then what to do, one advice a line."""
    lines = [_rule_text(refusal, rules), *(advice_text(a, rules) for a in refusal.advice)]
    if refusal.code in {RefusalCode.NOT_ALLOWED, RefusalCode.ARCHIVE}:
        lines.append(allowed_kinds_text())
    return "\n".join(lines)


def warning_text(warning: UploadWarning, rules: DocumentRules, *, name: str = "") -> str:
    """`name` is the name the file is kept under (for RENAMED)."""
    if warning.code is WarningCode.RENAMED:
        text = _("The file was named .{extension} but is a {kind} file; it is kept as «{name}».")
        text = text.format(
            extension=escape(warning.declared_extension or ""),
            kind=kind_label(warning.kind),
            name=escape(name),
        )
    else:
        text = _("The photo is small ({width}×{height} px) and may be hard to read.").format(
            width=warning.width, height=warning.height
        )
    return "\n".join([text, *(advice_text(a, rules) for a in warning.advice)])


def _rule_text(refusal: Refusal, rules: DocumentRules) -> str:
    code = refusal.code
    if code is RefusalCode.EMPTY:
        return _("The file is empty (0 bytes).")
    if code is RefusalCode.TOO_SMALL:
        return _("The file is too small: {size}. A document must be at least {limit}.").format(
            size=size_text(refusal.size or 0), limit=size_text(refusal.limit or rules.min_bytes)
        )
    if code is RefusalCode.TOO_LARGE:
        limit = size_text(refusal.limit or rules.max_bytes)
        # Just over the limit reads as the limit itself ("20 MB"): then say "larger than".
        if refusal.size and size_text(refusal.size) != limit:
            return _("The file is too large: {size}. A document may be at most {limit}.").format(
                size=size_text(refusal.size), limit=limit
            )
        return _("The file is larger than {limit}, the most a document may be.").format(limit=limit)
    if code is RefusalCode.NOT_ALLOWED and refusal.declared_extension:
        return _(
            "The file is named .{extension}, but its content is not a document type ALTUM accepts."
        ).format(extension=escape(refusal.declared_extension))
    if code is RefusalCode.DAMAGED and refusal.kind:
        return _("The file looks like a {kind} file but is damaged or incomplete.").format(
            kind=kind_label(refusal.kind)
        )
    if code is RefusalCode.TOO_MANY_PIXELS:
        return _("The picture is too large to put on a page: more than {limit} megapixels.").format(
            limit=_number((refusal.limit or rules.max_pixels) / 1_000_000)
        )
    if code is RefusalCode.TOO_MANY_PAGES:
        count = refusal.limit or rules.max_pages
        return ngettext(
            "A PDF made of photos can have at most {count} page.",
            "A PDF made of photos can have at most {count} pages.",
            count,
        ).format(count=count)
    return _fixed_rule_texts()[code]


def _fixed_rule_texts() -> dict[RefusalCode, str]:
    return {
        RefusalCode.NOT_ALLOWED: _("This type of file is not accepted."),
        RefusalCode.DAMAGED: _("The file is damaged or incomplete."),
        RefusalCode.PICTURE_FORMAT: _(
            "This picture format (HEIC, WebP, GIF and the like) is not accepted; pictures are "
            "accepted as JPG, PNG or TIFF."
        ),
        RefusalCode.ARCHIVE: _(
            "This is an archive (ZIP, RAR, 7z and the like). ALTUM accepts each document as "
            "a file of its own."
        ),
        RefusalCode.ARCHIVE_LIMITS: _(
            "The file unpacks to far more data than it holds, or into too many parts, so it is "
            "refused for safety."
        ),
        RefusalCode.EXECUTABLE: _(
            "This file is a program, whatever its name says. Programs are never accepted."
        ),
        RefusalCode.SCRIPT: _("This file is a script (program code). Scripts are never accepted."),
        RefusalCode.WEB_PAGE: _(
            "This file is a web page or an SVG picture, which can carry scripts. Such files are "
            "not accepted."
        ),
        RefusalCode.MACROS: _(
            "This Office file contains macros or controls (VBA, ActiveX). Files with macros are "
            "not accepted."
        ),
        RefusalCode.ENCRYPTED: _("The file is protected with a password, so ALTUM cannot open it."),
        RefusalCode.UNSIGNED_EDOC: _("This EDOC container has no signature."),
    }


def advice_text(advice: Advice, rules: DocumentRules) -> str:
    texts = {
        Advice.SEND_AS_FILE: _(
            "Send the photo as a file (📎 → File) so that Telegram does not compress it."
        ),
        Advice.PHOTOGRAPH_CLOSER: _(
            "Or photograph the page closer, in good light, so that it fills the picture."
        ),
        Advice.SPLIT_FILE: _(
            "Split it into parts of at most {limit} each and send them one by one, or make it "
            "smaller (lower picture resolution, a compressed PDF)."
        ).format(limit=size_text(rules.max_bytes)),
        Advice.CHECK_FILE: _(
            "Check that you chose the document itself, not a shortcut or an empty file, and "
            "send it again."
        ),
        Advice.SAVE_AS_ALLOWED: _("Save or export it as PDF (or DOCX, XLSX) and send that."),
        Advice.SEND_AS_PHOTO: _("Send it as a photo instead: Telegram makes it a JPG."),
        Advice.SAVE_AS_JPEG: _("Or save it as JPG or PNG and send that file."),
        Advice.SEND_SEPARATELY: _("Unpack it and send each document as a file of its own."),
        Advice.SAVE_WITHOUT_MACROS: _(
            "Save a copy without macros (Word: .docx, Excel: .xlsx) or as PDF, and send that."
        ),
        Advice.REMOVE_PASSWORD: _(
            "Save a copy without the password and send that. Never send the password here."
        ),
        Advice.EXPORT_AGAIN: _(
            "Save or export it again, check that it opens on your device, and send it again."
        ),
        Advice.SIGN_EDOC: _(
            "Sign it with eParaksts (eparaksts.lv or the eParaksts mobile app) and send the "
            "signed .edoc file."
        ),
        Advice.FEWER_PAGES: _("Send the other pages as another document."),
    }
    return texts[advice]


def allowed_kinds_text() -> str:
    groups = {
        KindGroup.DOCUMENT: _("documents {kinds}"),
        KindGroup.TABLE: _("tables {kinds}"),
        KindGroup.PICTURE: _("pictures {kinds}"),
        KindGroup.TECHNICAL: _("technical documentation {kinds}"),
    }
    parts = []
    for group, text in groups.items():
        extensions = [
            e.upper() for info in KINDS.values() if info.group is group for e in info.extensions
        ]
        parts.append(text.format(kinds=", ".join(extensions)))
    return _("Accepted: {kinds}.").format(kinds="; ".join(parts))


def kind_label(kind: DocumentKind | None) -> str:
    if kind is None:
        return ""
    return {DocumentKind.JPEG: "JPG", DocumentKind.TIFF: "TIFF"}.get(kind, kind.value.upper())


def page_count_text(count: int) -> str:
    """For the preview of photos made into one PDF."""
    return ngettext("{count} page", "{count} pages", count).format(count=count)


def size_text(size: int) -> str:
    """Sizes as the manual writes them (1 KB, 20 MB), in the reader's number format."""
    if size >= MIB:
        return _("{number} MB").format(number=_number(size / MIB))
    if size >= 1000 and (size % KIB == 0 or size % 1000 == 0):
        # Whole kilobytes (the 1 KB rule, 1000 or 1024 bytes, reads as the manual's "1 KB").
        divisor = KIB if size % KIB == 0 else 1000
        return _("{number} KB").format(number=_number(size / divisor))
    if size >= KIB:
        return _("{number} KB").format(number=_number(size / KIB))
    return ngettext("{count} byte", "{count} bytes", size).format(count=size)


def _number(value: float) -> str:
    return format_decimal(value, format="#,##0.#", locale=get_i18n().current_locale)
