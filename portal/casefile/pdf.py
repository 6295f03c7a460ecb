"""The page machinery of the case file: fonts, header and footer, text that never breaks.

Built on fpdf2 with `cell`/`multi_cell` only (its `table()` measured about 20 times slower on long
histories). Every string goes through `clean()`, so any text renders: DejaVu Sans covers Latin,
Greek, Cyrillic and Arabic; Droid Sans Fallback covers Chinese, Japanese and Korean; a character
no shipped font has (most emoji) becomes U+FFFD, and invisible modifiers are dropped. Arabic and
other scripts that need shaping are shaped by HarfBuzz, only in the strings that need it (shaping
everything would make a long file several times slower).

Text the main font draws by itself, nearly all of a case file, is wrapped here in one pass and
its lines drawn by fpdf2's own line renderer: `multi_cell` re-measures the whole line for every
character it adds, which made a long case file about four times slower than it need be. The
lines are the ones `multi_cell` makes, break for break (tests/casefile/test_wrapping.py compares
the two); any other text (shaped scripts, fallback fonts, soft hyphens) still goes through
`multi_cell`.
"""

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import NamedTuple

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, CharVPos, MethodReturnValue, XPos, YPos
from fpdf.line_break import BREAKING_SPACE_SYMBOLS_STR, NBSP, Fragment, TextLine
from fpdf.util import FloatTolerance, Padding

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
FONT = "DejaVu"
FALLBACK = "DroidFallback"
FONT_FILES = {
    (FONT, ""): "DejaVuSans.ttf",
    (FONT, "B"): "DejaVuSans-Bold.ttf",
    (FALLBACK, ""): "DroidSansFallbackFull.ttf",
}
REPLACEMENT = "\ufffd"
PAGES_ALIAS = "{case-file-page-count}"

