"""The agency's own time: Indonesia's time zones and the one way a moment is written for people.

Times are stored in UTC. What people read — pages, the API's messages, the audit CSV, the
PDFs, a guard's refusal — is written by ``format_moment`` in the agency's zone with its
Indonesian abbreviation (WIB, WITA, WIT), so a moment reads the same on every surface.
Pure: the standard library's ``zoneinfo`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

# Indonesia's zones in the IANA database and the abbreviation Indonesians write. Only these
# are accepted in a definition: every agency is Indonesian, each of these has its WIB/WITA/WIT
# name, and a typo ("Asia/Makasar") or a foreign zone is refused instead of silently used.
ZONES: Mapping[str, str] = {
    "Asia/Jakarta": "WIB",      # Sumatra, Java, West and Central Kalimantan
    "Asia/Pontianak": "WIB",    # West Kalimantan (its own IANA entry, same offset)
    "Asia/Makassar": "WITA",    # Bali, Nusa Tenggara, South/East/North Kalimantan, Sulawesi
    "Asia/Jayapura": "WIT",     # Maluku, Papua
}
DEFAULT_ZONE = "Asia/Jakarta"

Style = Literal["date", "full_date", "datetime", "full_datetime", "long", "timestamp"]
STYLES: tuple[Style, ...] = ("date", "full_date", "datetime", "full_datetime", "long",
                             "timestamp")

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
SHORT_MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


@cache
def zone_info(name: str) -> ZoneInfo:
    """Return the ``ZoneInfo`` of one of ``ZONES``.

    :raises ValueError: for a zone that is not Indonesian.
    """
    if name not in ZONES:
        raise ValueError(f"not an Indonesian time zone: {name!r}")
    return ZoneInfo(name)


def abbreviation(zone: str) -> str:
    """Return the Indonesian abbreviation of a zone: WIB, WITA or WIT."""
    zone_info(zone)
    return ZONES[zone]


def to_local(moment: datetime, zone: str) -> datetime:
    """Return an aware moment as wall-clock time in ``zone``.

    :raises ValueError: for a naive datetime (stored times are always aware UTC).
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: cannot tell which moment it is")
    return moment.astimezone(zone_info(zone))


def local_date(moment: datetime, zone: str) -> date:
    """Return the calendar date a moment falls on in ``zone``."""
    return to_local(moment, zone).date()


def format_date(day: date, lang: str = "id", style: Style = "date") -> str:
    """Write a calendar date in the style's way (see ``format_moment``; no time, no zone)."""
    lang = "en" if lang == "en" else "id"
    if style in ("date", "datetime"):
        return f"{day.day} {SHORT_MONTHS[lang][day.month - 1]} {day.year}"
    if style == "timestamp":
        return f"{day:%d-%m-%Y}"
    text = f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"
    return f"{WEEKDAYS[lang][day.weekday()]}, {text}" if style == "long" else text


def format_moment(moment: datetime | None, zone: str, lang: str = "id",
                  style: Style = "datetime") -> str:
    """Write a moment for people, in ``zone`` with its abbreviation; ``—`` for None.

    ============== ====================================== =====================================
    style          Indonesian                             English
    ============== ====================================== =====================================
    date           16 Mar 2026                            16 Mar 2026
    full_date      16 Maret 2026                          16 March 2026
    datetime       16 Mar 2026, 23.59 WITA                16 Mar 2026, 23:59 WITA
    full_datetime  16 Maret 2026 23.59 WITA               16 March 2026 23:59 WITA
    long           Senin, 16 Maret 2026 pukul 23.59 WITA  Monday, 16 March 2026 at 23:59 WITA
    timestamp      16-03-2026 23:59:59 WITA               16-03-2026 23:59:59 WITA
    ============== ====================================== =====================================
    """
    if moment is None:
        return "—"
    lang = "en" if lang == "en" else "id"
    local = to_local(moment, zone)
    day = format_date(local.date(), lang, style)
    if style in ("date", "full_date"):
        return day
    abbr = ZONES[zone]
    if style == "timestamp":
        return f"{day} {local:%H:%M:%S} {abbr}"
    clock = f"{local:%H:%M}" if lang == "en" else f"{local:%H.%M}"
    if style == "long":
        return f"{day} {'at' if lang == 'en' else 'pukul'} {clock} {abbr}"
    separator = ", " if style == "datetime" else " "
    return f"{day}{separator}{clock} {abbr}"
