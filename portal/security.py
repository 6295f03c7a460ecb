"""Response headers every page carries (OWASP ASVS 4.0.3, 14.4).

- ``Content-Security-Policy``: scripts, styles, images, forms and fonts from the portal's own
  origin only; no inline script or style (templates use static files: a test checks that no
  template holds a ``<script>`` body, ``<style>``, ``style="..."`` or ``on...=`` handler), no
  plugins, no framing (``frame-ancestors 'none'``), no ``<base>``.
- ``X-Content-Type-Options: nosniff``: a browser never guesses a type (an upload that is
  "text" stays text).
- ``Referrer-Policy: same-origin``: case addresses never leak to another site.
- ``X-Frame-Options: DENY``: ``frame-ancestors`` for browsers that predate it.
- ``Cache-Control: no-store`` on every response except static assets: pages and downloads hold
  personal data (names, addresses, debts), so no browser or proxy keeps a copy. The sign-in
  page is included (it carries a CSRF token).

A response that already set one of these headers keeps its own value (a document download
sets a stricter ``default-src 'none'; sandbox`` policy).
"""

from flask import Flask, Request, Response, request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app`; take NUL out of every input."""
    app.request_class = NulFreeRequest
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Pragma", "no-cache")
    return response


# --- input: no NUL characters ------------------------------------------------------------------


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class NulFreeMultiDict(ImmutableMultiDict):
    """Query and form parameters with NUL characters removed from names and text values.

    NUL is never meaningful in what a person types, PostgreSQL refuses it in text columns, and
    the PDF and CSV writers choke on it: removing it is the one normalisation applied to every
    field of every form (uploaded files are untouched; their names are cleaned where stored).
    """

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            pairs = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            pairs = (
                (key, item)
                for key, value in mapping.items()
                for item in (value if isinstance(value, (list, tuple)) else [value])
            )
        else:
            pairs = mapping
        super().__init__([(_without_nul(key), _without_nul(value)) for key, value in pairs])


class NulFreeRequest(Request):
    parameter_storage_class = NulFreeMultiDict
