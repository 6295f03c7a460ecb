"""Who may download a case file: anyone who may see the case; another organisation's is a 404."""

from tests.access_rules import EVERYONE

ACCESS = {"casefile.download": EVERYONE}


def _worked_case(world):
    from tests.casefile.helpers import worked_case

    return worked_case(world).id


FOREIGN = {
    "casefile.download": (
        "case_id",
        _worked_case,
        lambda w: [w.other_business_admin, w.other_agency_admin, w.other_caseworker],
    )
}
