"""Who may open the lists behind the dashboard's figures (the home page itself is in
tests/foundation/access.py). Everyone signed in: each side only gets its own figures (another
side's figure is a 404) and tenancy limits every row."""

from tests.access_rules import EVERYONE

ACCESS = {
    "dashboard.figure_list": EVERYONE,
}
