"""IIN, BIN, KZ IBAN, cards and mobile numbers (R-ONB-1, R-ONB-2, R-SRV-1, R-AUTH-1, R-DISB-1)."""

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qaryz.core.identifiers import (
    IdentifierError,
    build_bin,
    build_iin,
    check_digit,
    format_kz_mobile,
    is_valid_bin,
    is_valid_iin,
    luhn_ok,
    mask_card_number,
    normalise_card_number,
    normalise_kz_mobile,
    parse_bin,
    parse_iin,
    parse_kz_iban,
)

birth_dates = st.dates(min_value=date(1800, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["M", "F"])
serials = st.integers(min_value=0, max_value=9999)


# --- IIN ------------------------------------------------------------------------------
@pytest.mark.req("R-ONB-1")
@pytest.mark.parametrize(
    ("iin", "birth", "sex", "century"),
    [
        ("900101300017", date(1990, 1, 1), "M", 1900),
        ("051231600017", date(2005, 12, 31), "F", 2000),  # hand-computed: 95 mod 11 = 7
    ],
)
def test_iin_known_vectors(iin, birth, sex, century):
    parsed = parse_iin(iin)
    assert (parsed.birth_date, parsed.sex, parsed.century) == (birth, sex, century)


@pytest.mark.req("R-ONB-1")
def test_iin_check_digit_second_pass_and_invalid_serial():
    # First pass gives 10 -> second weights decide; both passes 10 -> no IIN exists.
    firsts = [f"900101300{n:02d}" for n in range(100)]
    second_pass = [
        f for f in firsts if sum(int(c) * w for c, w in zip(f, range(1, 12), strict=False)) % 11 == 10
    ]
    assert second_pass, "some serial must need the second weight set"
    for first11 in second_pass:
        digit = check_digit(first11)
        weights2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
        expected = sum(int(c) * w for c, w in zip(first11, weights2, strict=False)) % 11
        assert digit == (None if expected == 10 else expected)
        if digit is None:
            with pytest.raises(IdentifierError) as err:
                build_iin(date(1990, 1, 1), "M", int(first11[7:]))
            assert err.value.code == "checksum"


@pytest.mark.req("R-ONB-1", "R-SRV-1")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("90010130001", "format"),
        ("9001013000170", "format"),
        ("90010130001a", "format"),
        ("９００１０１３０００１７", "format"),  # full-width digits are not ASCII digits
        ("900101000017", "century"),
        ("900101700017", "century"),
        ("901301300017", "date"),
        ("900230300017", "date"),
        ("900101300018", "checksum"),
    ],
)
def test_iin_rejections_carry_a_reason(value, code):
    with pytest.raises(IdentifierError) as err:
        parse_iin(value)
    assert (err.value.kind, err.value.code) == ("iin", code)
    assert not is_valid_iin(value)


@pytest.mark.req("R-ONB-1")
@given(birth_dates, sexes, serials)
def test_iin_build_parse_round_trip(birth, sex, serial):
    try:
        iin = build_iin(birth, sex, serial)
    except IdentifierError as exc:
        assert exc.code == "checksum"
        assume(False)
    parsed = parse_iin(iin)
    assert parsed.birth_date == birth
    assert parsed.sex == sex
    assert parsed.century == birth.year // 100 * 100
    assert int(parsed.serial) == serial
    assert int(iin[6]) % 2 == (1 if sex == "M" else 0)


@pytest.mark.req("R-ONB-1")
@given(birth_dates, sexes, serials, st.integers(min_value=0, max_value=11), st.integers(1, 9))
def test_iin_single_digit_typo_is_caught(birth, sex, serial, position, delta):
    try:
        iin = build_iin(birth, sex, serial)
    except IdentifierError:
        assume(False)
    typo = iin[:position] + str((int(iin[position]) + delta) % 10) + iin[position + 1 :]

    # Weights 1..10 are non-zero mod 11, so a change in digits 1-10 moves the first-pass sum; it can
    # only slip through when the second weight set decides for the original or the typo. Weight 11
    # is 0 mod 11: a typo in digit 11 goes unnoticed by the first pass (a property of the standard).
    def first_pass(number: str) -> int:
        return sum(int(c) * w for c, w in zip(number[:11], range(1, 12), strict=False)) % 11

    if position == 11 or (position < 10 and first_pass(iin) != 10 and first_pass(typo) != 10):
        assert not is_valid_iin(typo)


@pytest.mark.req("R-ONB-1")
def test_iin_spaces_are_tolerated():
    assert parse_iin(" 9001 0130 0017 ").value == "900101300017"


# --- BIN ------------------------------------------------------------------------------
@pytest.mark.req("R-ONB-2")
@pytest.mark.parametrize("value", ["940140000385", "990140004654"])
def test_bin_known_vectors(value):
    parsed = parse_bin(value)
    assert parsed.entity_type == "resident_legal_entity"
    assert parsed.office_type == "head_office"
    assert parsed.registered_month == 1


@pytest.mark.req("R-ONB-2", "R-SRV-1")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("940140000386", "checksum"),
        ("941340000385", "date"),
        ("940170000385", "entity_type"),
        ("940149000385", "office_type"),
        ("9401400003", "format"),
    ],
)
def test_bin_rejections(value, code):
    with pytest.raises(IdentifierError) as err:
        parse_bin(value)
    assert err.value.code == code
    assert not is_valid_bin(value)


