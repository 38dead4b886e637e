"""Each list kind has its own consequence (R-AML-1): terrorism / extremism and sanctions lists
refuse (an exact IIN at once, a name match once the AML officer confirms it); a PEP list sends the
case to enhanced review with a PEP flag, never to refusal. A legal entity's signer and name are
screened too."""

from __future__ import annotations

import pytest

from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.compliance.matching import CLEAR, REFUSE, REVIEW, Match, consequence
from qaryz.compliance.models import Screening
from qaryz.compliance.services import ensure_list, import_list, review_screening, screen_client
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = pytest.mark.req("R-PRE-1", "R-AML-1")

HEADER = "id,name,aliases,birth_date,iin,kind\n"


def _list(code: str, kind: str, rows: str):
    ensure_list(code, name=code, kind=kind, fmt="csv")
    return import_list(code, (HEADER + rows).encode(), rescreen=False)


def test_consequence_by_list_kind():
    iin_hit = [Match(1, 10, "iin", 100.0, "X")]
    name_hit = [Match(2, 20, "name", 92.0, "Y")]
    assert consequence(iin_hit, {10: "terrorism"}).outcome == REFUSE
    assert consequence(iin_hit, {10: "sanctions"}).outcome == REFUSE
    pep = consequence(iin_hit, {10: "pep"})
    assert (pep.outcome, pep.pep, pep.refusal_list) == (REVIEW, True, False)
    sanctions_name = consequence(name_hit, {20: "sanctions"})
    assert (sanctions_name.outcome, sanctions_name.pep, sanctions_name.refusal_list) == (REVIEW, False, True)
    both = consequence(iin_hit + name_hit, {10: "pep", 20: "terrorism"})
    assert (both.outcome, both.pep, both.refusal_list) == (REVIEW, True, True)
    dismissed = [Match(3, 20, "name", 95.0, "Z", dismissed="date of birth differs")]
    assert consequence(dismissed, {20: "terrorism"}) == consequence([], {})
    assert consequence([], {}).outcome == CLEAR


@pytest.mark.django_db
def test_pep_is_enhanced_review_and_terrorism_is_refusal(django_user_model):
    pep_iin, listed_iin = make_iin("700101", "3", 4101), make_iin("710202", "3", 4102)
    _list("pep", "pep", f"1,Депутатов Важный,,,{pep_iin},person\n")
    _list("terror", "terrorism", f"1,Опасный Человек,,,{listed_iin},person\n")
    pep = screen_client(make_client(iin=pep_iin, surname="Депутатов", given_name="Важный", patronymic=""))
    listed = screen_client(make_client(iin=listed_iin, surname="Другой", given_name="Имя", patronymic=""))
    assert (pep.result, pep.pep, pep.refusal_list, pep.review_status) == ("review", True, False, "pending")
    assert pep.matches[0]["list_kind"] == "pep" and not pep.refuses
    assert (listed.result, listed.pep, listed.refuses) == ("refuse", False, True)
    officer = django_user_model.objects.create_user("aml-officer")
    review_screening(pep, confirmed=True, officer=officer, note="deputy, confirmed")
    pep.refresh_from_db()
    assert pep.pep_confirmed and not pep.refuses  # confirmed PEP: enhanced review, not refusal


@pytest.mark.django_db
def test_confirmed_name_match_on_a_sanctions_list_refuses(django_user_model):
    _list("sanctions", "sanctions", "1,Санкционов Фиктив,,,,person\n")
    screening = screen_client(make_client(surname="Санкционов", given_name="Фиктив", patronymic=""))
    assert (screening.result, screening.refusal_list, screening.refuses) == ("review", True, False)
    review_screening(
        screening, confirmed=True, officer=django_user_model.objects.create_user("aml"), note="same"
    )
    screening.refresh_from_db()
    assert screening.refuses and not screening.pep_confirmed


def _entity(signer_iin: str, legal_name: str = "ТОО Ромашка-Тест") -> Client:
    entity = Client.objects.create(
        kind=Client.Kind.LEGAL_ENTITY,
        bin="050140000014",
        legal_name=legal_name,
        phone="+77019998877",
        status=Client.Status.REGISTERED,
    )
    LegalEntitySigner.objects.create(
        client=entity, surname="Подписантов", given_name="Ерлан", patronymic="", iin=signer_iin
    )
    return entity


@pytest.mark.django_db
def test_a_legal_entitys_signer_and_name_are_screened():
    signer_iin = make_iin("800303", "3", 4103)
    _list("terror", "terrorism", f"1,Someone Else,,,{signer_iin},person\n2,Ромашка-Тест,,,,entity\n")
    screening = screen_client(_entity(signer_iin))
    assert screening.result == "refuse"
    by_subject = {m["subject"]: m for m in screening.matches}
    assert by_subject["signer"]["kind"] == "iin"
    assert by_subject["signer"]["subject_name"] == "Подписантов Ерлан"
    assert "entity" in by_subject
    assert "Подписантов Ерлан" in screening.subject_name


@pytest.mark.django_db
def test_clean_entity_with_clean_signer_is_clear():
    _list("terror", "terrorism", f"1,Someone Else,,,{make_iin('810404', '3', 4104)},person\n")
    assert screen_client(_entity(make_iin("820505", "3", 4105))).result == "clear"


@pytest.mark.django_db
def test_rescreen_finds_a_signer_added_to_a_list(django_capture_on_commit_callbacks):
    signer_iin = make_iin("830606", "3", 4106)
    entity = _entity(signer_iin)
    _list("terror", "terrorism", "1,Nobody Here,,,,person\n")
    with django_capture_on_commit_callbacks(execute=True):
        import_list("terror", (HEADER + f"1,Nobody Here,,,,person\n2,X Y,,,{signer_iin},person\n").encode())
    hit = Screening.objects.get(context="rescreen")
    assert hit.client == entity and hit.result == "refuse"
