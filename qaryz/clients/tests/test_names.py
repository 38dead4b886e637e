"""Reconciling names across registration data, the ID document and the EDS certificate (R-ONB-3)."""

import pytest

from qaryz.clients.names import FullName, certificate_name, mismatched_parts

pytestmark = pytest.mark.req("R-ONB-3")


@pytest.mark.parametrize(
    ("registered", "cert"),
    [
        (FullName("Царёв", "Алексей", "Петрович"), ("ЦАРЕВ АЛЕКСЕЙ", "ЦАРЕВ", "ПЕТРОВИЧ")),
        (FullName("Жумабекова", "Алия", "Кайратовна"), ("ЖҰМАБЕКОВА ӘЛИЯ", "ЖҰМАБЕКОВА", "ҚАЙРАТОВНА")),
        (FullName("Ким-Ли", "Анна", ""), ("КИМ ЛИ АННА", "КИМ ЛИ", "")),
        (
            FullName("Сапарова", "Айжан", "Маратовна"),
            ("САПАРОВА АЙЖАН", "САПАРОВА", "АЙЖАН"),
        ),  # no patronymic
    ],
)
def test_same_person_despite_case_yo_kazakh_letters_and_hyphens(registered, cert):
    common, surname, given = cert
    assert (
        mismatched_parts(registered, certificate_name(common_name=common, surname=surname, given_name=given))
        == []
    )


@pytest.mark.parametrize(
    ("registered", "cert", "parts"),
    [
        (
            FullName("Оспанов", "Ерлан", "Маратович"),
            ("ОСПАНОВ ЕРЛАН", "ОСПАНОВ", "СЕРИКОВИЧ"),
            ["patronymic"],
        ),
        (FullName("Оспанов", "Ерлан", ""), ("ОСПАНОВ ЕРЛАН", "ОСПАНОВ", "МАРАТОВИЧ"), ["patronymic"]),
        (FullName("Оспанов", "Ерлан", ""), ("ОСПАНОВ ЕРБОЛ", "ОСПАНОВ", ""), ["given_name"]),
        (FullName("Оспанова", "Ерлан", ""), ("ОСПАНОВ ЕРЛАН", "ОСПАНОВ", ""), ["surname"]),
    ],
)
def test_a_differing_part_is_named(registered, cert, parts):
    common, surname, given = cert
    assert (
        mismatched_parts(registered, certificate_name(common_name=common, surname=surname, given_name=given))
        == parts
    )


def test_the_nca_subject_shape_is_read():
    name = certificate_name(common_name="ОСПАНОВ ЕРЛАН", surname="ОСПАНОВ", given_name="МАРАТОВИЧ")
    assert name == FullName("ОСПАНОВ", "ЕРЛАН", "МАРАТОВИЧ")
    assert certificate_name(common_name="ИВАНОВ ИВАН", surname="", given_name="") == FullName(
        "ИВАНОВ", "ИВАН", ""
    )
