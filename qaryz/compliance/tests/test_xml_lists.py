"""AML list import from XML (issue 7 §4): the Financial Monitoring Agency's layout and the UN
consolidated list, parsed with defusedxml; malicious XML is refused (R-PRE-1, R-AML-1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from qaryz.compliance.listformats import ListFormatError, parse
from qaryz.compliance.matching import REFUSE, REVIEW
from qaryz.compliance.models import ScreeningEntry, ScreeningListVersion
from qaryz.compliance.services import ensure_list, import_list, screen_client
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = pytest.mark.req("R-PRE-1", "R-AML-1")

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_afm_xml_persons_and_organisations():
    entries = {e.external_id: e for e in parse(fixture("afm_financiers.xml"), "afm_xml")}
    assert set(entries) == {"person-1", "person-2", "person-3", "org-1"}
    first = entries["person-1"]
    assert first.name == "ДЕМОБЕКОВ ТЕСТЖАН ФИКТИВОВИЧ" and first.iin == "870909370012"
    assert first.birth_date == dt.date(1987, 9, 9) and first.entity_kind == "person"
    assert entries["person-2"].name == "ҚҰРМАНҒАЛИЕВ ЖАНДОС" and entries["person-2"].birth_year == 1975
    assert entries["person-2"].birth_date is None and entries["person-2"].iin == ""
    assert entries["person-3"].birth_year == 1969 and entries["person-3"].birth_date is None  # "00.00.1969"
    org = entries["org-1"]
    assert org.name == "ТОО «ВЫМЫСЕЛ»" and org.aliases == ["ВЫМЫСЕЛ ЛТД", "VYMYSEL LLP"]
    assert org.iin == "990140000013" and org.entity_kind == "entity"


def test_afm_xml_options_for_the_terrorists_list():
    content = (
        "<xml><orgs><org><num>7</num><org_name>ВЫМЫШЛЕНОВ ДЕМО</org_name>"
        "<org_iin>870909370012</org_iin></org></orgs></xml>"
    ).encode()
    (entry,) = parse(content, "afm_xml", {"org_kind": "person"})
    assert entry.entity_kind == "person" and entry.iin == "870909370012" and entry.external_id == "org-7"


def test_un_consolidated_xml():
    entries = {e.external_id: e for e in parse(fixture("un_consolidated.xml"), "un_xml")}
    assert set(entries) == {"XXi.001", "XXi.002", "XXi.003", "XXe.001"}
    demo = entries["XXi.001"]
    assert demo.name == "DEMO FICTIONAL EXAMPLOV" and demo.birth_date == dt.date(1970, 5, 4)
    assert demo.aliases == ["Демо Фиктивный Экзамплов", "Demo Examplov"]  # the "Low" alias left out
    assert demo.iin == "700504350016"
    two = entries["XXi.002"]
    assert two.birth_date is None and two.birth_year is None  # two dates: unknown, never a contradiction
    assert entries["XXi.003"].birth_year == 1980 and entries["XXi.003"].birth_date is None
    assert entries["XXe.001"].entity_kind == "entity" and entries["XXe.001"].aliases == ["FFC Demo"]
    with_low = {
        e.external_id: e
        for e in parse(fixture("un_consolidated.xml"), "un_xml", {"include_low_quality_aliases": True})
    }
    assert "Abu Demo" in with_low["XXi.001"].aliases


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
@pytest.mark.parametrize("fmt", ["afm_xml", "un_xml"])
def test_malicious_xml_is_refused_with_a_clear_message(name, fmt):
    with pytest.raises(ListFormatError, match="refused: the XML file declares a DTD or entities"):
        parse(fixture(name), fmt)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<xml><person><lname>A", "not well-formed XML"),
        (b"<xml><nothing/></xml>", "no <person> or <org> records"),
        (b"<xml><person><num>4</num><lname> </lname></person></xml>", "person record 1: no name"),
    ],
)
def test_afm_xml_errors_say_where(content, message):
    with pytest.raises(ListFormatError, match=message):
        parse(content, "afm_xml")


def test_un_xml_without_records_is_an_error():
    with pytest.raises(ListFormatError, match="no INDIVIDUAL or ENTITY"):
        parse(b"<CONSOLIDATED_LIST/>", "un_xml")


@pytest.mark.django_db
def test_afm_xml_import_screens_clients(tmp_path):
    call_command(
        "import_screening_list",
        "afm-financiers",
        str(FIXTURES / "afm_financiers.xml"),
        "--format",
        "afm_xml",
        "--kind",
        "terrorism",
    )
    version = ScreeningListVersion.objects.get(screening_list__code="afm-financiers")
    assert version.entry_count == 4 and version.is_current
    assert ScreeningEntry.objects.filter(version=version, iin="870909370012").exists()
    refused = screen_client(make_client(iin="870909370012"))
    assert refused.result == REFUSE
    namesake = make_client(
        iin=make_iin("750612", "3"), surname="Курмангалиев", given_name="Жандос", patronymic=""
    )
    assert screen_client(namesake).result == REVIEW  # born 1975, the year listed


@pytest.mark.django_db
def test_malicious_file_creates_no_version():
    ensure_list("un", name="UN", kind="sanctions", fmt="un_xml")
    with pytest.raises(ListFormatError):
        import_list("un", fixture("billion_laughs.xml"), rescreen=False)
    assert not ScreeningListVersion.objects.exists()
    version = import_list("un", fixture("un_consolidated.xml"), rescreen=False)
    assert version.entry_count == 4
