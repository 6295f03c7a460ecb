"""A remittance statement as PDF: fpdf2 with cell/multi_cell, a Unicode TrueType font.

The font is DejaVu Sans from portal/fonts/ when the portal ships it, else the system's copy
(Debian's fonts-dejavu-core). A character the font cannot draw becomes U+FFFD, so any name
renders.
"""

import re
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from portal import money
from portal.formatting import nice_date
from portal.models import Statement
from portal.statements import services

FONT = "DejaVu"
FONT_DIRS = (
    Path(__file__).resolve().parent.parent / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
PAGES_ALIAS = "{statement-pages}"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

INK = (27, 31, 36)
MUTED = (87, 96, 106)
LINE = (208, 215, 222)
BRAND = (11, 93, 72)
SHADE = (240, 243, 246)

# Landscape A4 leaves 267 mm between the margins.
COLUMNS = (
    ("Case", 34, "L"),
    ("Debtor", 54, "L"),
    ("Received", 22, "L"),
    ("Paid to", 30, "L"),
    ("Gross", 29, "R"),
    ("Rate", 13, "R"),
    ("Fee", 27, "R"),
    ("Tax on fee", 25, "R"),
    ("Net", 33, "R"),
)


class FontMissing(RuntimeError):
    pass


def font_path(style: str = "") -> Path:
    """DejaVu Sans (or its bold): the portal's copy first, then the system's."""
    name = FONT_FILES[style]
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontMissing(f"{name} is in neither portal/fonts/ nor the system's DejaVu folder")


@cache
def _coverage(style: str) -> frozenset[int]:
    font = TTFont(font_path(style), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def clean(text: object, bold: bool = False) -> str:
    """Text the font can draw: controls go, unknown characters become U+FFFD."""
    value = _CONTROL.sub(" ", "" if text is None else str(text))
    if value.isascii():
        return value
    covered = _coverage("B" if bold else "")
    return "".join(ch if ord(ch) in covered or ch == "\n" else "\ufffd" for ch in value)


class StatementPDF(FPDF):
    def __init__(self, statement: Statement):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.statement = statement
        for style in FONT_FILES:
            self.add_font(FONT, style, str(font_path(style)))
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(True, margin=15)
        self.alias_nb_pages(PAGES_ALIAS)
        self.c_margin = 1
        self.set_title(f"Remittance statement {statement.number}")
        self.set_author(clean(statement.agency.name))
        self.set_font(FONT, "", 9)

    def header(self) -> None:
        self.set_xy(self.l_margin, 8)
        self.set_font(FONT, "B", 8)
        self.set_text_color(*INK)
        half = self.epw / 2
        self.cell(half, 5, clean(f"Remittance statement {self.statement.number}", True))
        self.set_text_color(*BRAND)
        self.cell(half, 5, clean(self.statement.agency.name, True), align="R")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, 13.5, self.l_margin + self.epw, 13.5)
        self.set_text_color(*INK)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        half = self.epw / 2
        # The page count alias is replaced after layout, so it sits on the left, unaligned.
        self.cell(half, 5, f"Page {self.page_no()} of {PAGES_ALIAS}")
        self.cell(half, 5, "Issued statements never change.", align="R")
        self.set_text_color(*INK)

    def para(self, value: object, size: float = 9, bold: bool = False, color=INK) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)
        self.multi_cell(
            self.epw, size * 0.5, clean(value, bold), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_text_color(*INK)

    def row(
        self,
        cells: Sequence[object],
        widths: Sequence[float],
        aligns: Sequence[str],
        bold: bool = False,
        fill: bool = False,
        repeat_head: bool = True,
    ) -> None:
        """A table row of multi_cells: cells wrap, the row is as tall as its tallest cell."""
        size, step = 8.5, 4.2
        self.set_font(FONT, "B" if bold else "", size)
        texts = [clean(c, bold) for c in cells]
        height = step * max(self._lines(t, w, step) for t, w in zip(texts, widths, strict=True))
        if self.get_y() + height + 1 > self.page_break_trigger:
            self.add_page()
            if repeat_head:
                self.table_head()
            self.set_font(FONT, "B" if bold else "", size)
        top, x = self.get_y(), self.l_margin
        if fill:
            self.set_fill_color(*SHADE)
            self.rect(x, top, sum(widths), height + 0.6, style="F")
        for text, width, align in zip(texts, widths, aligns, strict=True):
            self.set_xy(x, top + 0.3)
            self.multi_cell(width, step, text, align=align, new_x=XPos.RIGHT, new_y=YPos.TOP)
            x += width
        self.set_xy(self.l_margin, top + height + 0.6)
        self.set_draw_color(*LINE)
        self.line(self.l_margin, self.get_y(), self.l_margin + sum(widths), self.get_y())

    def _lines(self, text: str, width: float, step: float) -> int:
        one_line = "\n" not in text
        if not text or (
            one_line and self.get_string_width(text) <= width - 2 * self.c_margin - 0.5
        ):
            return 1
        lines = self.multi_cell(width, step, text, dry_run=True, output=MethodReturnValue.LINES)
        return max(1, len(lines))

    def table_head(self) -> None:
        names, widths, aligns = zip(*COLUMNS, strict=True)
        self.row(names, widths, aligns, bold=True, fill=True, repeat_head=False)

    def pairs(self, items: Sequence[tuple[str, str]], label_width: float = 45) -> None:
        for label, value in items:
            self.row(
                [label, value],
                [label_width, 110],
                ["L", "L"],
                repeat_head=False,
            )


def render(statement: Statement) -> bytes:
    """The whole statement: parties and period, every line, the totals and what is due."""
    pdf = StatementPDF(statement)
    pdf.add_page()
    cur = statement.currency
    fmt = lambda minor: money.format_money(minor, cur)  # noqa: E731
    pdf.para(f"Remittance statement {statement.number}", size=16, bold=True, color=BRAND)
    pdf.ln(2)
    mode = services.MODE_LABELS[statement.remittance_mode]
    pdf.pairs(
        [
            ("From (agency)", _party(statement.agency)),
            ("To (client)", _party(statement.business)),
            ("Period", f"{nice_date(statement.period_start)} to {nice_date(statement.period_end)}"),
            ("Issued", nice_date(_issued_day(statement))),
            ("Remittance", mode),
            ("Currency", cur),
        ]
    )
    pdf.ln(4)
    pdf.para("Recoveries", size=11, bold=True, color=BRAND)
    pdf.ln(1)
    _lines(pdf, statement, fmt)
    pdf.ln(4)
    if pdf.get_y() + 60 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.para("What is due", size=11, bold=True, color=BRAND)
    pdf.ln(1)
    for label, minor in services.summary_rows(services.totals(statement)):
        strong = label.startswith("Amount due")
        pdf.row([label, fmt(minor)], [110, 40], ["L", "R"], bold=strong, repeat_head=False)
    return bytes(pdf.output())


def _issued_day(statement: Statement) -> date:
    """The day of issue where the agency is."""
    return statement.issued_at.astimezone(ZoneInfo(statement.agency.timezone)).date()


def _party(org) -> str:
    lines = [org.name, org.address.strip()]
    if org.registration_number:
        lines.append(f"Registration {org.registration_number}")
    return "\n".join(x for x in lines if x)


def _lines(pdf: StatementPDF, statement: Statement, fmt) -> None:
    _names, widths, aligns = zip(*COLUMNS, strict=True)
    if not statement.lines:
        pdf.para("No recoveries in this period.", color=MUTED)
        return
    pdf.table_head()
    for ln in statement.lines:
        note = []
        if services.is_reversal(ln):
            note.append("reversal")
        if services.brought_forward(statement, ln):
            note.append("from an earlier period")
        debtor = ln.debtor_name + (f"\n({', '.join(note)})" if note else "")
        cells = [
            ln.case_reference,
            debtor,
            nice_date(ln.received_on),
            services.PAID_TO_LABELS[ln.paid_to],
            fmt(ln.gross_minor),
            money.format_rate(ln.fee_rate_bps),
            fmt(ln.fee_minor),
            fmt(ln.tax_minor),
            fmt(ln.net_minor),
        ]
        pdf.row(cells, widths, aligns)
    s = statement
    total = ["Total", f"{len(s.lines)} lines", "", ""]
    total += [fmt(s.gross_minor), "", fmt(s.fee_minor), fmt(s.tax_minor), fmt(s.net_minor)]
    pdf.row(total, widths, aligns, bold=True, fill=True)
