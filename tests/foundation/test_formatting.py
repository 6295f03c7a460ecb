"""Dates read naturally: every abbreviated month has three letters, full names stay full."""

from datetime import UTC, date, datetime

from portal.formatting import local_datetime, nice_date, three_letter_months


def test_september_is_abbreviated_to_three_letters_like_every_other_month(app):
    with app.test_request_context():
        shown = [nice_date(date(2026, month, 3)) for month in range(1, 13)]
        assert shown[8] == "3 Sep 2026"
        assert all(len(text.split()[1]) == 3 for text in shown)
        assert local_datetime(datetime(2026, 9, 30, 8, 5, tzinfo=UTC)) == "30 Sep 2026, 08:05"


def test_full_month_names_are_left_whole(app):
    with app.test_request_context():
        assert nice_date(date(2026, 9, 3), "MMMM yyyy") == "September 2026"
        assert nice_date(date(2026, 9, 3), "MMM") == "Sep"


def test_only_an_abbreviated_month_in_english_is_respelt():
    assert three_letter_months("d MMMM yyyy", 9, "en_KE") == "d MMMM yyyy"
    assert three_letter_months("d MMM yyyy", 9, "en_KE") == "d 'Sep' yyyy"
    assert three_letter_months("d MMM yyyy", 9, "fr_FR") == "d MMM yyyy"
