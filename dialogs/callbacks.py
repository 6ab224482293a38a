"""Callback data: short prefixes and opaque values only (64 bytes, chosen by the client).

Nothing here is trusted: every handler re-checks what the value names.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuAction(CallbackData, prefix="m"):
    section: str


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


class ClientChoice(CallbackData, prefix="cl"):
    client_id: int


class RegistrationStep(CallbackData, prefix="rg"):
    action: str


class FormAct(CallbackData, prefix="fa"):
    """A form dialog's button: an action on application `app`, at field index `f` of its
    form (-1: none), with a short value (an option's index, a date, a hash's start)."""

    act: str
    app: int
    f: int
    v: str


# Reminders and notification preferences (dialogs/notifications.py).
class ReminderSnooze(CallbackData, prefix="rs"):
    reminder_id: int


class NotificationToggle(CallbackData, prefix="nt"):
    kind: str
    on: int  # the state asked for, not "flip": a double tap changes nothing twice


class QuietHoursChoice(CallbackData, prefix="nq"):
    choice: str
