"""Times for people: "3 min ago", "in 4h 59m", "14:03:05", and dates typed on the command line."""

from __future__ import annotations

import re
import time
from datetime import datetime

from orchid.domain.durations import MS_PER_HOUR, parse_human

MS_PER_DAY = 24 * MS_PER_HOUR
_DAYS = re.compile(r"^\s*(\d+)\s*d\s*(.*)$", re.IGNORECASE)


def now_ms() -> int:
    return int(time.time() * 1000)


def span(ms: int) -> str:
    """A compact duration with its two largest units: '4h 59m', '2m 5s', '3d 4h', '0s'."""
    seconds = max(ms, 0) // 1000
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


def relative(ms: int, now: int | None = None) -> str:
    """'just now', '42 s ago', '3 min ago', '2 h ago', '3 days ago', or 'in 4h 59m'."""
    now = now_ms() if now is None else now
    delta = now - ms
    if delta < 0:
        return f"in {span(-delta)}"
    seconds = delta // 1000
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return f"{days} day ago" if days == 1 else f"{days} days ago"


def clock(ms: int, now: int | None = None) -> str:
    """Local time of day for today's timestamps, date and time otherwise."""
    moment = datetime.fromtimestamp(ms / 1000)
    today = datetime.fromtimestamp((now_ms() if now is None else now) / 1000).date()
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M:%S")


def parse_when(text: str, now: int | None = None) -> int:
    """A moment typed by a person, in ms: an ISO date or date-time ('2024-05-01', '2024-05-01T12:00',
    local time unless it says otherwise) or an age ('2h', '1d', '1d12h', '30m' = that long ago).
    Raises ValueError when it is neither."""
    now = now_ms() if now is None else now
    try:
        return int(datetime.fromisoformat(text.strip()).timestamp() * 1000)
    except ValueError:
        pass
    days = 0
    rest = text
    match = _DAYS.match(text)
    if match:
        days, rest = int(match.group(1)), match.group(2)
    try:
        age = days * MS_PER_DAY + (parse_human(rest) if rest.strip() else 0)
    except ValueError:
        raise ValueError(
            f"not a date or an age: {text!r} (expected e.g. 2024-05-01, 2024-05-01T12:00, 2h or 1d)"
        ) from None
    return now - age
