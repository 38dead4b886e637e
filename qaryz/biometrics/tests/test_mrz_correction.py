"""MRZ look-alike correction never invents validity; characters outside the MRZ alphabet are clean errors
(issue 11, item 7; R-ONB-9)."""

from __future__ import annotations

import contextlib
import datetime as dt
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qaryz.biometrics.engine import mrz

from .conftest import card_lines, card_photo, valid_iin

TODAY = dt.date(2010, 6, 1)
MRZ_CHARS = string.digits + string.ascii_uppercase + "<"
LOOKALIKES = "OQDUILZSBGTA"  # letters the correction maps to digits


def _with_number(lines: list[str], number: str) -> list[str]:
    return [lines[0][:5] + number + lines[0][14:], *lines[1:]]


@pytest.mark.req("R-ONB-9")
def test_letters_of_a_foreign_document_number_are_not_swapped_until_the_check_passes() -> None:
    # The card prints "I23456789", but its check digits were computed for "123456789": an altered (or
    # misread) number. Swapping I→1 would make every check pass and report another number.
    lines = mrz.build_td1(
        document_number="123456789",
        birth=dt.date(1980, 1, 2),
        sex="F",
        expiry=dt.date(2030, 1, 2),
        surname="ERIKSSON",
        given_names="ANNA",
        state="UTO",
        nationality="UTO",
    )
    forged = _with_number(lines, "I23456789")
    result = mrz.parse(forged, today=TODAY)
    assert not result.valid
    assert result.document_number == "I23456789"
    assert "document_number" in result.failed_checks()


@pytest.mark.req("R-ONB-9")
def test_kazakh_id_card_numbers_are_digits_only_so_a_letter_there_is_an_ocr_look_alike() -> None:
    lines = card_lines(iin=valid_iin("61080430012"))
    read = _with_number(lines, "O4I234567")
    result = mrz.parse(read, today=dt.date(2026, 1, 1))
    assert result.valid and result.document_number == "041234567"


@st.composite
def documents(draw: st.DrawFn) -> dict:
    letters = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=8)
    return {
        "document_number": draw(st.text(alphabet=string.digits + LOOKALIKES, min_size=9, max_size=9)),
        "birth": draw(st.dates(dt.date(1931, 1, 1), dt.date(2009, 12, 31))),
        "sex": draw(st.sampled_from("MF")),
        "expiry": draw(st.dates(dt.date(2011, 1, 1), dt.date(2059, 12, 31))),
        "surname": draw(letters),
        "given_names": draw(letters),
        "state": draw(st.sampled_from(["UTO", "KAZ", "D<<"])),
    }


def _build(data: dict) -> list[str]:
    return mrz.build_td1(**{**data, "nationality": data["state"]})


@pytest.mark.req("R-ONB-9")
@settings(max_examples=300, deadline=None)
@given(documents(), st.text(alphabet=string.digits + LOOKALIKES, min_size=9, max_size=9))
def test_a_number_printed_with_another_numbers_check_digits_is_never_valid_with_a_new_number(
    data: dict, printed: str
) -> None:
    """Check digits (document and composite) of one number, another number printed in their place."""
    assume(printed != data["document_number"])
    result = mrz.parse(_with_number(_build(data), printed), today=TODAY)
    if result.valid and result.document_number != printed:
        # A corrected number is only possible where the format forbids letters (Kazakhstan ID cards):
        # the letters are look-alikes, and the digits read are the ones the check digits protect.
        assert data["state"] == "KAZ" and result.document_number == mrz.digits(printed)
        assert mrz.parse(_with_number(_build(data), mrz.digits(printed)), today=TODAY, fix=False).valid


PROTECTED = [
    (0, 5, 15),
    (1, 0, 7),
    (1, 8, 15),
    (1, 29, 30),
]  # number+check, birth+check, expiry+check, composite


