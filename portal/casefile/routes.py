"""The case file download, and the panel on the case page that links to it."""

from flask import Response, current_app, request
from flask_login import current_user

from portal import audit, money
from portal.casefile import bp, build
from portal.casefile.contents import gather
from portal.cases import panels
from portal.models import Case, User, utcnow
from portal.tenancy import get_or_404, signed_in

__all__ = ["bp"]


@bp.route("/cases/<int:case_id>/case-file.pdf")
@signed_in
def download(case_id: int) -> Response:
    """The case file as the viewer may see it; `?bundle=1` appends the case's PDF documents."""
    case = get_or_404(Case, case_id)
    viewer = current_user._get_current_object()
    with_documents = request.args.get("bundle") == "1"
    contents = gather(case, viewer, utcnow())
    locale = current_app.config.get("BABEL_LOCALE", money.DEFAULT_LOCALE)
    data = build.bundle(contents, locale) if with_documents else build.render(contents, locale)
    response = Response(data, mimetype="application/pdf")
    name = build.filename(case, bundle=with_documents)
    audit.downloaded(case, name)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@panels.panel("casefile/_download.html", order=1)
def download_panel(case: Case, user: User, forms: dict) -> dict:
    """Both sides download the case file from the case page."""
    return {
        "filename": build.filename(case),
        "bundle_filename": build.filename(case, bundle=True),
    }
