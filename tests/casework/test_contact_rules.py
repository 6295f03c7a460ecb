"""Tests for portal.casework.contact_rules, named for the rule they pin down."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.casework.contact_rules import (
    CHANNELS,
    ContactAttempt,
    ContactPolicy,
    counts_as_call,
    is_conversation,
    local_to_utc,
    may_contact,
)

NAIROBI = "Africa/Nairobi"  # UTC+3, no daylight saving
NEW_YORK = "America/New_York"  # 2026: spring forward 8 March, fall back 1 November
DUBLIN = "Europe/Dublin"
SANTIAGO = "America/Santiago"  # 2026-09-06: clocks jump from 00:00 to 01:00
DEFAULT = ContactPolicy()


def local(zone: str, *fields: int, fold: int = 0) -> datetime:
    """An aware datetime on the wall clock of ``zone``."""
    return datetime(*fields, tzinfo=ZoneInfo(zone), fold=fold)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def call(
    at: datetime, outcome: str = "no_answer", channel: str = "phone", direction: str = "outbound"
) -> ContactAttempt:
    return ContactAttempt(at=at, channel=channel, outcome=outcome, direction=direction)


def ask(at: datetime, history=(), zone: str = NAIROBI, policy: ContactPolicy = DEFAULT, **kw):
    return may_contact(policy, history, zone, at, **kw)


# --- the calling window --------------------------------------------------------------------


@pytest.mark.parametrize("zone", [NAIROBI, NEW_YORK])
@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False)],
)
def test_window_edges_in_debtor_local_time(zone, hour, minute, allowed):
    decision = ask(local(zone, 2026, 1, 14, hour, minute), zone=zone)
    assert decision.allowed is allowed
    assert decision.rule_codes == (() if allowed else ("outside_window",))


def test_window_before_start_next_permitted_is_0800_same_local_day():
    decision = ask(local(NAIROBI, 2026, 3, 3, 7, 59))
    assert decision.next_permitted == utc(2026, 3, 3, 5, 0)  # 08:00 in Nairobi


def test_window_at_2100_next_permitted_is_0800_next_local_day():
    decision = ask(local(NAIROBI, 2026, 3, 3, 21, 0))
    assert decision.next_permitted == utc(2026, 3, 4, 5, 0)


def test_window_reason_names_local_time_zone_and_hours():
    decision = ask(local(NAIROBI, 2026, 3, 3, 21, 5))
    assert decision.reasons == (
        "It is 21:05 in Africa/Nairobi; phone contact is allowed 08:00–21:00 local time.",
    )


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        # Monday 9 March 2026, the day after spring forward: New York is UTC-4.
        (utc(2026, 3, 9, 11, 59), False),  # 07:59 EDT
        (utc(2026, 3, 9, 12, 0), True),  # 08:00 EDT
        (utc(2026, 3, 10, 0, 59), True),  # 20:59 EDT
        (utc(2026, 3, 10, 1, 0), False),  # 21:00 EDT
        # Friday 6 March 2026, before the change: UTC-5, so the same UTC instants differ.
        (utc(2026, 3, 6, 12, 0), False),  # 07:00 EST
        (utc(2026, 3, 6, 12, 59), False),  # 07:59 EST
        (utc(2026, 3, 6, 13, 0), True),  # 08:00 EST
        (utc(2026, 3, 7, 1, 59), True),  # 20:59 EST
        (utc(2026, 3, 7, 2, 0), False),  # 21:00 EST
    ],
)
def test_window_edges_around_spring_forward(moment, allowed):
    assert ask(moment, zone=NEW_YORK).allowed is allowed


@pytest.mark.parametrize(
    ("moment", "allowed"),
    [
        # Friday 30 October 2026, before fall back: UTC-4.
        (utc(2026, 10, 30, 11, 59), False),  # 07:59 EDT
        (utc(2026, 10, 30, 12, 0), True),  # 08:00 EDT
        (utc(2026, 10, 31, 0, 59), True),  # 20:59 EDT
        (utc(2026, 10, 31, 1, 0), False),  # 21:00 EDT
        # Monday 2 November 2026, after fall back: UTC-5.
        (utc(2026, 11, 2, 12, 0), False),  # 07:00 EST
        (utc(2026, 11, 2, 12, 59), False),  # 07:59 EST
        (utc(2026, 11, 2, 13, 0), True),  # 08:00 EST
        (utc(2026, 11, 3, 1, 59), True),  # 20:59 EST
        (utc(2026, 11, 3, 2, 0), False),  # 21:00 EST
    ],
)
def test_window_edges_around_fall_back(moment, allowed):
    assert ask(moment, zone=NEW_YORK).allowed is allowed


def test_window_next_start_across_spring_forward_night_uses_new_offset():
    # Saturday 7 March 21:00 EST; Sunday 08:00 is already EDT (UTC-4).
    decision = ask(local(NEW_YORK, 2026, 3, 7, 21, 0), zone=NEW_YORK)
    assert decision.next_permitted == utc(2026, 3, 8, 12, 0)


def test_window_next_start_across_fall_back_night_uses_new_offset():
    # Saturday 31 October 21:00 EDT; Sunday 08:00 is already EST (UTC-5).
    decision = ask(local(NEW_YORK, 2026, 10, 31, 21, 0), zone=NEW_YORK)
    assert decision.next_permitted == utc(2026, 11, 1, 13, 0)


def test_window_start_inside_spring_forward_gap_opens_when_clocks_jump():
    policy = ContactPolicy(window_start=time(2, 30))  # 02:30 does not exist on 8 March
    decision = ask(utc(2026, 3, 8, 6, 0), zone=NEW_YORK, policy=policy)  # 01:00 EST
    assert decision.next_permitted == utc(2026, 3, 8, 7, 0)  # 03:00 EDT, the jump
    assert ask(utc(2026, 3, 8, 7, 0), zone=NEW_YORK, policy=policy).allowed


def test_window_start_inside_repeated_hour_opens_at_first_occurrence():
    policy = ContactPolicy(window_start=time(1, 30))  # 01:30 happens twice on 1 November
    decision = ask(utc(2026, 11, 1, 4, 0), zone=NEW_YORK, policy=policy)  # 00:00 EDT
    assert decision.next_permitted == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_local_to_utc_gap_gives_instant_of_the_jump():
    assert local_to_utc(datetime(2026, 9, 6).date(), time(0, 30), ZoneInfo(SANTIAGO)) == utc(
        2026, 9, 6, 4, 0
    )


def test_window_applies_to_sms_and_visits_not_to_email_or_letters():
    late = local(NAIROBI, 2026, 3, 3, 22, 0)
    assert not ask(late, channel="sms").allowed
    assert not ask(late, channel="visit").allowed
    for channel in ("email", "letter", "other"):
        decision = ask(late, channel=channel)
        assert decision.allowed
        assert decision.next_permitted == late.astimezone(UTC)


# --- blocked weekdays (Ireland: 09:00–21:00, never on Sunday) ------------------------------

IRELAND = ContactPolicy(window_start=time(9, 0), blocked_weekdays=frozenset({6}))


def test_blocked_day_sunday_refused_next_is_monday_window_start():
    decision = ask(local(DUBLIN, 2026, 3, 15, 10, 0), zone=DUBLIN, policy=IRELAND)
    assert decision.rule_codes == ("blocked_day",)
    assert decision.next_permitted == utc(2026, 3, 16, 9, 0)


def test_blocked_day_saturday_evening_skips_sunday():
    assert ask(local(DUBLIN, 2026, 3, 14, 20, 59), zone=DUBLIN, policy=IRELAND).allowed
    decision = ask(local(DUBLIN, 2026, 3, 14, 21, 0), zone=DUBLIN, policy=IRELAND)
    assert decision.rule_codes == ("outside_window",)
    assert decision.next_permitted == utc(2026, 3, 16, 9, 0)


def test_blocked_day_does_not_stop_email():
    assert ask(
        local(DUBLIN, 2026, 3, 15, 10, 0), zone=DUBLIN, policy=IRELAND, channel="email"
    ).allowed


# --- what counts as a call -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "counts"),
    [
        (("phone", "no_answer", "outbound"), True),
        (("phone", "message_left", "outbound"), True),
        (("phone", "wrong_number", "outbound"), True),
        (("phone", "conversation", "outbound"), True),
        (("phone", "no_answer", "inbound"), False),
        (("phone", "message_left", "inbound"), False),
        (("sms", "message_left", "outbound"), False),
        (("email", "no_answer", "outbound"), False),
        (("letter", "no_answer", "outbound"), False),
        (("visit", "no_answer", "outbound"), False),
        (("other", "no_answer", "outbound"), False),
    ],
)
def test_call_counting_only_outbound_phone_counts_toward_daily_limit(entry, counts):
    channel, outcome, direction = entry
    attempt = call(local(NAIROBI, 2026, 3, 3, 9, 0), outcome, channel, direction)
    assert counts_as_call(attempt) is counts
    decision = ask(local(NAIROBI, 2026, 3, 3, 10, 0), [attempt])
    assert ("daily_limit" in decision.rule_codes) is counts


def test_call_limits_do_not_apply_to_sms():
    history = [call(local(NAIROBI, 2026, 3, 3, 9, 0))]
    assert ask(local(NAIROBI, 2026, 3, 3, 10, 0), history, channel="sms").allowed


def test_log_entries_after_the_moment_asked_are_ignored():
    history = [call(local(NAIROBI, 2026, 3, 3, 10, 0), "conversation")]
    assert ask(local(NAIROBI, 2026, 3, 3, 9, 0), history).allowed


# --- one call per debtor-local day ---------------------------------------------------------


def test_daily_limit_second_call_same_local_day_refused_next_is_next_day_0800():
    history = [call(local(NAIROBI, 2026, 3, 3, 9, 0))]
    decision = ask(local(NAIROBI, 2026, 3, 3, 20, 30), history)
    assert decision.rule_codes == ("daily_limit",)
    assert decision.next_permitted == utc(2026, 3, 4, 5, 0)  # 08:00 Nairobi on the 4th
    assert "Tuesday 3 March 2026" in decision.reasons[0]


ALL_DAY = ContactPolicy(window_start=time(0, 0), window_end=time(23, 59))


def test_daily_limit_nairobi_late_evening_utc_is_already_the_next_local_day():
    # 20:30 UTC is 23:30 on the 3rd in Nairobi; 21:30 UTC the same UTC day is 00:30 on the 4th.
    history = [call(utc(2026, 3, 3, 20, 30))]
    assert ask(utc(2026, 3, 3, 21, 30), history, policy=ALL_DAY).allowed
    # 21:30 UTC on the 3rd and 20:00 UTC on the 4th are both the 4th in Nairobi.
    history = [call(utc(2026, 3, 3, 21, 30))]
    decision = ask(utc(2026, 3, 4, 20, 0), history, policy=ALL_DAY)
    assert decision.rule_codes == ("daily_limit",)
    assert decision.next_permitted == utc(2026, 3, 4, 21, 0)  # midnight in Nairobi


def test_daily_limit_new_york_counts_local_day_not_utc_day():
    # 09:00 EST Monday and 20:00 EST Monday: different UTC days, same local day.
    history = [call(utc(2026, 3, 2, 14, 0))]
    assert ask(utc(2026, 3, 3, 1, 0), history, zone=NEW_YORK).rule_codes == ("daily_limit",)
    # 19:30 EST Monday and 08:30 EST Tuesday: the same UTC day, different local days.
    history = [call(utc(2026, 3, 3, 0, 30))]
    assert ask(utc(2026, 3, 3, 13, 30), history, zone=NEW_YORK).allowed


def test_daily_limit_next_day_starts_at_the_jump_when_midnight_is_skipped():
    # Santiago, Saturday 5 September 2026: the next local day begins at 01:00 (UTC-3).
    history = [call(local(SANTIAGO, 2026, 9, 5, 10, 0))]
    decision = ask(local(SANTIAGO, 2026, 9, 5, 22, 0), history, zone=SANTIAGO, policy=ALL_DAY)
    assert decision.rule_codes == ("daily_limit",)
    assert decision.next_permitted == utc(2026, 9, 6, 4, 0)


def test_daily_limit_of_two_allows_the_second_call_only():
    policy = ContactPolicy(calls_per_day=2)
    first = call(local(NAIROBI, 2026, 3, 3, 9, 0))
    second = call(local(NAIROBI, 2026, 3, 3, 10, 0))
    assert ask(local(NAIROBI, 2026, 3, 3, 11, 0), [first], policy=policy).allowed
    assert not ask(local(NAIROBI, 2026, 3, 3, 11, 0), [first, second], policy=policy).allowed


# --- seven calls in any 7 x 24 hours -------------------------------------------------------

THREE_A_DAY = ContactPolicy(calls_per_day=3)
SIX_CALLS = [
    call(local(NAIROBI, 2026, 3, 2, 9, 0)),
    call(local(NAIROBI, 2026, 3, 3, 9, 0)),
    call(local(NAIROBI, 2026, 3, 4, 9, 0)),
    call(local(NAIROBI, 2026, 3, 5, 9, 0)),
    call(local(NAIROBI, 2026, 3, 5, 10, 0)),
    call(local(NAIROBI, 2026, 3, 6, 9, 0)),
]
SEVEN_CALLS = [*SIX_CALLS, call(local(NAIROBI, 2026, 3, 7, 9, 0))]


def test_weekly_limit_seventh_call_allowed():
    assert ask(local(NAIROBI, 2026, 3, 7, 9, 0), SIX_CALLS, policy=THREE_A_DAY).allowed


def test_weekly_limit_eighth_call_refused_until_oldest_leaves_the_window():
    decision = ask(local(NAIROBI, 2026, 3, 8, 10, 0), SEVEN_CALLS, policy=THREE_A_DAY)
    assert decision.rule_codes == ("weekly_limit",)
    assert decision.next_permitted == local(NAIROBI, 2026, 3, 9, 9, 0)  # oldest + 7 x 24 h


def test_weekly_limit_call_exactly_7x24_hours_old_no_longer_counts():
    just_before = local(NAIROBI, 2026, 3, 9, 8, 59, 59)
    assert ask(just_before, SEVEN_CALLS, policy=THREE_A_DAY).rule_codes == ("weekly_limit",)
    assert ask(local(NAIROBI, 2026, 3, 9, 9, 0), SEVEN_CALLS, policy=THREE_A_DAY).allowed


def test_weekly_limit_is_168_hours_not_7_calendar_days_across_spring_forward():
    # Seven calls from Monday 2 March 10:00 EST (15:00 UTC); the first leaves the window
    # 168 hours later: 15:00 UTC on 9 March, which is 11:00 EDT, not 10:00.
    start = utc(2026, 3, 2, 15, 0)
    history = [call(start + timedelta(hours=12 * i)) for i in range(7)]
    decision = ask(utc(2026, 3, 9, 14, 0), history, zone=NEW_YORK, policy=THREE_A_DAY)
    assert decision.rule_codes == ("weekly_limit",)
    assert decision.next_permitted == utc(2026, 3, 9, 15, 0)


def test_weekly_limit_is_configurable():
    policy = ContactPolicy(calls_per_7_days=2)
    history = SIX_CALLS[:2]
    decision = ask(local(NAIROBI, 2026, 3, 4, 9, 0), history, policy=policy)
    assert decision.rule_codes == ("weekly_limit",)
    assert decision.next_permitted == local(NAIROBI, 2026, 3, 9, 9, 0)


# --- quiet period after a telephone conversation (date of conversation = day 1) ------------

CONVERSATION = call(local(NAIROBI, 2026, 3, 2, 15, 0), "conversation")  # Monday, day 1


def test_quiet_period_day_7_after_conversation_refused():
    for hour, minute in ((8, 0), (20, 59)):
        decision = ask(local(NAIROBI, 2026, 3, 8, hour, minute), [CONVERSATION])  # Sunday
        assert decision.rule_codes == ("quiet_period",)


def test_quiet_period_day_8_after_conversation_allowed_from_window_start():
    # Day 8 opens at 08:00 even though 7 x 24 hours end only at 15:00.
    assert ask(local(NAIROBI, 2026, 3, 9, 8, 0), [CONVERSATION]).allowed


def test_quiet_period_next_permitted_is_day_8_window_start():
    decision = ask(local(NAIROBI, 2026, 3, 3, 10, 0), [CONVERSATION])
    assert decision.next_permitted == utc(2026, 3, 9, 5, 0)
    assert "not before Monday 9 March 2026" in decision.reasons[0]


@pytest.mark.parametrize("outcome", ["conversation", "promise_to_pay", "refusal", "dispute_raised"])
def test_quiet_period_starts_with_every_conversation_outcome(outcome):
    history = [call(local(NAIROBI, 2026, 3, 2, 15, 0), outcome)]
    assert ask(local(NAIROBI, 2026, 3, 4, 10, 0), history).rule_codes == ("quiet_period",)


@pytest.mark.parametrize("outcome", ["no_answer", "message_left", "wrong_number"])
def test_quiet_period_not_started_without_a_conversation(outcome):
    history = [call(local(NAIROBI, 2026, 3, 2, 15, 0), outcome)]
    assert ask(local(NAIROBI, 2026, 3, 4, 10, 0), history).allowed


def test_quiet_period_starts_with_a_conversation_the_debtor_initiated():
    inbound = call(local(NAIROBI, 2026, 3, 2, 15, 0), "conversation", direction="inbound")
    assert is_conversation(inbound)
    assert ask(local(NAIROBI, 2026, 3, 4, 10, 0), [inbound]).rule_codes == ("quiet_period",)


@pytest.mark.parametrize("channel", ["sms", "email", "visit", "letter"])
def test_quiet_period_needs_a_telephone_conversation(channel):
    history = [call(local(NAIROBI, 2026, 3, 2, 15, 0), "conversation", channel)]
    assert ask(local(NAIROBI, 2026, 3, 4, 10, 0), history).allowed


def test_quiet_period_does_not_stop_sms_or_email():
    moment = local(NAIROBI, 2026, 3, 4, 10, 0)
    assert ask(moment, [CONVERSATION], channel="sms").allowed
    assert ask(moment, [CONVERSATION], channel="email").allowed


def test_quiet_period_of_zero_days_is_off_and_one_day_is_rest_of_that_day():
    off = ContactPolicy(quiet_days_after_conversation=0, calls_per_day=2)
    assert ask(local(NAIROBI, 2026, 3, 2, 16, 0), [CONVERSATION], policy=off).allowed
    one = ContactPolicy(quiet_days_after_conversation=1, calls_per_day=2)
    decision = ask(local(NAIROBI, 2026, 3, 2, 16, 0), [CONVERSATION], policy=one)
    assert decision.rule_codes == ("quiet_period",)
    assert decision.next_permitted == utc(2026, 3, 3, 5, 0)


def test_quiet_period_across_spring_forward_ends_at_day_8_0800_edt():
    history = [call(local(NEW_YORK, 2026, 3, 2, 15, 0), "conversation")]
    decision = ask(local(NEW_YORK, 2026, 3, 3, 10, 0), history, zone=NEW_YORK)
    assert decision.next_permitted == utc(2026, 3, 9, 12, 0)


# --- disputes and stop requests ------------------------------------------------------------


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_dispute_on_hold_stops_every_channel_with_no_next_moment(channel):
    decision = ask(local(NAIROBI, 2026, 3, 3, 10, 0), channel=channel, on_hold=True)
    assert not decision.allowed
    assert decision.rule_codes == ("dispute",)
    assert decision.next_permitted is None


def test_stop_requested_flag_stops_contact_with_no_next_moment():
    decision = ask(local(NAIROBI, 2026, 3, 3, 10, 0), channel="email", stop_requested=True)
    assert decision.rule_codes == ("stop_requested",)
    assert decision.next_permitted is None


def test_stop_requested_in_the_log_stops_contact():
    history = [call(local(NAIROBI, 2026, 3, 1, 10, 0), "stop_requested", "email", "inbound")]
    decision = ask(local(NAIROBI, 2026, 3, 20, 10, 0), history, channel="letter")
    assert decision.rule_codes == ("stop_requested",)
    assert decision.next_permitted is None


def test_dispute_raised_in_log_alone_does_not_stop_contact_caller_decides():
    history = [call(local(NAIROBI, 2026, 3, 1, 10, 0), "dispute_raised")]
    assert ask(local(NAIROBI, 2026, 3, 20, 10, 0), history).allowed


# --- several rules at once -----------------------------------------------------------------


def test_multiple_reasons_reported_together():
    history = [call(local(NAIROBI, 2026, 3, 3, 9, 0), "conversation")]
    decision = ask(local(NAIROBI, 2026, 3, 3, 21, 30), history)
    assert decision.rule_codes == ("outside_window", "daily_limit", "quiet_period")
    assert len(decision.reasons) == 3
    assert decision.next_permitted == utc(2026, 3, 10, 5, 0)  # day 8 at 08:00


def test_multiple_reasons_with_dispute_still_have_no_next_moment():
    history = [call(local(NAIROBI, 2026, 3, 3, 9, 0))]
    decision = ask(local(NAIROBI, 2026, 3, 3, 21, 30), history, on_hold=True)
    assert decision.rule_codes == ("dispute", "outside_window", "daily_limit")
    assert decision.next_permitted is None


def test_allowed_decision_has_no_reasons_and_next_permitted_is_the_moment_in_utc():
    moment = local(NAIROBI, 2026, 3, 3, 10, 0)
    decision = ask(moment)
    assert decision.allowed
    assert (decision.reasons, decision.rule_codes) == ((), ())
    assert decision.next_permitted == moment
    assert decision.next_permitted.tzinfo is UTC


# --- bad input -----------------------------------------------------------------------------


def test_naive_moment_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        ask(datetime(2026, 3, 3, 10, 0))


def test_naive_log_entry_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 3, 3, 10, 0))


@pytest.mark.parametrize(
    ("field", "value"),
    [("channel", "fax"), ("outcome", "maybe"), ("direction", "sideways")],
)
def test_unknown_log_vocabulary_is_rejected(field, value):
    fields = {"at": utc(2026, 3, 3), "channel": "phone", "outcome": "no_answer"} | {field: value}
    with pytest.raises(ValueError, match="unknown"):
        ContactAttempt(**fields)


def test_unknown_zone_and_channel_are_rejected():
    with pytest.raises(ValueError, match="time zone"):
        ask(utc(2026, 3, 3, 10), zone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="channel"):
        ask(utc(2026, 3, 3, 10), channel="pigeon")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"window_start": time(21, 0), "window_end": time(8, 0)},
        {"window_start": time(8, 0), "window_end": time(8, 0)},
        {"calls_per_day": 0},
        {"calls_per_7_days": 0},
        {"quiet_days_after_conversation": -1},
        {"blocked_weekdays": frozenset({7})},
        {"blocked_weekdays": frozenset(range(7))},
    ],
)
def test_policy_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        ContactPolicy(**kwargs)


# --- property: next_permitted is allowed, and nothing earlier is ---------------------------

ZONES = [
    NAIROBI,
    NEW_YORK,
    DUBLIN,
    SANTIAGO,
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
]
NEAR_CHANGES = [
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 3, 29, 1),
    utc(2026, 9, 6, 4),
    utc(2026, 4, 4, 15),
    utc(2026, 9, 26, 14),
]
LOG_OUTCOMES = [
    "no_answer",
    "message_left",
    "conversation",
    "promise_to_pay",
    "refusal",
    "dispute_raised",
    "wrong_number",
]


def random_policy(rng: random.Random) -> ContactPolicy:
    return ContactPolicy(
        window_start=time(rng.randint(6, 10), rng.choice([0, 30])),
        window_end=time(rng.randint(17, 22), rng.choice([0, 15])),
        calls_per_day=rng.randint(1, 3),
        calls_per_7_days=rng.randint(1, 8),
        quiet_days_after_conversation=rng.randint(0, 8),
        blocked_weekdays=frozenset(rng.sample(range(7), rng.randint(0, 2))),
    )


def random_moment(rng: random.Random) -> datetime:
    if rng.random() < 0.5:
        base = rng.choice(NEAR_CHANGES)
        return base + timedelta(minutes=rng.randint(-10 * 1440, 10 * 1440))
    return utc(2026, 1, 1) + timedelta(minutes=rng.randint(0, 365 * 1440))


def random_history(rng: random.Random, at: datetime) -> list[ContactAttempt]:
    return [
        call(
            at - timedelta(minutes=rng.randint(0, 20 * 1440)),
            rng.choice(LOG_OUTCOMES),
            rng.choice(["phone", "phone", "phone", "sms", "email", "visit"]),
            rng.choice(["outbound", "outbound", "inbound"]),
        )
        for _ in range(rng.randint(0, 15))
    ]


@pytest.mark.parametrize("seed", range(8))
def test_next_permitted_is_allowed_and_is_the_earliest_such_moment(seed):
    rng = random.Random(seed)
    for _ in range(60):
        policy, zone = random_policy(rng), rng.choice(ZONES)
        at = random_moment(rng)
        history = random_history(rng, at)
        channel = rng.choice(["phone", "phone", "sms", "email"])
        decision = may_contact(policy, history, zone, at, channel=channel)
        nxt = decision.next_permitted
        assert nxt is not None and nxt >= at and nxt.tzinfo is UTC
        assert decision.allowed == (nxt == at)
        assert may_contact(policy, history, zone, nxt, channel=channel).allowed
        if nxt > at:
            probes = [nxt - timedelta(microseconds=1), at]
            probes += [at + (nxt - at) * rng.random() for _ in range(5)]
            for probe in probes:
                assert not may_contact(policy, history, zone, probe, channel=channel).allowed
