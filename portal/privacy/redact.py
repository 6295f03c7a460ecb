"""Logs never hold passwords, tokens or secrets: every log record is masked as it is made.

A `logging.Filter` would only see records that reach the handlers it is attached to; masking in
the record factory covers every logger and every handler, including ones added later (a test's
capture, a production log shipper). `install()` is idempotent.
"""

import logging
import re

MASK = "[redacted]"
_SECRET_WORDS = (
    r"password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|authorization|cookie|csrf|totp|recovery[_-]?codes?|credentials?"
)
_SECRET_KEY = re.compile(_SECRET_WORDS, re.IGNORECASE)
# key=value, key: value, "key": "value", key='value'; the key is checked by `_mask_pair` (bounded
# lengths keep the matching linear on long lines).
_KEY_VALUE = re.compile(
    r"""(?x)
    (?P<key>(?<![\w.-])["']?[\w.-]{1,64}["']?\s{0,3}[=:]\s{0,3})
    (?P<value>"[^"]{0,4000}"|'[^']{0,4000}'|[^\s,;&}\]]{1,4000})
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# A token in a link's path: /invitation/<token>, /reset/<token>, /password/reset/<token>...
_PATH_TOKEN = re.compile(
    r"(?i)(/(?:invitations?|reset|password[-_]?reset|verify|confirm|unsubscribe|tokens?)/)"
    r"[^/\s?#\"']+"
)
_MAX_LENGTH = 4000


def mask(text: str, limit: int | None = _MAX_LENGTH) -> str:
    """`text` with the values of secret-like keys, bearer credentials and link tokens masked.

    Messages longer than `limit` are cut: a log is no place for a document's contents.
    """
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… [{len(text) - limit} more characters not logged]"
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE.sub(_mask_pair, text)
    return _PATH_TOKEN.sub(lambda m: m.group(1) + MASK, text)


def _mask_pair(match: re.Match) -> str:
    key = match.group("key")
    return key + MASK if _SECRET_KEY.search(key) else match.group(0)


class SecretsFilter(logging.Filter):
    """Masks a record in place (its message, with arguments merged in, and any traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_portal_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep the raw text, masked
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = mask(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info), None)
        record.exc_info = None
    record._portal_masked = True
    return record


def install() -> None:
    """Mask every log record from now on (wraps the current record factory once)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_portal_masking", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return mask_record(current(*args, **kwargs))

    factory._portal_masking = True
    logging.setLogRecordFactory(factory)
    logging.getLogger().addFilter(SecretsFilter())
