"""Security headers on every response (ASVS 14.4), and no inline script or style anywhere.

Walks every GET route of the app's url_map, for anonymous visitors and each role, with real
objects behind the URLs (the FOREIGN factories of each feature's access table), so pages, error
pages, redirects and downloads are all covered.
"""

import re
from pathlib import Path

import pytest

from portal.models import Role
from portal.security import CONTENT_SECURITY_POLICY
from tests import factories
from tests.test_access import FOREIGN, _rules, _url

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REQUIRED_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
)


def _assert_headers(response, where) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "'unsafe-inline'" not in csp, where
    if csp != "default-src 'none'; sandbox":  # a document download's stricter policy
        for directive in REQUIRED_CSP:
            assert directive in csp, (where, directive)
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin")
    assert headers.get("Cache-Control") == "no-store", where


def _get_urls(app, world) -> list[str]:
    urls = []
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        ident = 1
        if rule.endpoint in FOREIGN:
            _, own, _ = FOREIGN[rule.endpoint]
            ident = own(world) if own else "tok"
        urls.append(_url(rule, ident))
    return urls


def test_the_policy_allows_no_inline_script_or_style():
    for directive in REQUIRED_CSP:
        assert directive in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_get_route_sends_security_headers_to_anonymous_visitors(app, client, world):
    for url in [*_get_urls(app, world), "/no/such/page"]:
        response = client.get(url)
        _assert_headers(response, url)
        response.close()


@pytest.mark.parametrize("role", list(Role))
def test_every_get_route_sends_security_headers_to_each_role(app, client, auth, world, role):
    person = {
        Role.BUSINESS_ADMIN: world.business_admin,
        Role.BUSINESS_MEMBER: world.business_member,
        Role.AGENCY_ADMIN: world.agency_admin,
        Role.CASEWORKER: world.caseworker,
    }[role]
    urls = _get_urls(app, world)
    auth.login(person)
    statuses = set()
    for url in urls:
        response = client.get(url)
        statuses.add(response.status_code)
        _assert_headers(response, (url, role))
        response.close()
    assert 200 in statuses


def test_downloads_of_personal_data_are_not_cached(app, client, auth, world):
    from tests.casefile.helpers import worked_case

    case = worked_case(world)
    auth.login(world.business_admin)
    response = client.get(f"/cases/{case.id}/case-file.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    _assert_headers(response, "case file")
    response.close()


def test_static_assets_may_be_cached_but_are_not_sniffed(client):
    response = client.get("/static/portal.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_error_pages_carry_the_headers_too(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setattr(
        "portal.dashboard.routes.render_template",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("injected")),
    )
    auth.login(world.business_admin)
    response = client.get("/dashboard")
    assert response.status_code == 500
    _assert_headers(response, "500 page")


# --- no inline script or style in any template --------------------------------------------

INLINE = {
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"""\sstyle\s*=\s*["'{]""", re.I),
    "event handler attribute": re.compile(r"""<[^>]*\son[a-z]+\s*=""", re.I),
    "inline <script> body": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}
# Templates with a known inline style or script, each marked as a failing test for its owner.
KNOWN_INLINE: dict[str, str] = {}
TEMPLATE_FILES = sorted(
    str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".svg")
)


def _inline_findings(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [name for name, pattern in INLINE.items() if pattern.search(text)]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name,
            marks=pytest.mark.xfail(strict=True, reason=f"inline style: {KNOWN_INLINE[name]}"),
        )
        if name in KNOWN_INLINE
        else name
        for name in TEMPLATE_FILES
    ],
)
def test_no_template_holds_inline_script_or_style(name):
    assert _inline_findings(TEMPLATES / name) == []


def test_the_inline_check_finds_what_it_looks_for(tmp_path):
    for sample in (
        "<style>p{}</style>",
        '<p style="color: red">',
        '<a onclick="x()">',
        "<script>alert(1)</script>",
        '<a href="javascript:x()">',
    ):
        (tmp_path / "t.html").write_text(sample)
        assert _inline_findings(tmp_path / "t.html"), sample
    (tmp_path / "t.html").write_text('<script src="/static/x.js" defer></script><p class="on">')
    assert _inline_findings(tmp_path / "t.html") == []


def test_pages_render_without_inline_styles(app, client, auth, world):
    """What the browser gets, not only the template source (macros and filters included)."""
    auth.login(factories.user(world.business, Role.BUSINESS_ADMIN))
    for url in ("/dashboard", "/cases/", "/imports/", "/agreements/", "/users", "/login"):
        html = client.get(url).get_data(as_text=True)
        found = [name for name, pattern in INLINE.items() if pattern.search(html)]
        assert found == [], url
