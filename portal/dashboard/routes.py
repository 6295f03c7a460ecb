from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from portal.dashboard import services
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
    return render_template(
        "dashboard/home.html",
        organisation=current_user.organisation,
        cases_by_status=services.cases_by_status(current_user),
        agreements=services.agreement_counts(current_user),
        users=services.user_count(current_user),
    )
