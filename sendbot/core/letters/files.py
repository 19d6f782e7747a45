"""A letter as files: UTF-8 plain text, and a PDF made with fpdf2."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from sendbot.core.letters.compose import Letter

# A Unicode font where the system has one (children's names are not all Latin-1).
UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)
# Typographic marks the PDF core fonts lack, in plain forms.
_PLAIN = str.maketrans(
    {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "•": "-", "…": "..."}
)


def text_file(letter: Letter) -> tuple[str, bytes]:
    """The letter as a .txt file."""
    return f"{letter.stem}.txt", letter.text.encode("utf-8")


def _unicode_font() -> Path | None:
    return next((p for p in UNICODE_FONTS if p.is_file()), None)


def pdf_file(letter: Letter, now: datetime, font: Path | None = None) -> tuple[str, bytes] | None:
    """The letter as an A4 PDF, or None when its text cannot be set in any font available."""
    font = font if font is not None else _unicode_font()
    text = letter.text
    pdf = FPDF(format="A4")
    pdf.set_creation_date(now)
    pdf.set_title(letter.subject)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    if font is not None:
        pdf.add_font("Letter", fname=str(font))
        family = "Letter"
    else:
        text = text.translate(_PLAIN)
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            return None
        family = "Helvetica"
    pdf.add_page()
    pdf.set_font(family, size=11)
    pdf.multi_cell(0, 5.5, text)
    return f"{letter.stem}.pdf", bytes(pdf.output())
