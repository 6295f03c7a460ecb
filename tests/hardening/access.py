"""The hardening tests add no routes: nothing to declare (kept so the access test finds us)."""

ACCESS: dict = {}
