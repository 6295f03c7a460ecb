"""The home page of each side, and the lists behind its figures."""

from babel.numbers import format_compact_decimal
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from portal import money
from portal.dashboard import agency, business, chart, lists
from portal.dashboard import services as s
from portal.models import CaseStatus, Role, utcnow
from portal.tenancy import signed_in

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    return redirect(url_for("auth.login"))


@bp.route("/dashboard")
@signed_in
def home():
    now = utcnow()
    today = s.local_today(current_user, now)
    if current_user.is_agency:
        return render_template(
            "dashboard/agency.html",
            d=agency.dashboard(current_user, today, now),
            organisation=current_user.organisation,
            statuses=CaseStatus,
        )
    d = business.dashboard(current_user, today)
    return render_template(
        "dashboard/business.html",
        d=d,
        organisation=current_user.organisation,
        charts={
            cur: chart.layout([(b.start, b.amount) for b in bars]) for cur, bars in d.months.items()
        },
        buckets=s.BUCKETS,
        import_url=_url_or_none("imports.upload"),
        can_accept=current_user.role == Role.BUSINESS_ADMIN,
    )


@bp.route("/dashboard/<figure>")
@signed_in
def figure_list(figure: str):
    found = lists.figure_for(figure, current_user)
    if found is None:
        abort(404)
    now = utcnow()
    params = lists.read_params(request.args)
    listing = lists.listing(found, current_user, params, s.local_today(current_user, now), now)
    return render_template("dashboard/list.html", listing=listing)


def _url_or_none(endpoint: str) -> str | None:
    try:
        return url_for(endpoint)
    except BuildError:
        return None


@bp.app_template_filter("compact")
def compact(minor: int, currency: str) -> str:
    """1,250,000.00 → 1.3M: for chart labels only (the table beside it holds exact amounts)."""
    locale = current_app.config.get("BABEL_LOCALE", money.DEFAULT_LOCALE)
    return format_compact_decimal(
        money.to_decimal(minor, currency), locale=locale, fraction_digits=1
    )
