"""Oversight rooms: antifraud rule sets, fraud cases, incidents, regulator channels.

All made after the clients' crawl (``staff``): the back-office forms of a rule-set draft and of a
version awaiting approval, of a fraud case whose loans are suspended and of one whose verdict's
refund is pending, of an incident ready to close with an affected client not yet informed, and of
a channel's notice prepared but not yet sent.
"""

from __future__ import annotations

import datetime as dt


def staff() -> None:
    _rule_sets()
    _fraud_cases()
    _incident()
    _channel()


def _rule_sets() -> None:
    """A draft copied from the active version (its rules can be removed, rules added, thresholds
    set, the draft submitted) and another submitted for approval, both by the demo's second
    security officer: the crawled officer ``security`` edits the one and may approve the other."""
    from django.contrib.auth import get_user_model

    from qaryz.antifraud import services
    from qaryz.antifraud.models import RuleSet

    maker = get_user_model().objects.get(username="security2")  # made by the antifraud demo
    active = RuleSet.objects.get(status=RuleSet.Status.ACTIVE)
    services.new_draft(maker, copy_from=active, note="Пороги для праздничных дней")
    pending = services.new_draft(maker, copy_from=active, note="Ужесточение для выплат")
    services.submit(pending, maker)


def _fraud_cases() -> None:
    """The demo's case moves on: its loan is suspended (the resume form); a new case on the
    overdue demo loan stays registered (the suspend and verdict forms); and a court verdict is
    recorded in a case on the loan repaid early, whose client registered no account: everything
    she paid is due back but cannot be sent yet (the form that carries out the pending measures
    again). No new loans: they would lead the staff's loan and client lists the crawler opens
    (and a new one paid to the demo's shared account would be held by the antifraud rules)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from qaryz.fraudcases import services
    from qaryz.fraudcases.models import FraudCase
    from qaryz.servicing.demo import DEMO_LOANS
    from qaryz.servicing.models import Loan

    officer = get_user_model().objects.get(username="compliance")
    services.suspend_case(FraudCase.objects.get(status=FraudCase.Status.REGISTERED), actor=officer)
    today = timezone.localdate()
    demo_loans = {spec["story"]: Loan.objects.get(client__phone=spec["phone"]) for spec in DEMO_LOANS}
    cases = {}
    for story, reference in (("overdue", "251175030004321"), ("repaid", "251175030004322")):
        loan = demo_loans[story]
        cases[story] = services.register_case(
            client=loan.client,
            kind=FraudCase.Kind.VICTIM_RESOLUTION,
            received_on=today - dt.timedelta(days=1),
            authority="УП г. Алматы, следователь Ахметов Н.",
            reference_number=reference,
            loans=[loan],
            actor=officer,
        )
    verdict = services.record_verdict(
        cases["repaid"],
        verdict_on=today,
        court="Медеуский районный суд г. Алматы",
        reference="2-4321/2026",
        actor=officer,
    )
    assert verdict.status == FraudCase.Status.VERDICT, verdict.status  # the refund is pending


def _incident() -> None:
    """An open incident whose normal state is confirmed (the close form) with an affected client
    not yet informed (the letters form); reported days ago, so that its overdue tasks lead the
    dashboard the crawler opens first."""
    from django.contrib.auth import get_user_model

    from qaryz.clients.models import Client
    from qaryz.incidents import demo, services

    officer = get_user_model().objects.get(username="security")
    incident = services.register_incident(
        kind="unauthorised_access",
        summary="Вход в личный кабинет клиента с чужого устройства по похищенному паролю",
        actor=officer,
    )
    incident = demo._backdate(incident, 6)
    client = Client.objects.filter(phone="+77010000012").first() or Client.objects.order_by("id").first()
    services.add_affected_client(incident, client, actor=officer)
    services.record_measures(incident, "Сессии клиента завершены, пароль сброшен", actor=officer)
    step = services.add_step(
        incident, kind="restore", description="Проверить изменения в профиле клиента", actor=officer
    )
    services.complete_step(step, result="Изменений не было", actor=officer)
    services.confirm_normal_state(incident, evidence="Журнал входов сверен, новых входов нет", actor=officer)


def _channel() -> None:
    """A new terminal whose opening notice is prepared but not yet sent (the e-mail and the
    "sent another way" forms)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from qaryz.core import workdays
    from qaryz.regulator import demo, services
    from qaryz.regulator.models import Channel

    officer = get_user_model().objects.get(username="security")
    channel = services.save_channel(
        Channel(
            kind="terminal",
            name="Терминал ТРЦ «Dostyk Plaza»",
            address="г. Алматы, мкр. Самал-2, 111, 2 этаж",
            security_procedures=demo.PROCEDURES,
        ),
        ["repayment"],
        actor=officer,
    )
    services.prepare_notice(
        channel, effective_on=workdays.add_working_days(timezone.localdate(), 12), actor=officer
    )
