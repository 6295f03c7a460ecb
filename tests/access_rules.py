"""Shared names for the access tables each feature keeps in tests/<feature>/access.py."""

from portal.models import Role

PUBLIC = "public"
EVERYONE = frozenset(Role)
ADMINS = frozenset({Role.BUSINESS_ADMIN, Role.AGENCY_ADMIN})
BUSINESS = frozenset({Role.BUSINESS_ADMIN, Role.BUSINESS_MEMBER})
AGENCY = frozenset({Role.AGENCY_ADMIN, Role.CASEWORKER})
