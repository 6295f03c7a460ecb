"""The page machinery of the case file: fonts, header and footer, text that never breaks.

Built on fpdf2 with `cell`/`multi_cell` only (its `table()` measured about 20 times slower on long
histories). Every string goes through `clean()`, so any text renders: DejaVu Sans covers Latin,
Greek, Cyrillic and Arabic; Droid Sans Fallback covers Chinese, Japanese and Korean; a character
no shipped font has (most emoji) becomes U+FFFD, and invisible modifiers are dropped. Arabic and
other scripts that need shaping are shaped by HarfBuzz, only in the strings that need it (shaping
everything would make a long file several times slower).
"""

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

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
        self.multi_cell(
            self.epw - indent, _line(size), value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
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
        height = _line(size) * max(
            self._line_count(t, w, size, b) for t, w, b in zip(texts, widths, bolds, strict=True)
        )
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
        for text, width, align, is_bold in zip(texts, widths, aligns, bolds, strict=True):
            self._shape_for(text)
            self._font(size, is_bold)
            self.set_xy(x, top + 0.3)
            self.multi_cell(width, _line(size), text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
            x += width
        self.set_xy(self.l_margin, top + height + 0.6)

    def _tall_row(self, texts: list[str], widths: Sequence[float], bolds: list[bool], size):
        for text, is_bold in zip(texts, bolds, strict=True):
            self.text_block(text, size=size, bold=is_bold, gap=0)
        self.ln(0.6)

    def _line_count(self, text: str, width: float, size: float, bold: bool) -> int:
        if not text:
            return 1
        self._font(size, bold)
        fits = text.isascii() and "\n" not in text
        if fits and self.get_string_width(text) <= width - 2 * self.c_margin - 0.5:
            return 1  # the usual short cell: no need to wrap it to know
        self._shape_for(text)
        lines = self.multi_cell(
            width, _line(size), text, dry_run=True, output=MethodReturnValue.LINES
        )
        return max(1, len(lines))

    def table_head(self, headings: Sequence[str], widths: Sequence[float], aligns=None) -> None:
        self.keep_room(14)
        self.row(headings, widths, aligns, bold=True, fill=True)


def _line(size: float) -> float:
    """Line height in mm for a font size in points."""
    return round(size * 0.46, 2)
