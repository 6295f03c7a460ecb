"""Journey 5: a business never sees another business's case, even by typing its address."""

from sqlalchemy import create_engine, text


def _case_id_of(portal, business_name: str) -> int:
    engine = create_engine(f"sqlite:///{portal.env['PORTAL_INSTANCE_DIR']}/portal.db")
    with engine.connect() as conn:
        case_id = conn.execute(
            text(
                "SELECT cases.id FROM cases JOIN organisations o ON o.id = cases.business_id "
                "WHERE o.name = :name ORDER BY cases.id LIMIT 1"
            ),
            {"name": business_name},
        ).scalar_one()
    engine.dispose()
    return case_id


def test_a_business_member_opening_another_business_case_sees_not_found(person, portal):
    baobab_case = _case_id_of(portal, "Baobab Print Co")
    clerk = person("clerk@acacia.example")
    response = clerk.page.goto(f"/cases/{baobab_case}")
    assert response.status == 404
    assert clerk.page.get_by_role("heading", name="Page not found").is_visible()
    assert "Baobab" not in clerk.page.content()
    clerk.shot("not-found")
