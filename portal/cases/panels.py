"""Sections other features add to the case page, without the case page knowing them.

A feature registers a panel in its routes module:

    @panels.panel("casework/_rules_panel.html", order=10)
    def rules_panel(case, user):
        if not user.is_agency:
            return None  # not shown
        return {"verdict": ...}

The function returns the template's context (a dict) or None to leave the panel out. The
case page renders every panel in `order`, each template seeing `case`, `is_business` and its
own context. A POST handler that re-renders the case page with errors passes its form as
`forms={"contact_form": form}`; every panel function gets those forms so it shows the errors
instead of a fresh form.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.models import Case, User

PanelFunction = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    template: str
    order: int
    build: PanelFunction


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: dict[str, Any]


_PANELS: dict[str, Panel] = {}


def panel(template: str, order: int = 50) -> Callable[[PanelFunction], PanelFunction]:
    """Register `build(case, user, forms)` as the context of `template` on the case page."""

    def register(build: PanelFunction) -> PanelFunction:
        _PANELS[template] = Panel(template, order, build)
        return build

    return register


def panels_for(case: Case, user: User, forms: dict[str, Any] | None = None) -> list[RenderedPanel]:
    """The panels this user sees on this case, in order."""
    shown = []
    for item in sorted(_PANELS.values(), key=lambda p: (p.order, p.template)):
        context = item.build(case, user, forms or {})
        if context is not None:
            shown.append(RenderedPanel(item.template, context))
    return shown