@pytest.mark.req("R-ONB-2")
@given(
    st.integers(0, 99),
    st.integers(1, 12),
    st.sampled_from("456"),
    st.sampled_from("0123"),
    st.integers(0, 99999),
)
def test_bin_build_parse_round_trip(year, month, entity, office, serial):
    try:
        value = build_bin(year, month, entity, office, serial)
    except IdentifierError as exc:
        assert exc.code == "checksum"
        assume(False)
    parsed = parse_bin(value)
    assert (parsed.registered_year, parsed.registered_month) == (year, month)
    assert (
        parsed.entity_type
        == {
            "4": "resident_legal_entity",
            "5": "non_resident_legal_entity",
            "6": "ie_joint",
        }[entity]
    )
    assert not is_valid_iin(value)  # a BIN never passes as an IIN (digit 5 is not a day digit)


# --- IBAN -----------------------------------------------------------------------------
@pytest.mark.req("R-DISB-1", "R-SRV-1")
def test_kz_iban_known_vector_and_formatting():
    iban = parse_kz_iban("kz86 125k zt50 0410 0100")
    assert iban.value == "KZ86125KZT5004100100"
    assert iban.bank_code == "125"
    assert iban.formatted == "KZ86 125K ZT50 0410 0100"


@pytest.mark.req("R-DISB-1", "R-SRV-1")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("KZ87125KZT5004100100", "checksum"),
        ("KZ86125KZT500410010", "format"),
        ("DE89370400440532013000", "country"),
        ("KZ86125KZT50041001-!", "format"),
    ],
)
def test_kz_iban_rejections(value, code):
    with pytest.raises(IdentifierError) as err:
        parse_kz_iban(value)
    assert err.value.code == code


def _mod97_check(bban: str) -> str:
    rearranged = bban + "KZ00"
    number = int("".join(str(int(c, 36)) for c in rearranged))
    return f"{98 - number % 97:02d}"


@pytest.mark.req("R-DISB-1")
@given(
    st.text(alphabet="0123456789", min_size=3, max_size=3),
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=13, max_size=13),
)
def test_kz_iban_mod97_property(bank, account):
    bban = bank + account
    valid = f"KZ{_mod97_check(bban)}{bban}"
    assert parse_kz_iban(valid).value == valid
    wrong = f"KZ{(int(valid[2:4]) + 1) % 100:02d}{bban}"
    with pytest.raises(IdentifierError):
        parse_kz_iban(wrong)


# --- Cards ----------------------------------------------------------------------------
@pytest.mark.req("R-DISB-1", "R-WEB-3")
def test_card_known_vector_and_mask():
    assert luhn_ok("79927398713")  # the textbook Luhn vector
    assert luhn_ok("4400430000001237") and not luhn_ok("4400430000001236")  # hand-computed
    assert mask_card_number("4400 4300 0000 1237") == "4400 43** **** 1237"
    assert normalise_card_number("4111-1111-1111-1111") == "4111111111111111"
    with pytest.raises(IdentifierError) as err:
        normalise_card_number("4111111111111112")
    assert err.value.code == "checksum"


def _luhn_complete(partial: str) -> str:
    for d in "0123456789":
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError("unreachable")


@pytest.mark.req("R-DISB-1", "R-WEB-3")
@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.integers(0, 17), st.integers(1, 9))
def test_card_luhn_and_mask_properties(partial, position, delta):
    number = _luhn_complete(partial)
    masked = mask_card_number(number)
    plain = masked.replace(" ", "")
    assert plain[:6] == number[:6] and plain[-4:] == number[-4:]
    assert set(plain[6:-4]) <= {"*"} and len(plain) == len(number)
    position %= len(number)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not luhn_ok(typo)  # Luhn catches every single-digit error


# --- Phones ---------------------------------------------------------------------------
@pytest.mark.req("R-AUTH-1", "R-SRV-1")
@pytest.mark.parametrize(
    "value",
    ["8 701 234 56 78", "+7 (701) 234-56-78", "7012345678", "77012345678", "+77012345678", "8(701)2345678"],
)
def test_phone_accepted_forms(value):
    assert normalise_kz_mobile(value) == "+77012345678"


@pytest.mark.req("R-AUTH-1", "R-SRV-1")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("+7 727 234 56 78", "not_mobile"),  # Almaty landline
        ("8 7172 55 55 55", "not_mobile"),  # Astana landline
        ("+7 916 123 45 67", "not_kz"),  # Russian mobile shares +7
        ("+998 90 123 45 67", "not_kz"),
        ("701 234 56", "format"),
        ("call me", "format"),
    ],
)
def test_phone_rejections(value, code):
    with pytest.raises(IdentifierError) as err:
        normalise_kz_mobile(value)
    assert err.value.code == code


@pytest.mark.req("R-AUTH-1")
@given(
    st.sampled_from(["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778"]),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.sampled_from(["+7 ({c}) {s}", "8{c}{s}", "{c}{s}", "7 {c} {s}"]),
)
def test_phone_normalisation_is_idempotent_e164(code, subscriber, template):
    e164 = normalise_kz_mobile(template.format(c=code, s=subscriber))
    assert e164 == f"+7{code}{subscriber}"
    assert normalise_kz_mobile(e164) == e164
    assert normalise_kz_mobile(format_kz_mobile(e164)) == e164
