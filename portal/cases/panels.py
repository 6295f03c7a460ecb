"""Sections other features add to the case page, without the case page knowing them.

A feature registers a panel in its routes module:

    @panels.panel("casework/_rules_panel.html", order=10, slot="top")
    def rules_panel(case, user, forms):
        if not user.is_agency:
            return None  # not shown
        return {"verdict": ...}

The function returns the template's context (a dict) or None to leave the panel out. Each
template sees `case`, `is_business` and its own context as `ctx`.

Where a panel sits is its `slot`; within a slot, panels go by `order`:

- "top": what needs the reader first, under the case's header (may we call now, an open
  dispute, the money, plans and settlements waiting for a decision);
- "main": the working sections, beside the debtor's details (the contact log);
- "messages": inside the message thread, under the messages (the form to write one);
- "bottom": the rest, above the timeline (the case file, closing the case).

A panel whose place depends on the case may return `"slot"` (and `"order"`) in its context to
move itself for this rendering (an open dispute goes to the top; an old one stays in main).

A POST handler that re-renders the case page with errors passes its form as
`panel_forms={"contact_form": form}`; every panel function gets those forms so it shows the
errors instead of a fresh form.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.models import Case, User

PanelFunction = Callable[..., dict[str, Any] | None]
SLOTS = ("top", "main", "messages", "bottom")

# Panels of features that register without a slot, placed by the case page's layout
# (template -> (slot, order)); a registration that names its slot wins over this.
LAYOUT: dict[str, tuple[str, int]] = {
    "ledger/_money.html": ("top", 20),
    "ledger/_arrangements.html": ("top", 25),
    "ledger/_closing.html": ("bottom", 90),
    "casefile/_download.html": ("bottom", 80),
}
# The case page's contents list: each panel's section id and a short name.
CONTENTS: dict[str, tuple[str, str]] = {
    "ledger/_money.html": ("money", "Money"),
    "ledger/_arrangements.html": ("arrangements", "Plans and settlements"),
    "ledger/_closing.html": ("closing", "Closing"),
    "casefile/_download.html": ("case-file", "Case file (PDF)"),
}


@dataclass(frozen=True)
class Panel:
    template: str
    order: int
    build: PanelFunction
    slot: str = "main"


@dataclass(frozen=True)
class RenderedPanel:
    template: str
    context: dict[str, Any]
    slot: str = "main"

    @property
    def contents(self) -> tuple[str, str] | None:
        """(section id, short name) for the page's contents list, if the panel has one."""
        return CONTENTS.get(self.template)


_PANELS: dict[str, Panel] = {}


def panel(
    template: str,
    order: int = 50,
    slot: str | None = None,
    contents: tuple[str, str] | None = None,
) -> Callable[[PanelFunction], PanelFunction]:
    """Register `build(case, user, forms)` as the context of `template` on the case page;
    `contents` is (the section's id, a short name) for the page's contents list."""
    if contents is not None:
        CONTENTS[template] = contents
    if slot is not None and slot not in SLOTS:
        raise ValueError(f"unknown case page slot {slot!r}: one of {SLOTS}")

    def register(build: PanelFunction) -> PanelFunction:
        where, at = (slot, order) if slot is not None else LAYOUT.get(template, ("main", order))
        _PANELS[template] = Panel(template, at, build, where)
        return build

    return register


def panels_for(case: Case, user: User, forms: dict[str, Any] | None = None) -> list[RenderedPanel]:
    """The panels this user sees on this case, in order, each with the slot it goes in."""
    shown = []
    for item in _PANELS.values():
        context = item.build(case, user, forms or {})
        if context is not None:
            slot = context.get("slot", item.slot)
            where = slot if slot in SLOTS else "main"
            shown.append((context.get("order", item.order), item.template, where, context))
    return [RenderedPanel(t, context, where) for _, t, where, context in sorted(shown)]


def in_slot(shown: list[RenderedPanel], slot: str) -> list[RenderedPanel]:
    """The rendered panels that go in `slot`, in order."""
    return [p for p in shown if p.slot == slot]
