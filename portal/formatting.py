"""Jinja filters: money, rates, and times in the viewer's zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Flask, current_app
from flask_login import current_user

from portal import money
from portal.models import CHECKLIST_ITEMS


def _locale() -> str:
    return current_app.config.get("BABEL_LOCALE", money.DEFAULT_LOCALE)


def viewer_zone() -> ZoneInfo:
    zone = current_user.zone if getattr(current_user, "is_authenticated", False) else "UTC"
    return ZoneInfo(zone)


def local_datetime(value: datetime | None, fmt: str = "d MMM yyyy, HH:mm") -> str:
    """A UTC timestamp as the viewer reads it, in their zone."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(viewer_zone()), fmt, locale=_locale())


def nice_date(value: date | None, fmt: str = "d MMM yyyy") -> str:
    return "—" if value is None else format_date(value, fmt, locale=_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(lambda m, c: money.format_money(m, c, _locale()), "money")
    app.add_template_filter(lambda bps: money.format_rate(bps, _locale()), "rate")
    app.add_template_filter(local_datetime, "localtime")
    app.add_template_filter(nice_date, "date")
    app.add_template_global(viewer_zone, "viewer_zone")
    app.add_template_global(lambda: CHECKLIST_ITEMS, "checklist_items")