# Scripts whose letters join or reorder: Hebrew, Arabic, Syriac, Thaana, N'Ko, Indic, Thai,
# Tibetan, Myanmar, Khmer... and the Arabic presentation forms.
_NEEDS_SHAPING = re.compile(
    r"[\u0590-\u08ff\u0900-\u0dff\u0e00-\u0fff\u1000-\u109f"
    r"\u1780-\u17ff\ufb1d-\ufdff\ufe70-\ufeff]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Emoji modifiers and selectors: dropped when no font has them (the base emoji shows as U+FFFD).
_DROPPED_RANGES = ((0xFE00, 0xFE0F), (0x1F3FB, 0x1F3FF), (0xE0000, 0xE007F), (0xE0100, 0xE01EF))

INK = (27, 31, 36)
MUTED = (87, 96, 106)
LINE = (208, 215, 222)
BRAND = (11, 93, 72)
SHADE = (240, 243, 246)


@cache
def _coverage(style: str) -> frozenset[int]:
    """The code points that the font of this style, or the fallback, can draw."""
    points: set[int] = set()
    for key in ((FONT, style), (FALLBACK, "")):
        font = TTFont(FONT_DIR / FONT_FILES[key], lazy=True)
        points.update(font.getBestCmap())
        font.close()
    return frozenset(points)


def clean(text: object, bold: bool = False) -> str:
    """Text any shipped font can draw: unknown characters become U+FFFD, controls go."""
    value = "" if text is None else str(text)
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    "))
    if value.isascii():
        return value
    covered = _coverage("B" if bold else "")
    return "".join(_drawable(ch, covered) for ch in value)


def _drawable(ch: str, covered: frozenset[int]) -> str:
    point = ord(ch)
    if point in covered or ch == "\n":
        return ch
    if any(low <= point <= high for low, high in _DROPPED_RANGES):
        return ""
    if unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        return ""
    return REPLACEMENT


def needs_shaping(text: str) -> bool:
    return not text.isascii() and _NEEDS_SHAPING.search(text) is not None


class _Line(NamedTuple):
    """One wrapped line: its characters (None: the line holds no text run at all), their width
    in font units, its spaces, and whether a newline ended it."""

    chars: list[str] | None
    units: int
    spaces: int
    trailing_nl: bool


_SPACES = frozenset(BREAKING_SPACE_SYMBOLS_STR)
# Left to fpdf2: soft hyphens (a break that prints a hyphen), form feeds, the page-count alias.
_NOT_PLAIN = re.compile("[\u00ad\u000c]|" + re.escape(PAGES_ALIAS))


def _wrap(text: str, widths, size_pt: float, k: float, room: float) -> list[_Line] | None:
    """The lines fpdf2's `MultiLineBreak` makes of one run of text in one font (word wrap, no
    shaping), in one pass: a line breaks at its last space when the next character would pass
    `room`, or mid-word when it has no space; None when even one character does not fit.

    Widths are summed in whole font units and scaled exactly as fpdf2 scales them, so every
    comparison, and so every break, is the one fpdf2 makes.
    """
    lines: list[_Line] = []
    end = len(text)
    i = 0
    while i < end:
        chars: list[str] = []
        units = spaces = 0
        hint = None  # the last space: (its index, characters before it, their units, spaces)
        while True:
            if i == end:
                if units:
                    lines.append(_Line(chars, units, spaces, False))
                return lines
            ch = text[i]
            if ch == "\n":
                i += 1
                lines.append(_Line(chars or None, units, spaces, True))
                break
            width = widths[ord(ch)]
            if (units * size_pt * 0.001 / k + width * size_pt * 0.001 / k) - room > (
                FloatTolerance.TOLERANCE
            ):
                if ch in _SPACES:  # a space that does not fit ends the line and goes
                    i += 1
                    lines.append(_Line(chars or None, units, spaces, False))
                elif hint is not None:
                    i, kept, units, spaces = hint
                    i += 1
                    lines.append(_Line(chars[:kept], units, spaces, False))
                elif chars:
                    lines.append(_Line(chars, units, spaces, False))
                else:
                    return None
                break
            if ch in _SPACES:
                hint = (i, len(chars), units, spaces)
                spaces += 1
            elif ch == NBSP:  # fpdf2 writes it as a plain space and counts it as one
                ch = " "
                width = widths[32]
                spaces += 1
            chars.append(ch)
            units += width
            i += 1
    return lines


class CaseFilePDF(FPDF):
    """A4 pages with the case reference and "Private and confidential" above, "Page X of Y"
    below."""

    def __init__(self, reference: str, footer_note: str = ""):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.reference = reference
        self.footer_note = footer_note
        for (family, style), filename in FONT_FILES.items():
            self.add_font(family, style, str(FONT_DIR / filename))
        self.set_fallback_fonts([FALLBACK], exact_match=False)
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=16)
        self.alias_nb_pages(PAGES_ALIAS)
        self.c_margin = 1
        self._shaping = False
        self.set_font(FONT, "", 9)
        self.set_text_color(*INK)

    # --- every page ------------------------------------------------------------------------

    def header(self) -> None:
        self.set_xy(self.l_margin, 8)
        self._shape_for(self.reference)
        self.set_font(FONT, "B", 8)
        self.set_text_color(*INK)
        half = self.epw / 2
        self.cell(half, 5, clean(self.reference, bold=True))
        self.set_text_color(*BRAND)
        self.cell(half, 5, "Private and confidential", align="R")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, 13.5, self.l_margin + self.epw, 13.5)
        self.set_text_color(*INK)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self._shape_for("")
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        third = self.epw / 3
        self.cell(third, 5, clean(self.footer_note))
        self.cell(third, 5, f"Page {self.page_no()} of {PAGES_ALIAS}", align="C")
        self.set_text_color(*INK)

    # --- text --------------------------------------------------------------------------------

    def _shape_for(self, text: str) -> None:
        wanted = needs_shaping(text)
        if wanted != self._shaping:
            self.set_text_shaping(wanted)
            self._shaping = wanted

    def _font(self, size: float, bold: bool) -> None:
        self.set_font(FONT, "B" if bold else "", size)

    def text_block(
        self,
        text: object,
        size: float = 9,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        indent: float = 0,
        gap: float = 0.5,
    ) -> None:
        """A paragraph over the full width (less `indent`), wrapped, across pages if long."""
        value = clean(text, bold)
        if not value.strip():
            return
        self._shape_for(value)
        self._font(size, bold)
        self.set_text_color(*color)
        self.set_x(self.l_margin + indent)
        self._write(self.epw - indent, _line(size), value, None, "L", XPos.LMARGIN)
        self.set_text_color(*INK)
        if gap:
            self.ln(gap)

    def heading(self, text: str) -> None:
        """A section title; a new page when too little room is left under it."""
        self.keep_room(30)
        self.ln(3)
        self.text_block(text, size=13, bold=True, color=BRAND, gap=0)
        self.set_draw_color(*BRAND)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.ln(2)

    def subheading(self, text: str) -> None:
        self.keep_room(18)
        self.ln(1.5)
        self.text_block(text, size=10, bold=True, gap=0.5)

    def note(self, text: str) -> None:
        self.text_block(text, size=8.5, color=MUTED)

    def keep_room(self, height: float) -> None:
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def separator(self) -> None:
        self.set_draw_color(*LINE)
        y = self.get_y() + 0.8
        self.line(self.l_margin, y, self.l_margin + self.epw, y)
        self.ln(2)

    # --- label / value pairs and rows ------------------------------------------------------

    def pairs(self, items: Sequence[tuple[str, object]], label_width: float = 48) -> None:
        """Label and value side by side; the value wraps, the pair never splits over a page."""
        for label, value in items:
            self.row([label, value], [label_width, self.epw - label_width], bold=(True, False))

    def row(
        self,
        cells: Sequence[object],
        widths: Sequence[float],
        aligns: Sequence[str] | None = None,
        bold: Sequence[bool] | bool = False,
        size: float = 9,
        fill: bool = False,
        repeat: "Sequence[object] | None" = None,
    ) -> None:
        """One table row drawn with multi_cell: every cell wraps, the row's height is its
        tallest cell, and a row that does not fit starts a new page (re-drawing `repeat`,
        the column headings, first)."""
        aligns = aligns or ["L"] * len(cells)
        bolds = [bold] * len(cells) if isinstance(bold, bool) else list(bold)
        texts = [clean(c, b) for c, b in zip(cells, bolds, strict=True)]
        wrapped = [
            self._wrap_cell(t, w, size, b) for t, w, b in zip(texts, widths, bolds, strict=True)
        ]
        height = _line(size) * max(count for count, _ in wrapped)
        if self.get_y() + height + 1 > self.page_break_trigger and height < self.eph - 20:
            self.add_page()
            if repeat is not None:
                self.row(repeat, widths, aligns, bold=True, size=size, fill=True)
        if height >= self.eph - 20:  # a giant cell: let it run over pages, one cell at a time
            self._tall_row(texts, widths, bolds, size)
            return
        top, x = self.get_y(), self.l_margin
        if fill:
            self.set_fill_color(*SHADE)
            self.rect(x, top, sum(widths), height + 0.6, style="F")
        for text, width, align, is_bold, (_, lines) in zip(
            texts, widths, aligns, bolds, wrapped, strict=True
        ):
            self._shape_for(text)
            self._font(size, is_bold)
            self.set_xy(x, top + 0.3)
            self._write(width, _line(size), text, lines, align, XPos.RIGHT, YPos.TOP)
            x += width
        self.set_xy(self.l_margin, top + height + 0.6)

    def _tall_row(self, texts: list[str], widths: Sequence[float], bolds: list[bool], size):
        for text, is_bold in zip(texts, bolds, strict=True):
            self.text_block(text, size=size, bold=is_bold, gap=0)
        self.ln(0.6)

    def _wrap_cell(
        self, text: str, width: float, size: float, bold: bool
    ) -> tuple[int, list[_Line] | None]:
        """How many lines a cell's text takes, and the lines themselves when wrapped here."""
        if not text:
            return 1, None
        self._font(size, bold)
        fits = text.isascii() and "\n" not in text
        if fits and self.get_string_width(text) <= width - 2 * self.c_margin - 0.5:
            return 1, None  # the usual short cell: no need to wrap it to know
        self._shape_for(text)
        lines = self._wrapped(text, width)
        if lines is not None:
            return max(1, len(lines)), lines
        lines = self.multi_cell(
            width, _line(size), text, dry_run=True, output=MethodReturnValue.LINES
        )
        return max(1, len(lines)), None

    # --- wrapping plain text ---------------------------------------------------------------

    def _wrapped(self, text: str, width: float) -> list[_Line] | None:
        """`text` wrapped to `width` in the current font, as `multi_cell` would wrap it; None
        when it is not plain text in the main font, for `multi_cell` to handle."""
        font = self.current_font
        if (
            self.text_shaping
            or not self.is_ttf_font
            or font.is_symbol
            or self.font_family != FONT.lower()
            or self.char_spacing
            or self.font_stretching != 100
            or self.underline
            or self.strikethrough
            or self.char_vpos != CharVPos.LINE
        ):
            return None
        text = text.replace("\r", "")
        if _NOT_PLAIN.search(text) or not _in_font(text, font.cmap):
            return None
        room = float(width)
        for margin in (self.c_margin, self.c_margin):
            room -= float(margin)
        return _wrap(text, font.cw, self.font_size_pt, self.k, room)

    def _write(
        self,
        width: float,
        height: float,
        text: str,
        lines: list[_Line] | None,
        align: str,
        new_x: XPos,
        new_y: YPos = YPos.NEXT,
    ) -> None:
        """`multi_cell(width, height, text, align=align, new_x=new_x, new_y=new_y)`, drawing the
        lines already wrapped when there are some (see `_draw`)."""
        if lines is None and text:
            lines = self._wrapped(text, width)
        if lines is None and text:
            self.multi_cell(width, height, text, align=align, new_x=new_x, new_y=new_y)
        else:
            self._draw(width, height, lines or [], Align.coerce(align), new_x, new_y)

    def _draw(
        self, width: float, height: float, lines: list[_Line], align: Align, new_x, new_y
    ) -> None:
        """What `FPDF.multi_cell` does with its lines once it has them (no border, fill, padding
        or link): each line through fpdf2's own line renderer, a page break wherever the next
        line does not fit, then the same final position."""
        padding = Padding.new(0)
        width = width - padding.right - padding.left
        state = self._get_current_graphics_state()
        state.font_style = ("B" if "B" in self.font_style else "") + (
            "I" if "I" in self.font_style else ""
        )
        state.strikethrough = bool(self.strikethrough)
        state.underline = bool(self.underline)
        text_lines = [self._text_line(line, state, width, align) for line in lines] or [
            TextLine(
                [],
                text_width=0,
                number_of_spaces=0,
                align=align,
                height=height,
                max_width=width,
                trailing_nl=False,
            )
        ]
        prev_y = self.y
        self.x += padding.left
        self.y += padding.top
        page_break_triggered = False
        for index, text_line in enumerate(text_lines):
            if self._perform_page_break_if_need_be(height + padding.bottom):
                page_break_triggered = True
                self.y += padding.top
            last = index == len(text_lines) - 1
            self._render_styled_text_line(
                text_line,
                h=height,
                new_x=new_x if last else XPos.LEFT,
                new_y=new_y if last else YPos.NEXT,
                border=0,
                fill=False,
                link=None,
                padding=Padding(0, padding.right, 0, padding.left),
                prevent_font_change=False,
            )
        if page_break_triggered and new_y == YPos.TOP:
            prev_y = self.y
        if text_lines[-1].trailing_nl and new_y in (YPos.LAST, YPos.NEXT):
            self.ln()
        if new_y == YPos.TOP:
            self.y = prev_y
        elif new_y == YPos.NEXT:
            self.y += padding.bottom
        if new_x == XPos.RIGHT:
            self.x += padding.right
        elif new_x == XPos.LEFT:
            self.x -= padding.left

    def _text_line(self, line: _Line, state, width: float, align: Align) -> TextLine:
        fragments = [] if line.chars is None else [Fragment(line.chars, state, self.k)]
        text_width = 0
        if fragments:
            text_width += line.units * state.font_size_pt * 0.001 / self.k
        return TextLine(
            fragments,
            text_width=text_width,
            number_of_spaces=line.spaces,
            align=align,
            height=state.font_size_pt / self.k,
            max_width=width,
            trailing_nl=line.trailing_nl,
        )

    def table_head(self, headings: Sequence[str], widths: Sequence[float], aligns=None) -> None:
        self.keep_room(14)
        self.row(headings, widths, aligns, bold=True, fill=True)


def _in_font(text: str, cmap: dict[int, object]) -> bool:
    """Whether the font draws every character itself (so no fallback font comes in)."""
    return all(ch == "\n" or ord(ch) in cmap for ch in set(text))


def _line(size: float) -> float:
    """Line height in mm for a font size in points."""
    return round(size * 0.46, 2)
