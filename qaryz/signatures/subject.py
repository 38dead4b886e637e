"""Reading an NCA RK certificate subject (pure: no Django import).

NCA RK puts the holder's IIN in SERIALNUMBER as ``IIN123456789012`` and, in certificates
of an organisation's employees, the organisation's BIN in OU as ``BIN123456789012``;
CN is "SURNAME NAME", SURNAME the surname, GIVENNAME the patronymic, C the country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID

_IIN = re.compile(r"^IIN(\d{12})$")
_BIN = re.compile(r"^BIN(\d{12})$")


@dataclass(frozen=True)
class SubjectInfo:
    iin: str
    bin: str
    common_name: str
    surname: str
    given_name: str
    organisation: str
    country: str

    @property
    def is_organisation(self) -> bool:
        return bool(self.bin)


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attr.value) for attr in name.get_attributes_for_oid(oid)]


def parse_subject(name: x509.Name) -> SubjectInfo:
    """The identity fields of an NCA-shaped subject; missing fields are empty strings."""
    iin = ""
    for value in _values(name, NameOID.SERIAL_NUMBER):
        match = _IIN.match(value.strip())
        if match:
            iin = match.group(1)
            break
    bin_ = ""
    for value in _values(name, NameOID.ORGANIZATIONAL_UNIT_NAME):
        match = _BIN.match(value.strip())
        if match:
            bin_ = match.group(1)
            break

    def first(oid: x509.ObjectIdentifier) -> str:
        values = _values(name, oid)
        return values[0] if values else ""

    return SubjectInfo(
        iin=iin,
        bin=bin_,
        common_name=first(NameOID.COMMON_NAME),
        surname=first(NameOID.SURNAME),
        given_name=first(NameOID.GIVEN_NAME),
        organisation=first(NameOID.ORGANIZATION_NAME),
        country=first(NameOID.COUNTRY_NAME),
    )


def nca_subject(
    *,
    iin: str,
    surname: str,
    given_name: str,
    common_name: str | None = None,
    bin: str = "",
    organisation: str = "",
    email: str = "",
) -> x509.Name:
    """Build a subject shaped like NCA RK's (used by the test PKI)."""
    attrs = [
        x509.NameAttribute(NameOID.COMMON_NAME, common_name or f"{surname} {given_name}".strip()),
        x509.NameAttribute(NameOID.SURNAME, surname),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if bin:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"))
    if given_name:
        attrs.append(x509.NameAttribute(NameOID.GIVEN_NAME, given_name))
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)
