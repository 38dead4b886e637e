"""Persons' names: which characters a name may hold, and reconciling a name across registration
data, the identity document and the EDS certificate (R-ONB-3). Pure: no Django import.

Characters: letters of the Cyrillic alphabet (Russian and Kazakh: Ә Ғ Қ Ң Ө Ұ Ү Һ І), of the Latin
alphabet (with the accented letters of Latin-1 and Latin Extended-A), spaces, hyphens and
apostrophes; a name starts with a letter and is at most NAME_MAX characters. Markup, digits, control
and bidirectional formatting characters (e.g. U+202E RIGHT-TO-LEFT OVERRIDE) are refused.

Reconciling: names are compared after folding (``qaryz.compliance.translit.fold``): case, ё/е, Kazakh
letters (ұ/у, қ/к, …), Cyrillic vs Latin spellings, hyphens and repeated spaces do not count; anything
else does. What a source does not carry is not compared (the MRZ has no patronymic; a certificate may
carry none): only the parts both sides have.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qaryz.compliance.translit import fold

PARTS = ("surname", "given_name", "patronymic")


@dataclass(frozen=True)
class FullName:
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""


def same(a: str, b: str) -> bool:
    return fold(a) == fold(b)


def mismatched_parts(registered: FullName, other: FullName) -> list[str]:
    """The name parts present on both sides that differ ("surname", "given_name", "patronymic")."""
    out = []
    for part in PARTS:
        mine, theirs = getattr(registered, part).strip(), getattr(other, part).strip()
        if part == "patronymic":
            if theirs and not same(mine, theirs):  # the other source has one: it must be ours
                out.append(part)
            continue
        if mine and theirs and not same(mine, theirs) or theirs and not mine:
            out.append(part)
    return out


def certificate_name(*, common_name: str, surname: str, given_name: str) -> FullName:
    """The holder's name in an NCA RK certificate subject: SURNAME the surname, CN "SURNAME NAME",
    GIVENNAME the patronymic. A GIVENNAME equal to the name in CN (some issuers, the test PKI)
    is the name, not a patronymic."""
    tokens = common_name.split()
    surname = surname.strip() or (tokens[0] if tokens else "")
    rest = tokens[len(surname.split()) :] if tokens else []
    if tokens and fold(" ".join(tokens[: len(surname.split())])) != fold(surname):
        rest = tokens[1:]
    name = " ".join(rest)
    patronymic = given_name.strip()
    if patronymic and (not name or same(patronymic, name)):
        name, patronymic = name or patronymic, ""
    return FullName(surname=surname, given_name=name, patronymic=patronymic)


# --- characters ---------------------------------------------------------------------------------
NAME_MAX = 60
LEGAL_NAME_MAX = 300
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f\u0400-\u04ff"
_APOSTROPHES = "'\u2019\u02bc"
NAME_RE = re.compile(rf"[{_LETTER}][{_LETTER} \-{_APOSTROPHES}]*")
# Bidirectional formatting characters (Unicode "Bidi_Control"): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def normalise_name(value: str) -> str:
    """NFC, surrounding space dropped, inner runs of spaces collapsed."""
    return " ".join(part for part in unicodedata.normalize("NFC", value or "").split(" ") if part)


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


# --- addresses ------------------------------------------------------------------------------------
ADDRESS_MIN = 10
ADDRESS_MAX = 200
# Letters, digits, spaces and the punctuation of a postal address ("г. Алматы, ул. Абая, 10/2,
# кв. 5", "№ 3", "мкр «Самал-2»"); no markup, control or bidi characters.
_ADDRESS_PUNCT = '.,;:/()№#«»"-–—' + _APOSTROPHES
ADDRESS_RE = re.compile(rf"[{_LETTER}0-9 {re.escape(_ADDRESS_PUNCT)}]+")
_HAS_LETTER = re.compile(rf"[{_LETTER}]")


def address_problem(value: str) -> str:
    """'' for an acceptable address, else 'too_short', 'too_long' or 'characters'."""
    if len(value) > ADDRESS_MAX:
        return "too_long"
    if len(value) < ADDRESS_MIN or not _HAS_LETTER.search(value):
        return "too_short"
    if not ADDRESS_RE.fullmatch(value):
        return "characters"
    return ""