@pytest.mark.req("R-ONB-9")
@settings(max_examples=400, deadline=None)
@given(documents(), st.data())
def test_an_altered_check_digit_protected_field_is_never_reported_valid(
    data: dict, pick: st.DataObject
) -> None:
    lines = _build(data)
    original = mrz.parse(lines, today=TODAY)
    assume(original.valid)  # look-alike letters in a KAZ number are read as digits: the data is theirs
    li, lo, hi = pick.draw(st.sampled_from(PROTECTED))
    ci = pick.draw(st.integers(lo, hi - 1))
    new = pick.draw(st.sampled_from([c for c in MRZ_CHARS if c != lines[li][ci]]))
    tampered = list(lines)
    tampered[li] = lines[li][:ci] + new + lines[li][ci + 1 :]
    result = mrz.parse(tampered, today=TODAY)
    if not result.valid:
        return
    same = (result.document_number, result.birth_date, result.expiry_date) == (
        original.document_number,
        original.birth_date,
        original.expiry_date,
    )
    if same:
        return  # the change was a look-alike of the same digit in a digit-only field
    # A different value reported valid: only where the 7-3-1 check digits themselves cannot see the
    # change (the two characters' values differ by a multiple of 10), never because of a correction.
    raw = mrz.parse(tampered, today=TODAY, fix=False)
    assert raw.valid and raw.document_number == result.document_number, (tampered, result.checks)


@pytest.mark.req("R-ONB-9")
@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([0, 1, 2]),
    st.integers(0, 29),
    st.characters(blacklist_characters=MRZ_CHARS + string.ascii_lowercase, blacklist_categories=("Zs", "Cc")),
)
def test_every_character_outside_the_mrz_alphabet_is_a_clean_error(line: int, col: int, char: str) -> None:
    assume(not char.isspace())
    lines = card_lines(iin=valid_iin("61080430012"))
    bad = list(lines)
    bad[line] = lines[line][:col] + char + lines[line][col + 1 :]
    with pytest.raises(mrz.MrzError):
        mrz.parse(bad, today=dt.date(2026, 1, 1))
    with pytest.raises(mrz.MrzError):
        mrz.check_digit(lines[0][5:14] + char)


@pytest.mark.req("R-ONB-9")
@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=50), max_size=4))
def test_any_text_parses_or_is_an_mrz_error(lines: list[str]) -> None:
    with contextlib.suppress(mrz.MrzError):
        mrz.parse(lines)


@pytest.mark.django_db
@pytest.mark.req("R-ONB-9")
@pytest.mark.parametrize("char", ["Ж", "٣", "²", "ß", "\x00"])
def test_non_mrz_characters_from_the_reader_are_a_retake_message_not_a_500(client, monkeypatch, char) -> None:
    from qaryz.access.testing import sign_in_client
    from qaryz.biometrics.models import FaceReference

    from .test_protocol import make_client

    lines = card_lines(iin=valid_iin("61080430012"))
    monkeypatch.setattr(mrz, "ocr_lines", lambda zone, **kw: [lines[0][:6] + char + lines[0][7:], *lines[1:]])
    person = make_client(face=None)
    sign_in_client(client, person)
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = card_photo(lines)
    resp = client.post(
        "/biometrics/document/?purpose=registration&next=/cabinet/",
        {
            "card": SimpleUploadedFile("card.jpg", photo, content_type="image/jpeg"),
            "issue_date": "2024-05-20",
        },
    )
    assert resp.status_code == 302, resp.status_code  # back to the page, with the retake message
    page = client.get(resp["Location"]).content.decode()
    assert "Не удалось прочитать машиночитаемую зону" in page
    assert not FaceReference.objects.filter(client=person).exists()
    from qaryz.access.services import issue_api_token

    token, _ = issue_api_token(person)
    api = client.post(
        "/api/v1/biometrics/document",
        {
            "card": SimpleUploadedFile("card.jpg", photo, content_type="image/jpeg"),
            "issue_date": "2024-05-20",
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert api.status_code == 400 and api.json()["detail"].startswith("mrz_unreadable"), api.content
