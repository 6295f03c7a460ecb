"""One error type for refused rules, and the error pages."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from portal.extensions import db


class DomainError(Exception):
    """A rule of the domain refused an action. The message is for the person who tried it.

    `field` names the form field it belongs beside, when there is one.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def register_error_pages(app: Flask) -> None:
    def page(status: int, title: str, text: str):
        return render_template("errors/error.html", status=status, title=title, text=text), status

    @app.errorhandler(400)
    def bad_request(error):
        return page(
            400,
            "That request could not be read",
            "Something in it was not what the page expected. Go back and try again.",
        )

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return page(
            400,
            "This form has expired",
            "For your security, forms expire. Go back, reload the page and send it again.",
        )

    @app.errorhandler(403)
    def forbidden(error):
        return page(
            403,
            "Not for your role",
            "Your account cannot open this page. Ask your organisation's administrator.",
        )

    @app.errorhandler(404)
    def not_found(error):
        return page(
            404,
            "Page not found",
            "There is nothing here, or it is not yours to see. Check the address.",
        )

    @app.errorhandler(405)
    def not_allowed(error):
        return page(405, "Not allowed", "This address does not take that kind of request.")

    @app.errorhandler(413)
    def too_large(error):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return page(
            413,
            "Too much at once",
            f"What you sent is over {limit_mb} MB in total. Send fewer or smaller files.",
        )

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        app.logger.error("500 on %s %s", request.method, request.path)
        return page(
            500,
            "Something went wrong on our side",
            "Nothing you did caused this. It has been logged; please try again.",
        )
