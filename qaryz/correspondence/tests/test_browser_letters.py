"""In headless Chromium (R-CAB-7, R-WEB-1): a client writes a letter with a file in the cabinet,
support answers in the back office, the client sees the answer (and its notification). Then every
letters page at 390 px and 1280 px in ru and kk: no page wider than the window, each in its
language. Screenshots in var/test-artifacts/letters/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff, sign_in_client, sign_in_staff
from qaryz.correspondence import services
from qaryz.correspondence.models import Thread
from qaryz.correspondence.tests.factories import PDF
from qaryz.messaging.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _cookie(sign_in, who) -> str:  # type: ignore[no-untyped-def]
    web = TestClient()
    sign_in(web, who)
    return web.cookies[django_settings.SESSION_COOKIE_NAME].value


def _context(chromium, live_server, cookie: str, language: str, width: int = 1280):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
            {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
        ]
    )
    return context


@pytest.mark.req("R-CAB-7", "R-WEB-1")
def test_a_letter_and_its_answer_in_the_browser(chromium, live_server, artifacts_dir, tmp_path):
    folder = artifacts_dir / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    person = make_client(preferred_language="ru", surname="Касымова", given_name="Динара")
    support = make_staff("support", username="aigerim")
    client_cookie, staff_cookie = _cookie(sign_in_client, person), _cookie(sign_in_staff, support)
    scan = tmp_path / "справка.pdf"
    scan.write_bytes(PDF)

    client_context = _context(chromium, live_server, client_cookie, "ru")
    page = client_context.new_page()
    page.goto("/cabinet/")
    page.click("nav >> text=Сообщения")
    page.click("#new-letter")
    page.select_option("select[name=topic]", "repayment")
    page.fill("input[name=subject]", "Справка о задолженности")
    page.fill("textarea[name=body]", "Прошу выдать справку об отсутствии задолженности.")
    page.set_input_files("input[name=attachments]", str(scan))
    page.click("#new-thread-form button[type=submit]")
    page.wait_for_selector("#letters .letter.client")
    assert "Ваше письмо отправлено" in page.content() and "справка.pdf" in page.inner_text("#letters")
    thread = Thread.objects.get(client=person)

    staff_context = _context(chromium, live_server, staff_cookie, "ru")
    desk = staff_context.new_page()
    desk.goto("/backoffice/")
    desk.click("nav >> text=Письма клиентов")
    desk.click(f"#threads tr[data-thread='{thread.pk}'] a")
    assert "Прошу выдать справку" in desk.inner_text("#letters")
    desk.fill("textarea[name=body]", "Задолженности нет, справка во вложении.")
    desk.set_input_files("#staff-reply-form input[name=attachments]", str(scan))
    desk.click("#staff-reply-form button[type=submit]")
    desk.wait_for_selector("#letters .letter.staff")
    assert "Прочитано клиентом" not in desk.inner_text("#letters")  # not yet

    page.reload()
    answer = page.inner_text("#letters .letter.staff")
    assert "Задолженности нет" in answer and "справка.pdf" in answer
    note = Notification.objects.get(client=person, subject="МФО ответила на ваше письмо")
    assert "Справка о задолженности" in note.body
    desk.reload()
    assert "Прочитано клиентом" in desk.inner_text("#letters")
    client_context.close()
    staff_context.close()

    # A second, unanswered letter so the inbox shows a waiting row next to the answered one.
    late = services.open_thread(
        person, subject="Досрочное погашение", topic="contract", body="Как погасить досрочно?"
    )
    Thread.objects.filter(pk=late.pk).update(reply_due=timezone.localdate() - dt.timedelta(days=1))  # overdue
    walks = [
        ("client", client_cookie, ["/messages/", "/messages/new/", f"/messages/{thread.pk}/"]),
        ("staff", staff_cookie, ["/backoffice/letters/?show=all", f"/backoffice/letters/{late.pk}/"]),
    ]
    failures: list[str] = []
    for language in ("ru", "kk"):
        for who, cookie, urls in walks:
            for width in (390, 1280):
                context = _context(chromium, live_server, cookie, language, width)
                view = context.new_page()
                for url in urls:
                    response = view.goto(url)
                    name = f"{who}-{re.sub(r'[^a-z0-9]+', '-', url).strip('-')}-{language}-{width}.png"
                    view.screenshot(path=str(folder / name), full_page=True)
                    if response is None or response.status != 200:
                        failures.append(f"{name}: HTTP {response.status if response else '?'}")
                    if view.evaluate("document.documentElement.lang") != language:
                        failures.append(f"{name}: page not in {language}")
                    overflow = view.evaluate(OVERFLOW)
                    if overflow > 0:
                        failures.append(f"{name}: {overflow} px wider than the window")
                    text = view.inner_text("main") if view.query_selector("main") else view.inner_text("body")
                    english = [
                        w
                        for w in ("Write a letter", "Answer due", "Responsible", "Topic", "Send")
                        if w in text
                    ]
                    if (
                        "show=all" in url
                        and view.query_selector(f"tr.overdue[data-thread='{late.pk}']") is None
                    ):
                        failures.append(f"{name}: the overdue letter is not highlighted")
                    if english:
                        failures.append(f"{name}: English on the page: {english}")
                context.close()
    assert not failures, "\n".join(failures)
