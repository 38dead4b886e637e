"""Which characters a person's name may hold (pure: no Django import).

Letters of the Cyrillic alphabet (Russian and Kazakh: Ә Ғ Қ Ң Ө Ұ Ү Һ І), of the Latin alphabet
(with the accented letters of Latin-1 and Latin Extended-A), spaces, hyphens and apostrophes; it
starts with a letter and is at most NAME_MAX characters. Markup, digits, control and bidirectional
formatting characters (e.g. U+202E RIGHT-TO-LEFT OVERRIDE) are refused.
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 60
LEGAL_NAME_MAX = 300
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f\u0400-\u04ff"
_APOSTROPHES = "'\u2019\u02bc"
NAME_RE = re.compile(rf"[{_LETTER}][{_LETTER} \-{_APOSTROPHES}]*")
# Bidirectional formatting characters (Unicode "Bidi_Control"): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def normalise_name(value: str) -> str:
    """NFC, surrounding space dropped, inner runs of spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", value or "").split(" ")).strip()


def name_problem(value: str, *, max_length: int = NAME_MAX) -> str:
    """'' when `value` is an acceptable name, else 'too_long' or 'characters'."""
    if len(value) > max_length:
        return "too_long"
    if value and not NAME_RE.fullmatch(value):
        return "characters"
    return ""


def free_text_problem(value: str, *, max_length: int = LEGAL_NAME_MAX) -> str:
    """For names that may hold digits and quotes (a legal entity's): no markup, control or bidi characters."""
    if len(value) > max_length:
        return "too_long"
    if any(
        ch in "<>" or ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
        for ch in value
    ):
        return "characters"
    return ""
