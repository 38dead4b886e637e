"""MRZ: ICAO 9303 check digits, TD1/TD2/TD3 parsing, OCR of a synthetic card photo (R-ONB-8, R-ONB-9)."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaryz.biometrics.engine import faces, mrz

from .conftest import card_lines, card_photo, valid_iin

# The specimen documents of ICAO Doc 9303 (Utopia, Anna Maria Eriksson).
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TODAY = dt.date(2010, 1, 1)  # the specimens expire in 2012


@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("D23145890", "7"), ("<<<<", "0")],
)
def test_check_digit_icao_examples(data: str, digit: str) -> None:
    assert mrz.check_digit(data) == digit


@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize(
    ("lines", "fmt", "number"),
    [(TD1, "TD1", "D23145890"), (TD2, "TD2", "D23145890"), (TD3, "TD3", "L898902C3")],
)
def test_parse_icao_specimens(lines: list[str], fmt: str, number: str) -> None:
    r = mrz.parse(lines, today=TODAY)
    assert r.format == fmt and r.valid, r.checks
    assert (r.document_number, r.issuing_state, r.nationality, r.sex) == (number, "UTO", "UTO", "F")
    assert (r.surname, r.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (r.birth_date, r.expiry_date) == (dt.date(1974, 8, 12), dt.date(2012, 4, 15))


@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize("lines", [TD1, TD2, TD3])
def test_every_tampered_check_digit_is_caught(lines: list[str]) -> None:
    r = mrz.parse(lines, today=TODAY)
    digit_positions = [
        (li, ci)
        for li, line in enumerate(r.lines)
        for ci, ch in enumerate(line)
        if ch.isdigit() and not (li == 0 and len(lines) == 3 and ci < 5)
    ]
    for li, ci in digit_positions:
        tampered = list(r.lines)
        ch = tampered[li][ci]
        tampered[li] = tampered[li][:ci] + str((int(ch) + 1) % 10) + tampered[li][ci + 1 :]
        result = mrz.parse(tampered, today=TODAY, fix=False)
        assert not result.valid, f"change at line {li} col {ci} went unnoticed"


@st.composite
def td1_data(draw: st.DrawFn) -> dict:
    letters = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=8)
    return {
        "document_number": draw(
            st.text(alphabet=string.digits + string.ascii_uppercase, min_size=9, max_size=9)
        ),
        "birth": draw(st.dates(dt.date(1931, 1, 1), dt.date(2009, 12, 31))),
        "sex": draw(st.sampled_from("MF")),
        "expiry": draw(st.dates(dt.date(2011, 1, 1), dt.date(2059, 12, 31))),
        "surname": draw(letters),
        "given_names": draw(letters),
        "iin": "",
    }


@pytest.mark.req("R-ONB-9")
@settings(max_examples=150, deadline=None)
@given(td1_data(), st.data())
def test_td1_round_trip_and_single_change_detected(data: dict, pick: st.DataObject) -> None:
    lines = mrz.build_td1(**data)
    r = mrz.parse(lines, today=dt.date(2010, 6, 1), fix=False)
    assert r.valid, r.checks
    assert (r.document_number, r.birth_date, r.expiry_date, r.sex) == (
        data["document_number"],
        data["birth"],
        data["expiry"],
        data["sex"],
    )
    # Changing one character of a check-digit-protected field is detected, unless the two values
    # differ by a multiple of 10 (e.g. "1" -> "B"): 7-3-1 weights cannot see that, by design.
    li, lo, hi = pick.draw(st.sampled_from([(0, 5, 15), (1, 0, 7), (1, 8, 15), (1, 29, 30)]))
    ci = pick.draw(st.integers(lo, hi - 1))
    old = lines[li][ci]
    new = pick.draw(
        st.sampled_from([c for c in string.digits + string.ascii_uppercase if c != old and c != "<"])
    )
    tampered = list(lines)
    tampered[li] = lines[li][:ci] + new + lines[li][ci + 1 :]
    if (mrz.char_value(new) - mrz.char_value(old)) % 10:
        assert not mrz.parse(tampered, today=dt.date(2010, 6, 1), fix=False).valid


@pytest.mark.req("R-ONB-8")
@settings(max_examples=100, deadline=None)
@given(st.dates(dt.date(1940, 1, 1), dt.date(2008, 12, 31)), st.sampled_from("3456"), st.integers(0, 9999))
def test_iin_from_td1_optional_data(birth: dt.date, century_sex: str, serial: int) -> None:
    try:
        iin = valid_iin(f"{birth:%y%m%d}{century_sex}{serial:04d}")
    except AssertionError:
        return  # about 1 in 11 prefixes has no valid control digit
    lines = card_lines(iin=iin)
    r = mrz.parse(lines, today=dt.date(2026, 1, 1))
    assert r.valid and r.iin == iin
    assert not mrz.iin_valid(iin[:11] + str((int(iin[11]) + 1) % 10))


@pytest.mark.req("R-ONB-9")
def test_lookalike_letters_corrected_only_where_digits_belong() -> None:
    lines = card_lines(iin=valid_iin("61080430012"))
    ocr = [
        lines[0][:5] + lines[0][5:14].replace("0", "O"),
        lines[1].replace("1", "I").replace("0", "O"),
        lines[2].replace("O", "0"),
    ]
    ocr[0] = ocr[0] + lines[0][14:]
    r = mrz.parse(ocr, today=dt.date(2026, 1, 1))
    assert r.valid, (r.checks, r.lines)
    assert r.document_number == "041234567" and r.surname == "OBAMA" and r.given_names == "BARAK"


@pytest.mark.req("R-ONB-8")
def test_transliteration_and_comparison_with_entered_data() -> None:
    assert mrz.transliterate("Жұмабаев") == "ZHUMABAEV"
    assert mrz.transliterate("Әлия-Гүлнұр") == "ALIIA GULNUR"
    iin = valid_iin("61080430012")
    r = mrz.parse(card_lines(iin=iin), today=dt.date(2026, 1, 1))
    ok = mrz.compare_with_client(r, iin=iin, surname="Обама", given_name="Барак", today=dt.date(2026, 1, 1))
    assert all(ok.values()), ok
    bad = mrz.compare_with_client(
        r, iin=valid_iin("90010130012"), surname="Байден", given_name="Джо", today=dt.date(2035, 1, 1)
    )
    assert not bad["iin"] and not bad["surname"] and not bad["given_name"] and not bad["not_expired"]


@pytest.mark.req("R-ONB-9")
def test_ocr_reads_the_card_photo_and_catches_a_tampered_digit() -> None:
    iin = valid_iin("61080430012")
    lines = card_lines(iin=iin)
    r = mrz.read_card(faces.decode_image(card_photo(lines), max_side=1600), today=dt.date(2026, 1, 1))
    assert r.valid, (r.checks, r.lines)
    assert (r.format, r.iin, r.document_number, r.surname) == ("TD1", iin, "041234567", "OBAMA")
    assert r.expiry_date == dt.date(2034, 5, 20) and r.birth_date == dt.date(1961, 8, 4)
    # The printed birth date altered after issue: its check digit no longer agrees.
    forged = [lines[0], lines[1][:5] + "5" + lines[1][6:], lines[2]]
    r2 = mrz.read_card(
        faces.decode_image(card_photo(forged, seed=1), max_side=1600), today=dt.date(2026, 1, 1)
    )
    assert not r2.valid and "birth_date" in r2.failed_checks()


@pytest.mark.req("R-ONB-9")
def test_not_an_mrz() -> None:
    with pytest.raises(mrz.MrzError):
        mrz.parse(["HELLO", "WORLD"])
