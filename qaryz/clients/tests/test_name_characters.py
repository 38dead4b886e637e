"""Which characters a name may hold (issue 11, item 8; R-ONB-8)."""

from __future__ import annotations

import pytest

from qaryz.access.testing import make_client
from qaryz.clients import names, services


@pytest.mark.parametrize("good", ["Жұмабаев", "Әлия-Гүлнұр", "O'Brien", "Ұлжан Ғалымқызы", "Øster", "Іңкәр"])
def test_letters_spaces_hyphens_apostrophes(good: str) -> None:
    assert names.name_problem(good) == ""


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("<i>x</i>", "characters"),
        ("Иван1", "characters"),
        ("Ив\u202eан", "characters"),
        ("Ж" * 61, "too_long"),
    ],
)
def test_markup_digits_bidi_and_length_refused(bad: str, problem: str) -> None:
    assert names.name_problem(bad) == problem


def test_entity_names_keep_quotes_and_digits_but_not_markup() -> None:
    assert names.free_text_problem("ТОО «Альфа-1»") == ""
    assert names.free_text_problem("ТОО <b>") == "characters"
    assert names.free_text_problem("ТОО \u202eА") == "characters"


@pytest.mark.django_db
def test_update_client_validates_names() -> None:
    person = make_client()
    with pytest.raises(services.ClientDataError):
        services.update_client(person, surname="<script>")
    assert services.update_client(person, surname="  Сәтбаев ").surname == "Сәтбаев"
