"""May we contact the debtor now?  The contact rules as one pure function.

Everything here is a pure function of its arguments: no clock, no database, no Flask.
Times in the past contact log and the moment asked about are timezone-aware; the rules
run on the debtor's local clock (``debtor_tz``, an IANA zone name read with ``zoneinfo``).

Choices made here (each one is tested):

* **What counts as a call** for the per-day and per-7-days limits: every *outbound* entry on
  the ``phone`` channel, whatever its outcome (a call that rang out or reached a wrong number
  was still placed; Regulation F 1006.14(b)(2)(i) counts calls *placed*).  Inbound calls from
  the debtor, SMS, e-mail, letters, visits and 'other' never count toward the call limits.
* **The 7-day limit** is a rolling window of 7 x 24 hours ending at the moment asked about:
  a call at ``c`` counts at ``m`` when ``m - 7 days < c <= m``, so it leaves the window exactly
  7 x 24 hours later.  This is stricter than counting 7 calendar days.
* **The per-day limit** counts calls on the debtor's local calendar day.
* **The quiet period** follows the text of Regulation F 1006.14(b)(2)(ii): the date of a
  telephone conversation is day 1 of the quiet period, counted in the debtor's local calendar
  days.  With the default of 7 days, a conversation on Monday blocks calls up to and including
  Sunday, and calls may resume at Monday's window start (day 8), even when fewer than
  7 x 24 hours have passed.  A telephone conversation is a ``phone`` entry whose outcome shows
  that someone spoke (see ``CONVERSATION_OUTCOMES``), in either direction: the regulation
  speaks of *having had* a conversation, not of who placed the call, so a conversation the
  debtor started also begins the quiet period.
* **The calling window** (and the blocked weekdays) apply to the channels that reach the
  debtor in real time: phone, SMS and visits.  E-mail, letters and 'other' are not limited by
  the clock.  The window is judged by the debtor's wall clock: ``window_start`` inclusive,
  ``window_end`` exclusive.
* **Disputes and stop requests** stop contact on every channel, with no next moment.  A
  dispute is signalled by the caller (``on_hold=True``), because only the case knows whether a
  dispute raised in the log has since been resolved.  A stop request is signalled either by
  the caller (``stop_requested=True``) or by any entry in the log with outcome
  ``'stop_requested'`` (a logged request to stop is never silently forgotten).
* Log entries later than the moment asked about are ignored (they had not happened yet).

Daylight saving: local wall times are turned into instants with ``zoneinfo``.  A wall time
that occurs twice (clocks going back) means its first occurrence; a wall time that does not
exist (clocks going forward) means the instant the clocks jump past it.  Limitation: a window
whose *end* falls inside a repeated hour (e.g. 01:30 on a fall-back night) is judged by the wall
clock, so the repeated stretch is allowed but ``next_permitted`` does not look for it.

Not modelled: the Regulation F 1006.14(b)(3) exclusions (calls placed with the person's prior
consent, calls not connected to the dialled number); the limits here are the stricter reading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CALL_CHANNEL",
    "CHANNELS",
    "CONVERSATION_OUTCOMES",
    "DIRECTIONS",
    "OUTCOMES",
    "REAL_TIME_CHANNELS",
    "RULE_CODES",
    "ContactAttempt",
    "ContactDecision",
    "ContactPolicy",
    "counts_as_call",
    "is_conversation",
    "local_to_utc",
    "may_contact",
]

_WEEK = timedelta(days=7)
_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)

CHANNELS = frozenset({"phone", "sms", "email", "letter", "visit", "other"})
CALL_CHANNEL = "phone"
REAL_TIME_CHANNELS = frozenset({"phone", "sms", "visit"})
OUTCOMES = frozenset(
    {
        "no_answer",
        "message_left",
        "conversation",
        "promise_to_pay",
        "refusal",
        "dispute_raised",
        "wrong_number",
        "stop_requested",
    }
)
CONVERSATION_OUTCOMES = frozenset({"conversation", "promise_to_pay", "refusal", "dispute_raised"})
DIRECTIONS = frozenset({"outbound", "inbound"})
RULE_CODES = (
    "dispute",
    "stop_requested",
    "blocked_day",
    "outside_window",
    "daily_limit",
    "weekly_limit",
    "quiet_period",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class ContactPolicy:
    """An agency's contact policy; the defaults follow US Regulation F and the
    small-business guidance ("never call more than once a day")."""

    window_start: time = time(8, 0)
    window_end: time = time(21, 0)
    calls_per_day: int = 1
    calls_per_7_days: int = 7
    quiet_days_after_conversation: int = 7
    blocked_weekdays: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocked_weekdays", frozenset(self.blocked_weekdays))
        for name in ("window_start", "window_end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a local wall-clock time without a zone")
        if not self.window_start < self.window_end:
            raise ValueError("window_start must be earlier than window_end")
        if self.calls_per_day < 1 or self.calls_per_7_days < 1:
            raise ValueError("call limits must be at least 1")
        if self.quiet_days_after_conversation < 0:
            raise ValueError("quiet_days_after_conversation must not be negative")
        if not self.blocked_weekdays <= frozenset(range(7)):
            raise ValueError("blocked_weekdays holds weekday numbers 0 (Monday) to 6 (Sunday)")
        if len(self.blocked_weekdays) == 7:
            raise ValueError("blocking every weekday would forbid contact for ever")


@dataclass(frozen=True)
class ContactAttempt:
    """One past entry of a case's contact log."""

    at: datetime
    channel: str
    outcome: str
    direction: str = "outbound"

    def __post_init__(self) -> None:
        _require_aware(self.at, "ContactAttempt.at")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"unknown direction {self.direction!r}")


