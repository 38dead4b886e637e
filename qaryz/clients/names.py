"""Reconciling a person's name across registration data, the identity document and the EDS
certificate (R-ONB-3). Pure: no Django import.

Names are compared after folding (``qaryz.compliance.translit.fold``): case, ё/е, Kazakh letters
(ұ/у, қ/к, …), Cyrillic vs Latin spellings, hyphens and repeated spaces do not count; anything else
does. What a source does not carry is not compared (the MRZ has no patronymic; a certificate may
carry none): only the parts both sides have.
"""

from __future__ import annotations

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
