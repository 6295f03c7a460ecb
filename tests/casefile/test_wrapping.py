"""The case file wraps plain text itself (fpdf2's `multi_cell` is slow on long histories), and
what it draws must be exactly what `multi_cell` draws: the same breaks, the same pages, the same
bytes."""

import random
from datetime import UTC, datetime

import pytest
from fpdf.enums import MethodReturnValue

from portal.casefile.pdf import CaseFilePDF, clean

PHRASES = (
    "the debtor promised to pay on Friday, by M-Pesa; reference QK7X2. "
    "Zoë Łódź Wanjirũ Ελληνικά Русский 12,500.00 KES — 30 % · #4411 "
    "a-very-long-reference-without-any-space-at-all-that-cannot-fit-on-one-narrow-line"
)
WORDS = PHRASES.split()
SPACES = [" "] * 12 + ["  ", "\n", "\n\n", "\u00a0", "\u2009", " \n "]


def sample_texts(count: int, seed: int = 8) -> list[str]:
    """Texts of every length with the spacing people paste: runs of spaces, newlines at either
    end, non-breaking and thin spaces, words longer than a column."""
    rng = random.Random(seed)
    texts = ["", " ", "\n", "word", "  leading", "trailing  ", "a\n\nb\n", "x" * 300]
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.choice((1, 3, 12, 40, 150)))]
        text = words[0]
        for word in words[1:]:
            text += rng.choice(SPACES) + word
        texts.append(text)
    return texts


def document() -> CaseFilePDF:
    pdf = CaseFilePDF("ACA-2026-00001", footer_note="Generated 1 Oct 2026, 09:00")
    pdf.set_creation_date(datetime(2026, 10, 1, 6, 0, tzinfo=UTC))
    pdf.add_page()
    return pdf


@pytest.fixture(scope="module")
def pdf():
    """A case file to measure text in; written out at the end, which closes its font files."""
    pdf = document()
    yield pdf
    pdf.output()


def multi_cell_only(monkeypatch) -> None:
    """The case file as it was before it wrapped text itself: everything through multi_cell."""
    monkeypatch.setattr(CaseFilePDF, "_wrapped", lambda self, text, width: None)


@pytest.mark.parametrize(("size", "bold"), [(9, False), (9, True), (8, False), (13, True)])
@pytest.mark.parametrize("width", [14, 22.5, 47, 176])
def test_plain_text_breaks_into_the_lines_multi_cell_makes(pdf, size, bold, width):
    pdf.set_font("DejaVu", "B" if bold else "", size)
    for text in sample_texts(60):
        lines = pdf._wrapped(text, width)
        assert lines is not None, text
        expected = pdf.multi_cell(width, 4, text, dry_run=True, output=MethodReturnValue.LINES)
        ours = ["".join(line.chars or []) for line in lines] or [""]
        assert ours == expected, text


def draw_everything(pdf: CaseFilePDF) -> bytes:
    """Paragraphs, indented notes, rows of narrow columns and a cell too tall for a page."""
    texts = sample_texts(60, seed=11)
    for n, text in enumerate(texts):
        if n % 3 == 0:
            pdf.heading(f"Section {n}")
        pdf.text_block(text, size=(9, 8, 8.5)[n % 3], bold=n % 4 == 0, indent=4 * (n % 2))
        pdf.row(
            [f"#{n}", text[:80], text[-30:], "12,500.00"],
            [14, 60, 40, pdf.epw - 114],
            aligns=["L", "L", "L", "R"],
            bold=(True, False, False, False),
            size=8,
            repeat=("#", "What", "Tail", "Amount"),
        )
    pdf.pairs([("Note", " ".join(texts)[:9000])])  # taller than a page: drawn a cell at a time
    return bytes(pdf.output())


def test_the_file_is_byte_for_byte_what_multi_cell_alone_draws(monkeypatch):
    ours = draw_everything(document())
    multi_cell_only(monkeypatch)
    assert ours == draw_everything(document())


def test_text_a_fallback_font_or_shaping_must_draw_is_left_to_multi_cell(pdf):
    for text in (
        "王小明 replied 你好",
        "مرحبا بكم",
        "soft\u00adhyphen",
        "pay {case-file-page-count}",
    ):
        value = clean(text)
        pdf._shape_for(value)
        pdf.set_font("DejaVu", "", 9)
        assert pdf._wrapped(value, 100) is None, text
    pdf._shape_for("")
    assert pdf._wrapped(clean("Zoë Łódź, Ελληνικά, Русский"), 100) is not None
