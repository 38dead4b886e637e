"""Fuzzing of the pure parsers with arbitrary and hostile input (issue 15, item 2).

The rooms' own property tests build *valid* identifiers, MRZs and signatures and check round
trips. These feed what an attacker sends instead: any text (markup, RTL marks, NUL, 10k
characters), any bytes, and mutations of a valid CMS signature. Each parser must either return
a result or raise its own documented error (which the views turn into a clear message) –
never another exception, which would be a 500.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaryz.biometrics.engine import mrz
from qaryz.core import identifiers
from qaryz.signatures.cms import CmsFormatError, UnsupportedAlgorithmError, decode_input, parse_signed_data

pytestmark = pytest.mark.req("R-SRV-1", "R-WEB-5")

HOSTILE = [
    "",
    "\x00",
    "870412\x00300123",
    "\u202e870412300123",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "٠١٢٣٤٥٦٧٨٩٠١",  # Arabic-Indic digits: str.isdigit() says yes
    "８７０４１２３００１２３",  # full-width digits
    "KZ86125KZT5004100100\u200f",
    "9" * 10_000,
    "Ә" * 10_000,
]
texts = st.one_of(
    st.sampled_from(HOSTILE), st.text(max_size=64), st.text(alphabet="0123456789 -+()KZ", max_size=40)
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only(errors: tuple[type[BaseException], ...], call, *args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(*args, **kwargs)
    except errors:
        return None


@FUZZ
@given(texts)
def test_identifier_parsers_take_any_text(value: str) -> None:
    for parse, pattern in (
        (identifiers.parse_iin, r"[0-9]{12}"),
        (identifiers.parse_bin, r"[0-9]{12}"),
        (identifiers.parse_kz_iban, r"KZ[0-9]{2}[0-9A-Z]{16}"),
    ):
        result = _only((identifiers.IdentifierError,), parse, value)
        if result is not None:
            # whatever was accepted is plain ASCII of the expected shape: no smuggled characters
            assert re.fullmatch(pattern, result.value), (parse.__name__, value, result)
    for normalise in (identifiers.normalise_kz_mobile, identifiers.normalise_card_number):
        out = _only((identifiers.IdentifierError,), normalise, value)
        assert out is None or (out.isascii() and len(out) <= 20), (normalise.__name__, value, out)
    assert isinstance(identifiers.is_valid_iin(value), bool)
    assert isinstance(identifiers.is_valid_bin(value), bool)
    assert isinstance(identifiers.luhn_ok(value), bool) if value.isascii() and value.isdigit() else True


def test_lookalike_digits_are_never_an_iin() -> None:
    for value in ("٠١٢٣٤٥٦٧٨٩٠١", "８７０４１２３００１２３", "870412\x00300123", "\u202e870412300123"):
        assert not identifiers.is_valid_iin(value)


mrz_lines = st.lists(
    st.one_of(
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=0, max_size=50),
        st.text(max_size=50),
        st.sampled_from(HOSTILE),
    ),
    min_size=0,
    max_size=4,
)


@FUZZ
@given(mrz_lines, st.booleans())
def test_mrz_parser_takes_any_lines(lines: list[str], fix: bool) -> None:
    # a parse of random lines may succeed (the check digits then agree); it must never crash
    _only((mrz.MrzError,), mrz.parse, lines, today=dt.date(2026, 12, 3), fix=fix)


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_cms_input_decoding_takes_any_bytes(data: bytes | str) -> None:
    der = _only((CmsFormatError,), decode_input, data)
    if der is not None:
        assert der[:1] == b"\x30"
        _only((CmsFormatError, UnsupportedAlgorithmError), parse_signed_data, der)


@pytest.fixture(scope="module")
def signed_cms() -> bytes:
    from qaryz.signatures.cms import sign_cms
    from qaryz.signatures.testpki import new_rsa_key, self_signed_ca

    cert, key = self_signed_ca("Fuzz signer", new_rsa_key(2048))
    return sign_cms(b"contract", cert, key)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_signatures_are_refused_cleanly(signed_cms: bytes, data: st.DataObject) -> None:
    """Flip, cut or insert bytes anywhere in a valid CMS: the parser raises only its own errors."""
    der = bytearray(signed_cms)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, len(der) - 1))
        if kind == "flip":
            der[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del der[at : at + data.draw(st.integers(1, 64))]
        else:
            der[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        if not der:
            der = bytearray(b"\x30")
    _only((CmsFormatError, UnsupportedAlgorithmError), parse_signed_data, bytes(der))


def test_the_unmutated_signature_parses(signed_cms: bytes) -> None:
    parsed = parse_signed_data(signed_cms)
    assert parsed is not None
