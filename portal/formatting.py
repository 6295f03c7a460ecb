"""Jinja filters: money, rates, and times in the viewer's zone."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from flask import Flask, current_app
from flask_login import current_user

from portal import money
from portal.models import CHECKLIST_ITEMS


def _locale() -> str:
    return current_app.config.get("BABEL_LOCALE", money.DEFAULT_LOCALE)


_ABBREVIATED_MONTH = re.compile(r"(?<!M)MMM(?!M)")


def three_letter_months(fmt: str, month: int, locale: str) -> str:
    """The pattern with an abbreviated month (MMM) spelt as three letters in English.

    Babel's British and Kenyan English abbreviate September as "Sept" while every other month
    has three letters; people write "Sep", so "3 Sep 2026" sits in a column with "3 Oct 2026".
    """
    parsed = Locale.parse(locale)
    if parsed.language != "en" or not _ABBREVIATED_MONTH.search(fmt):
        return fmt
    name = parsed.months["format"]["wide"][month][:3]
    return _ABBREVIATED_MONTH.sub(f"'{name}'", fmt)


def viewer_zone() -> ZoneInfo:
    zone = current_user.zone if getattr(current_user, "is_authenticated", False) else "UTC"
    return ZoneInfo(zone)


def local_datetime(value: datetime | None, fmt: str = "d MMM yyyy, HH:mm") -> str:
    """A UTC timestamp as the viewer reads it, in their zone."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(viewer_zone())
    return format_datetime(
        local, three_letter_months(fmt, local.month, _locale()), locale=_locale()
    )


def nice_date(value: date | None, fmt: str = "d MMM yyyy") -> str:
    if value is None:
        return "—"
    return format_date(value, three_letter_months(fmt, value.month, _locale()), locale=_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(lambda m, c: money.format_money(m, c, _locale()), "money")
    app.add_template_filter(lambda bps: money.format_rate(bps, _locale()), "rate")
    app.add_template_filter(local_datetime, "localtime")
    app.add_template_filter(nice_date, "date")
    app.add_template_global(viewer_zone, "viewer_zone")
    app.add_template_global(lambda: CHECKLIST_ITEMS, "checklist_items")