@dataclass(frozen=True)
class ContactDecision:
    """The answer: allowed or not, why not, and when contact would next be allowed."""

    allowed: bool
    reasons: tuple[str, ...]
    next_permitted: datetime | None
    rule_codes: tuple[str, ...]


@dataclass(frozen=True)
class _Block:
    code: str
    reason: str
    until: datetime | None  # the earliest instant at which this rule stops blocking


def counts_as_call(attempt: ContactAttempt) -> bool:
    """True when the entry counts toward the per-day and per-7-days call limits."""
    return attempt.channel == CALL_CHANNEL and attempt.direction == "outbound"


def is_conversation(attempt: ContactAttempt) -> bool:
    """True when the entry is a telephone conversation that starts a quiet period."""
    return attempt.channel == CALL_CHANNEL and attempt.outcome in CONVERSATION_OUTCOMES


def may_contact(
    policy: ContactPolicy,
    history: Iterable[ContactAttempt],
    debtor_tz: str,
    at: datetime,
    *,
    channel: str = CALL_CHANNEL,
    on_hold: bool = False,
    stop_requested: bool = False,
) -> ContactDecision:
    """Decide whether the debtor may be contacted on ``channel`` at the moment ``at``.

    Returns every rule that blocks contact at ``at`` (plain-English reasons and machine
    codes) and ``next_permitted``: the earliest instant ``>= at`` (in UTC) at which every rule
    allows contact, or None when contact is stopped (dispute or stop request).
    Raises ValueError for a naive ``at``, an unknown zone or an unknown channel.
    """
    _require_aware(at, "at")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    tz = _zone(debtor_tz)
    at = at.astimezone(UTC)
    past = tuple(a for a in history if _require_aware(a.at, "ContactAttempt.at") <= at)
    stopped = stop_requested or any(a.outcome == "stop_requested" for a in past)
    rules = _Rules(policy, tz, debtor_tz, channel, past)
    blocks = _stop_blocks(on_hold, stopped) + rules.blocks_at(at)
    if not blocks:
        return ContactDecision(True, (), at, ())
    next_permitted = None if on_hold or stopped else rules.next_permitted(at, blocks)
    return ContactDecision(
        allowed=False,
        reasons=tuple(b.reason for b in blocks),
        next_permitted=next_permitted,
        rule_codes=tuple(b.code for b in blocks),
    )


def _stop_blocks(on_hold: bool, stopped: bool) -> list[_Block]:
    blocks = []
    if on_hold:
        reason = "The case is on hold for a dispute; no contact until it is resolved."
        blocks.append(_Block("dispute", reason, None))
    if stopped:
        blocks.append(_Block("stop_requested", "The debtor asked for contact to stop.", None))
    return blocks


