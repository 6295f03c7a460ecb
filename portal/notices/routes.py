"""My notifications: the list, opening one (marks it read), marking all read, e-mail settings;
and `flask notices send-mail`, which delivers the outbox."""

import click
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from portal import mail, notifications
from portal.extensions import db
from portal.forms import ActionForm
from portal.models import Case, Notification, utcnow
from portal.notices import bp
from portal.notices.forms import settings_form
from portal.tenancy import get_or_404, owned, signed_in


@bp.route("/notifications")
@signed_in
def index():
    size = current_app.config["PAGE_SIZE"]
    total = db.session.scalar(select(func.count()).select_from(owned(Notification).subquery()))
    pages = max(1, -(-total // size))
    page = min(_page(request.args.get("page")), pages)
    rows = db.session.execute(
        owned(Notification)
        .add_columns(Case.reference)
        .outerjoin(Case, Case.id == Notification.case_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    return render_template(
        "notices/index.html",
        rows=rows,
        page=page,
        pages=pages,
        total=total,
        unread=notifications.unread_count(current_user),
        form=ActionForm(),
    )


def _page(value: str | None) -> int:
    text = (value or "").strip()
    if not (text.isascii() and text.isdigit() and 0 < len(text) < 8):
        return 1
    return max(1, int(text))


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@signed_in
def open_notification(notification_id: int):
    note = get_or_404(Notification, notification_id)
    if not ActionForm().validate_on_submit():
        flash("This form has expired. Reload the page and try again.", "error")
        return redirect(url_for("notices.index"))
    notifications.mark_read(note, utcnow())
    db.session.commit()
    return redirect(notifications.target(note))


@bp.route("/notifications/read-all", methods=["POST"])
@signed_in
def read_all():
    if ActionForm().validate_on_submit():
        count = notifications.mark_all_read(current_user, utcnow())
        db.session.commit()
        flash(
            f"{count} notification{'' if count == 1 else 's'} marked read."
            if count
            else "There was nothing unread.",
            "success" if count else "info",
        )
    return redirect(url_for("notices.index"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@signed_in
def settings():
    form = settings_form(notifications.email_kinds_for(current_user))
    if form.validate_on_submit():
        notifications.save_email_preferences(current_user, form.choices())
        db.session.commit()
        flash("Your e-mail settings are saved.", "success")
        return redirect(url_for("notices.settings"))
    if request.method == "GET":
        preferences = notifications.email_preferences(current_user)
        for kind in form.kinds:
            form[kind].data = preferences[kind]
    status = 422 if form.errors else 200
    return render_template("notices/settings.html", form=form), status


@bp.cli.command("send-mail")
def send_mail() -> None:
    """Deliver the unsent mail in the outbox (SMTP, or the log when MAIL_SERVER is unset)."""
    config = current_app.config
    after, sent, failed, gave_up = 0, 0, 0, 0
    while True:
        batch = mail.send_batch(config, utcnow, after_id=after)
        db.session.commit()
        if batch.last_id is None:
            break
        after = batch.last_id
        sent, failed, gave_up = (
            sent + len(batch.sent),
            failed + len(batch.failed),
            gave_up + len(batch.gave_up),
        )
    where = f"by SMTP via {config['MAIL_SERVER']}" if config.get("MAIL_SERVER") else "to the log"
    click.echo(f"{sent} sent {where}; {failed} failed.")
    if gave_up:
        click.echo(
            f"{gave_up} will not be tried again (after {config['MAIL_MAX_ATTEMPTS']} attempts)."
        )
