"""Hostile strings (ASVS 5.1, 5.3): each is pushed through every form field and import column.

`HOSTILE` maps a short name (the test id) to the string. `BIG` is kept apart: a 1 MB string,
which every text field refuses by its length limit (422, beside the field) and which no
request may turn into a 500.

Normalisation the portal applies, and the only difference allowed between what was sent and
what is stored and shown (`normalised`):

1. NUL characters are removed from every form field and query parameter before any view sees
   them (`portal.security.NulFreeRequest`; PostgreSQL refuses NUL in text) and from every
   import cell (`portal.imports.readers._clean`).
2. Surrounding whitespace is trimmed from text fields (the forms' `_clean` filter, the
   services' `.strip()`, the import reader's `_clean`, which also trims a stray BOM and
   zero-width space at the edges of a cell).
Nothing else: markup, quotes, template syntax, bidi and zero-width characters, emoji and
combining marks are stored exactly as typed and shown escaped.
"""

HOSTILE: dict[str, str] = {
    "script": '<script>alert("pwned")</script>',
    "img_onerror": "<img src=x onerror=alert(1)>",
    "attribute_break": '" autofocus onfocus="alert(1)" x="',
    "single_quote_break": "' onmouseover='alert(1)' '",
    "javascript_url": "javascript:alert(document.cookie)",
    "svg": "<svg/onload=alert(1)>",
    "sql_drop": "Robert'); DROP TABLE cases;--",
    "sql_or": "' OR '1'='1' --",
    "jinja_expression": "{{7*7}}",
    "jinja_statement": "{% for x in range(3) %}{{ config }}{% endfor %}",
    "other_templates": "${7*7} #{7*7} <%= 7*7 %>",
    "format_string": "%s %d %(x)s {0} {name}",
    "path_traversal": "../../../../etc/passwd",
    "windows_traversal": "..\\..\\windows\\win.ini",
    "nul_bytes": "before\x00after\x00",
    "crlf_injection": "first line\r\nSet-Cookie: x=1",
    "right_to_left": "\u202eexe.gnp\u202c مرحبا بالعالم",
    "zero_width": "zero\u200bwidth\u200c\u200djoin\u2060ed\ufeffX",
    "emoji": "Payment 💸 from 👩🏽‍💼 at 🏦 🇰🇪",
    "combining_marks": "Z\u0351\u036b\u0343a\u0352\u0342l\u0367\u0364g\u0313\u0365o\u034b e\u0301",
    "csv_formula": '=HYPERLINK("http://evil.example","click")',
    "html_entities": "&lt;b&gt; &amp;amp; &#x3C;script&#x3E;",
    "long_line": "Ω" * 180,
}

BIG = "A" * (1024 * 1024)

# Markup that must never reach a page unescaped (each would run or inject if it did).
DANGEROUS_MARKUP = (
    '<script>alert("pwned")</script>',
    "<img src=x onerror=alert(1)>",
    '" autofocus onfocus="alert(1)"',
    "<svg/onload=alert(1)>",
)


def normalised(value: str) -> str:
    """What the portal stores for `value` typed into a text field (see the module docstring)."""
    return value.replace("\x00", "").strip()


def corpus_ids() -> list[str]:
    return list(HOSTILE)
