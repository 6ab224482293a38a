"""Quiet hours: when no reminder is sent. Times are Riga's wall clock (Europe/Riga), so a
reminder "in the morning" is in the morning in Latvia whatever the server's zone, summer time
included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

RIGA = ZoneInfo("Europe/Riga")
_SPAN = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From `start` to `end` on Riga's clock; `end` before `start` spans midnight."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse(text: str) -> QuietHours | None:
    """ "21:00-08:00" → QuietHours; "" → None (no quiet hours). Raises ValueError otherwise."""
    text = text.strip()
    if not text:
        return None
    match = _SPAN.fullmatch(text)
    if match is None:
        raise ValueError(f"quiet hours must look like 21:00-08:00, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if (h1, m1) == (h2, m2):
        raise ValueError("quiet hours must not start and end at the same time")
    return QuietHours(time(h1, m1), time(h2, m2))


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=RIGA)


def is_quiet(at: datetime, quiet: QuietHours | None) -> bool:
    if quiet is None:
        return False
    local = at.astimezone(RIGA).time()
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def outside(at: datetime, quiet: QuietHours | None) -> datetime:
    """`at` itself, or when it falls in quiet hours, the moment they end (in UTC)."""
    if not is_quiet(at, quiet):
        return at
    assert quiet is not None
    local = at.astimezone(RIGA)
    end = _at(local.date(), quiet.end)
    if end <= local:
        end = _at(local.date() + timedelta(days=1), quiet.end)
    return end.astimezone(at.tzinfo)


def tomorrow_morning(now: datetime, quiet: QuietHours | None) -> datetime:
    """Tomorrow (Riga's date) when the quiet hours end, or at 08:00 without quiet hours."""
    morning = quiet.end if quiet is not None else time(8, 0)
    day = now.astimezone(RIGA).date() + timedelta(days=1)
    return _at(day, morning).astimezone(now.tzinfo)


def riga_date(at: datetime) -> date:
    return at.astimezone(RIGA).date()


def riga_time(day: date, moment: time, *, tz: datetime) -> datetime:
    """`moment` on Riga's `day`, in the zone of `tz` (UTC in practice)."""
    return _at(day, moment).astimezone(tz.tzinfo)
