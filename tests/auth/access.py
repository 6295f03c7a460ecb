"""Who may use the sign-in pages added for hardening. Merged into tests/test_access.py.

The reset link and the second-factor code page work before signing in (PUBLIC); two-factor
sign-in is offered to agency users only. None of these pages shows another organisation's rows,
so FOREIGN is empty.
"""

from tests.access_rules import AGENCY, EVERYONE, PUBLIC

ACCESS = {
    "auth.login_code": PUBLIC,
    "auth.forgot_password": PUBLIC,
    "auth.reset_password": PUBLIC,
    "auth.reauthenticate": EVERYONE,
    "auth.sign_out_elsewhere": EVERYONE,
    "auth.two_factor_settings": AGENCY,
    "auth.two_factor_start": AGENCY,
    "auth.two_factor_confirm": AGENCY,
    "auth.two_factor_disable": AGENCY,
    "auth.recovery_codes": AGENCY,
}

FOREIGN: dict = {}
