"""AML/CFT screening: list import, transliteration, fuzzy and exact matches, re-screening (R-PRE-1, R-AML-1)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qaryz.compliance import demo
from qaryz.compliance.listformats import ListFormatError, parse
from qaryz.compliance.matching import CLEAR, REFUSE, REVIEW, Entry, Index, Subject, birth_date_from_iin
from qaryz.compliance.models import RescreenRun, Screening, ScreeningListVersion
from qaryz.compliance.services import ensure_list, import_list, review_screening, screen_client
from qaryz.compliance.translit import fold, transliterate
from qaryz.lending.tests.factories import make_client

pytestmark = pytest.mark.req("R-PRE-1", "R-AML-1")


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Жандос Құрманғалиев", "Zhandos Kurmangaliyev"),
        ("Жандос Құрманғалиев", "Jandos Qurmanğaliev"),
        ("Юрий Хабибуллин", "Iurii Habibullin"),
        ("Нұрлан Сейітқали", "Nourlan Seytkaly"),
        ("Әлия Жұмабаева", "Aliya Zhumabayeva"),
        ("Ербол Дәулетұлы", "Yerbol Dauletuly"),
        ("Царёв Алексей", "Tsarev Aleksey"),
    ],
)
def test_transliteration_variants_fold_to_one_key(cyrillic, latin):
    assert fold(cyrillic) == fold(latin)


def test_transliterate_is_readable():
    assert transliterate("Қайрат Әбенов") == "Qayrat Abenov"
    assert transliterate("Щукин Юрий") == "Shchukin Yuriy"


CONSONANTS = "бвгғджзйкқлмнңпрстфхһцчшщ"
VOWELS = "аәеёиоөуұүыіэюя"
syllable = st.tuples(st.sampled_from(CONSONANTS), st.sampled_from(VOWELS)).map("".join)
names = st.lists(syllable, min_size=2, max_size=5).map("".join)


@given(names, names)
@settings(max_examples=200, deadline=None)
def test_any_cyrillic_name_is_found_by_its_latin_spelling(surname, name):
    entry = Entry(1, [f"{surname.capitalize()} {name.capitalize()}"])
    index = Index([entry, Entry(2, ["Completely Different"])])
    result = index.screen(Subject(transliterate(f"{name} {surname}").upper()))
    if fold(surname) and fold(name):
        assert [m.entry for m in result.matches] == [1]
        assert result.outcome == REVIEW


def test_outcomes_exact_iin_fuzzy_dob_and_clear():
    index = Index(
        [
            Entry(1, ["Выдуманов Фиктив Сериалович"], iin="870909370012"),
            Entry(2, ["Zhalgasbekov Demobek"], birth_year=1975),
            Entry(3, ["Fictionova Sample"], birth_date=dt.date(1990, 1, 1)),
        ]
    )
    assert index.screen(Subject("Кто-то Другой", iin="870909370012")).outcome == REFUSE
    review = index.screen(Subject("Жалғасбеков Демобек Тестұлы", birth_date=dt.date(1975, 1, 1)))
    assert review.outcome == REVIEW and review.matches[0].entry == 2
    # Same name, another year of birth: recorded but dismissed.
    other = index.screen(Subject("Жалгасбеков Демобек", birth_date=dt.date(1999, 5, 5)))
    assert other.outcome == CLEAR and other.matches[0].dismissed
    assert index.screen(Subject("Фикционова Сампле", birth_date=dt.date(1990, 1, 1))).outcome == REVIEW
    assert index.screen(Subject("Сергеев Пётр")).outcome == CLEAR


def test_birth_date_from_iin():
    assert birth_date_from_iin("870909370012") == dt.date(1987, 9, 9)
    assert birth_date_from_iin("050101500011") == dt.date(2005, 1, 1)
    assert birth_date_from_iin("12345") is None


def test_csv_and_ftm_parsers_and_errors():
    entries = parse(demo.DEMO_LIST.read_bytes(), "csv")
    assert len(entries) == 5
    assert entries[0].iin == "870909370012" and entries[0].birth_date == dt.date(1987, 9, 9)
    assert entries[1].birth_year == 1975 and entries[1].birth_date is None
    ftm = "\n".join(
        json.dumps(o, ensure_ascii=False)
        for o in [
            {
                "id": "os-1",
                "schema": "Person",
                "properties": {
                    "name": ["Фиктивов Ф."],
                    "alias": ["Fiktivov F."],
                    "birthDate": ["1970-02-03"],
                    "idNumber": ["IIN 700203300015"],
                },
            },
            {"id": "os-2", "schema": "Address", "properties": {"full": ["somewhere"]}},
            {"id": "os-3", "schema": "Company", "properties": {"name": ["Imaginary LLP"]}},
        ]
    ).encode()
    parsed = parse(ftm, "ftm")
    assert [(e.external_id, e.entity_kind, e.iin) for e in parsed] == [
        ("os-1", "person", "700203300015"),
        ("os-3", "entity", ""),
    ]
    custom = "ID;FULL NAME;DOB\n7;Мнимый Тест;1980\n".encode()
    got = parse(
        custom, "csv", {"delimiter": ";", "columns": {"id": "ID", "name": "FULL NAME", "birth_date": "DOB"}}
    )
    assert got[0].name == "Мнимый Тест" and got[0].birth_year == 1980
    with pytest.raises(ListFormatError, match="lacks column"):
        parse(b"foo,bar\n1,2\n", "csv")
    with pytest.raises(ListFormatError, match="line 2"):
        parse(b"name,birth_date\nX,31.31.2000\n", "csv")
    with pytest.raises(ListFormatError, match="unknown list format"):
        parse(b"", "xlsx")


@pytest.mark.django_db
def test_import_versions_screen_and_store_list_version():
    out = io.StringIO()
    demo.load_demo(out)
    demo.load_demo(out)  # idempotent
    version = ScreeningListVersion.objects.get()
    assert version.entry_count == 5 and version.is_current
    refused = make_client(iin="870909370012", surname="Иванова", given_name="Мария", patronymic="")
    fuzzy = make_client(iin="750101370025", surname="Жалғасбеков", given_name="Демобек", patronymic="Тестұлы")
    clean = make_client(surname="Серікова", given_name="Дана", patronymic="")
    s1 = screen_client(refused, context="application", context_id="1")
    s2 = screen_client(fuzzy, context="application", context_id="2")
    s3 = screen_client(clean, context="application", context_id="3")
    assert (s1.result, s2.result, s3.result) == ("refuse", "review", "clear")
    assert (s1.review_status, s2.review_status, s3.review_status) == ("pending", "pending", "")
    for screening in (s1, s2, s3):
        assert list(screening.list_versions.all()) == [version]
    assert s2.matches[0]["name"] == "Zhalgasbekov Demobek"


@pytest.mark.django_db
def test_review_by_officer(django_user_model):
    demo.load_demo(io.StringIO())
    officer = django_user_model.objects.create_user("aml", password="x-Officer-2026")
    client = make_client(iin="750101370025", surname="Жалгасбеков", given_name="Демобек", patronymic="")
    screening = screen_client(client)
    review_screening(screening, confirmed=False, officer=officer, note="another person, documents checked")
    screening.refresh_from_db()
    assert screening.review_status == "false_positive" and screening.reviewed_by == officer
    with pytest.raises(ValueError):
        review_screening(screening, confirmed=True, officer=officer)


@pytest.mark.django_db
def test_new_list_version_rescreens_portfolio(django_capture_on_commit_callbacks):
    ensure_list("sanctions", name="Sanctions", kind="sanctions", fmt="csv")
    header = "id,name,aliases,birth_date,iin,kind\n"
    v1 = import_list("sanctions", (header + "1,Мнимый Первый,,1960,,person\n").encode(), rescreen=False)
    listed = make_client(surname="Кейінгі", given_name="Жаңа", patronymic="")  # matches only the new entry
    by_iin = make_client(iin="930505393019", surname="Басқа", given_name="Адам", patronymic="")
    bystander = make_client(surname="Ешкім", given_name="Емес", patronymic="")
    content = (
        header + "1,Мнимый Первый,,1960,,person\n2,Keyingi Zhana,,,,person\n3,Someone,,,930505393019,person\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        v2 = import_list("sanctions", content.encode())
    v1.refresh_from_db()
    assert not v1.is_current and v2.is_current and v2.number == 2
    run = RescreenRun.objects.get(version=v2)
    assert run.new_entries == 2 and run.hits == 2 and run.clients_checked == 3
    hits = Screening.objects.filter(context="rescreen")
    assert {s.client_id for s in hits} == {listed.pk, by_iin.pk}
    assert hits.get(client=by_iin).result == "refuse"
    assert not Screening.objects.filter(client=bystander).exists()
    # The same file again is the same version and re-screens nothing.
    assert import_list("sanctions", content.encode()).pk == v2.pk