class _Rules:
    """The clock and history rules for one question, evaluated at any candidate instant."""

    def __init__(
        self,
        policy: ContactPolicy,
        tz: ZoneInfo,
        tz_name: str,
        channel: str,
        past: tuple[ContactAttempt, ...],
    ) -> None:
        self.policy = policy
        self.tz = tz
        self.tz_name = tz_name
        self.channel = channel
        self.calls = sorted(a.at.astimezone(UTC) for a in past if counts_as_call(a))
        self.conversations = sorted(a.at.astimezone(UTC) for a in past if is_conversation(a))

    def blocks_at(self, moment: datetime) -> list[_Block]:
        """Every clock or history rule that forbids contact at ``moment``."""
        blocks: list[_Block | None] = []
        if self.channel in REAL_TIME_CHANNELS:
            blocks += [self._blocked_day(moment), self._outside_window(moment)]
        if self.channel == CALL_CHANNEL:
            blocks += [self._daily(moment), self._weekly(moment), self._quiet(moment)]
        return [b for b in blocks if b is not None]

    def next_permitted(self, start: datetime, blocks: list[_Block]) -> datetime:
        """Push the candidate past every blocking rule until none blocks (bounded)."""
        candidate = start
        for _ in range(16 + 4 * (len(self.calls) + len(self.conversations))):
            if not blocks:
                return candidate
            later = max(b.until for b in blocks if b.until is not None)
            if later <= candidate:
                raise RuntimeError("contact rules made no progress")  # a bug, never expected
            candidate = later
            blocks = self.blocks_at(candidate)
        raise RuntimeError("contact rules did not settle")  # a bug, never expected

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def _blocked_day(self, moment: datetime) -> _Block | None:
        weekday = self._local(moment).weekday()
        if weekday not in self.policy.blocked_weekdays:
            return None
        reason = f"It is {_WEEKDAYS[weekday]} in {self.tz_name}; no contact on that day."
        return _Block("blocked_day", reason, self._next_window_start(moment))

    def _outside_window(self, moment: datetime) -> _Block | None:
        local = self._local(moment)
        start, end = self.policy.window_start, self.policy.window_end
        if start <= local.time() < end:
            return None
        reason = (
            f"It is {local:%H:%M} in {self.tz_name}; {self.channel} contact is allowed "
            f"{start:%H:%M}–{end:%H:%M} local time."
        )
        return _Block("outside_window", reason, self._next_window_start(moment))

    def _next_window_start(self, moment: datetime) -> datetime:
        """The earliest instant >= moment inside the window on a day that is not blocked."""
        day = self._local(moment).date()
        for offset in range(8):
            current = day + timedelta(days=offset)
            if current.weekday() in self.policy.blocked_weekdays:
                continue
            opens = local_to_utc(current, self.policy.window_start, self.tz)
            closes = local_to_utc(current, self.policy.window_end, self.tz)
            candidate = max(opens, moment)
            if candidate < closes:
                return candidate
        raise RuntimeError("no open window within a week")  # excluded by ContactPolicy

    def _daily(self, moment: datetime) -> _Block | None:
        today = self._local(moment).date()
        count = sum(1 for c in self.calls if self._local(c).date() == today)
        if count < self.policy.calls_per_day:
            return None
        reason = (
            f"{_calls(count)} already made on {_day(today)} (the debtor's local day in "
            f"{self.tz_name}); the limit is {self.policy.calls_per_day} a day."
        )
        return _Block("daily_limit", reason, local_to_utc(today + _ONE_DAY, time(0), self.tz))

    def _weekly(self, moment: datetime) -> _Block | None:
        in_window = [c for c in self.calls if moment - _WEEK < c <= moment]
        limit = self.policy.calls_per_7_days
        if len(in_window) < limit:
            return None
        reason = (
            f"{_calls(len(in_window))} in the last 7 days (168 hours); the limit is {limit} "
            "in any 7 days."
        )
        return _Block("weekly_limit", reason, in_window[len(in_window) - limit] + _WEEK)

    def _quiet(self, moment: datetime) -> _Block | None:
        days = self.policy.quiet_days_after_conversation
        if days == 0 or not self.conversations:
            return None
        last = self._local(self.conversations[-1]).date()
        ends = local_to_utc(last + timedelta(days=days), time(0), self.tz)
        if moment >= ends:
            return None
        reason = (
            f"A telephone conversation took place on {_day(last)}; no calls for {days} days "
            f"counting that day, so not before {_day(last + timedelta(days=days))}."
        )
        return _Block("quiet_period", reason, ends)


def local_to_utc(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock in ``tz`` reads ``wall`` on ``day`` or later.

    An ambiguous wall time (clocks going back) gives its first occurrence; a wall time in a
    gap (clocks going forward) gives the instant of the jump.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    for candidate in sorted((first, second)):
        if _wall(candidate, tz) == naive:
            return candidate
    low, high = sorted((first, second))  # in a gap: low reads earlier, high reads later
    while high - low > _TICK:
        middle = low + (high - low) // 2
        if _wall(middle, tz) >= naive:
            high = middle
        else:
            low = middle
    return high


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _require_aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _day(value: date) -> str:
    return f"{_WEEKDAYS[value.weekday()]} {value.day} {value:%B %Y}"
