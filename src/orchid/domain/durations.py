"""SimpleDuration arithmetic and the human duration syntax (1h30m)."""

from __future__ import annotations

import re

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE


def duration_ms(hours: int, minutes: int, seconds: int) -> int:
    return ((hours * 60 + minutes) * 60 + seconds) * MS_PER_SECOND


def split_ms(ms: int) -> tuple[int, int, int]:
    """Whole hours, minutes and seconds in `ms` (sub-second remainder dropped)."""
    total_seconds = ms // MS_PER_SECOND
    hours, rest = divmod(total_seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return hours, minutes, seconds


_HUMAN = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$", re.IGNORECASE)


def parse_human(text: str) -> int:
    """Parse '1h30m', '45m', '90s', '2h' into milliseconds. Raises ValueError when malformed."""
    match = _HUMAN.match(text)
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 1h30m, 45m or 90s)")
    h, m, s = (int(g) if g else 0 for g in match.groups())
    return duration_ms(h, m, s)


def format_human(ms: int) -> str:
    h, m, s = split_ms(ms)
    parts = [f"{h}h" if h else "", f"{m}m" if m else "", f"{s}s" if s else ""]
    return "".join(parts) or "0s"
