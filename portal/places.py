"""Countries, their time zones and currencies, from Babel's CLDR data."""

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.core import Locale, get_global
from babel.numbers import get_territory_currencies

# Zones most people in a country use come first in CLDR; fall back to a sorted list.
_PREFERRED = {
    "US": "America/New_York",
    "GB": "Europe/London",
    "AU": "Australia/Sydney",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
}


@cache
def countries() -> list[tuple[str, str]]:
    """(code, English name) for every country with a time zone, sorted by name."""
    names = Locale.parse("en").territories
    zones = get_global("territory_zones")
    return sorted(
        ((code, names[code]) for code in zones if len(code) == 2 and code in names),
        key=lambda pair: pair[1],
    )


@cache
def _all_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_country(code: str) -> bool:
    return code in dict(countries())


def country_name(code: str) -> str:
    return dict(countries()).get(code, code)


def zones_for(country: str) -> list[str]:
    zones = [z for z in get_global("territory_zones").get(country, []) if z in _all_zones()]
    return zones


def default_zone(country: str) -> str:
    zones = zones_for(country)
    return _PREFERRED.get(country) or (zones[0] if zones else "UTC")


def default_currency(country: str) -> str | None:
    currencies = get_territory_currencies(country)
    return currencies[0] if currencies else None


def is_zone(name: str) -> bool:
    if name not in _all_zones():
        return False
    ZoneInfo(name)
    return True


@cache
def zone_choices() -> list[str]:
    return sorted(z for z in _all_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
