"""Hostile strings through the HTML forms of the cabinet and the back office (R-SRV-1, R-WEB-1).

The demo data (``manage.py seed_demo``: clients with active, overdue and repaid loans, review
queues, a fraud case) gives every page real objects. A crawler starts from the cabinet home (as a
demo client with a loan) and from the back-office dashboard (as each staff role), follows the links
of every page it reaches – each URL pattern of the URL conf once – and collects every POST form.
Each field a person types or chooses in (text, textarea, select, number, date, …; not hidden
fields, files, check boxes or the CSRF token) then gets the hostile strings of the JSON suite (a
free-text field all six, a select, number, date, phone or password field the markup, NUL and SQL
ones), the other fields keeping the values the page rendered, in Russian, Kazakh or English in
turn. Each submission runs in a rolled-back transaction.

Every answer must be below 500, carry no stack trace or database error, and never contain the
markup unescaped – neither the answer itself (a form shown again with its error) nor the page a
redirect leads to (where a stored value is shown). A NUL is refused with a clear 400.
"""

from __future__ import annotations

import io
import itertools
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client as WebClient
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from qaryz.access import policy
from qaryz.assurance.tests.test_hostile_strings import HOSTILE, LEAK_MARKERS

pytestmark = [pytest.mark.req("R-SRV-1", "R-WEB-1")]

LANGUAGES = ("ru", "kk", "en")
RAW_MARKUP = ("<script>alert", "<img src=x")
FREE_TEXT = {"", "text", "search", "textarea"}  # every hostile string; the other kinds get SHORT_LIST
SHORT_LIST = ("markup", "nul", "sql")
TYPED = {"", "text", "search", "email", "tel", "url", "number", "date", "password", "textarea", "select"}
# actions a hostile submission must not take: they end the crawler's own session
SKIPPED_ACTIONS = {"access:logout", "backoffice:logout"}
MAX_PAGES = 400
SHOWN_ESCAPED: set[str] = set()  # submissions whose markup came back, escaped


@dataclass
class Form:
    action: str
    page: str
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (kind, value)


class _FormsAndLinks(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.links, self.forms = page, [], []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(urljoin(self.page, a.get("action") or self.page), self.page)
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.setdefault(a["name"], (kind, a.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                self._form.fields[a["name"]] = (kind, a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = ("textarea", "")
        elif tag == "select":
            self._select = a["name"]
            self._form.fields[a["name"]] = ("select", "")
        elif tag == "option" and self._select:
            kind, value = self._form.fields[self._select]
            if not value or "selected" in a:
                self._form.fields[self._select] = (kind, a.get("value", ""))
        elif tag == "button" and a.get("value"):
            self._form.fields.setdefault(a["name"], ("hidden", a["value"]))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] = ("textarea", self._form.fields[self._textarea][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _route(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.view_name


def _pages_without_ids() -> list[tuple[str, str]]:
    """(view name, path) of every URL pattern of the checked namespaces that takes no id."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in policy.CHECKED_NAMESPACES:
                route = prefix + str(p.pattern)
                if "<" not in route:
                    found.append((f"{namespace}:{p.name}", route))

    walk(get_resolver().url_patterns, "/", None)
    return found


def _crawl(web: WebClient, staff: bool) -> list[Form]:
    """Every page of one side (client or staff pages) the URL conf and the links lead to."""

    def ours(route: str | None) -> bool:
        need = policy.PAGES.get(route or "")
        if need is None or route in SKIPPED_ACTIONS:
            return False
        return need not in (policy.PUBLIC, policy.CLIENT) if staff else need == policy.CLIENT

    queue = deque(path for name, path in _pages_without_ids() if ours(name))
    forms: list[Form] = []
    seen: set[str] = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        route = _route(url)
        if route is None or route in seen or not ours(route):
            continue
        seen.add(route)
        answer = web.get(url)
        assert answer.status_code < 500, f"GET {url}: {answer.status_code}"
        if answer.status_code != 200 or "text/html" not in answer.get("Content-Type", ""):
            continue
        parser = _FormsAndLinks(url)
        parser.feed(answer.content.decode("utf-8", "replace"))
        queue.extend(parser.links)
        forms.extend(f for f in parser.forms if _route(f.action) not in SKIPPED_ACTIONS)
    return forms


def _submit(web: WebClient, form: Form, name: str, value: str, language: str) -> list[str]:
    """Post one hostile value (rolled back); the problems seen, if any."""
    data = {key: val for key, (_kind, val) in form.fields.items()}
    data[name] = value
    cookies = web.cookies  # a rolled-back login or logout must not change the crawler's session
    problems = []
    label = f"{form.action} [{name}] ({language})"
    with transaction.atomic():
        answer = web.post(form.action, data, HTTP_ACCEPT_LANGUAGE=language)
        pages = [answer]
        if answer.status_code in (301, 302, 303) and _route(urljoin(form.action, answer["Location"])):
            pages.append(web.get(urljoin(form.action, answer["Location"]), HTTP_ACCEPT_LANGUAGE=language))
        transaction.set_rollback(True)
    web.cookies = cookies
    for page in pages:
        text = page.content.decode("utf-8", "replace")
        if page.status_code >= 500:
            problems.append(f"{label}: {page.status_code}")
        if any(marker in text for marker in LEAK_MARKERS):
            problems.append(f"{label}: internals in the answer: {text[:200]}")
        if "text/html" in page.get("Content-Type", "") and any(raw in text for raw in RAW_MARKUP):
            problems.append(f"{label}: markup rendered unescaped")
        if "&lt;script&gt;alert" in text:
            SHOWN_ESCAPED.add(label)
    if "\x00" in value and answer.status_code != 400:
        problems.append(f"{label}: a NUL was not refused (answer {answer.status_code})")
    return problems


def _attack(
    web: WebClient, forms: list[Form], done: set[tuple[str, str]], languages
) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    calls, problems = 0, []
    for form in forms:
        for name, (kind, _value) in form.fields.items():
            key = (_route(form.action) or form.action, name)
            if kind not in TYPED or name == "csrfmiddlewaretoken" or key in done:
                continue
            done.add(key)
            for label, value in HOSTILE.items():
                if kind not in FREE_TEXT and label not in SHORT_LIST:
                    continue
                calls += 1
                problems += _submit(web, form, name, value, next(languages))
    return calls, problems


@pytest.mark.django_db
def test_hostile_strings_in_every_html_form_field(settings, tmp_path):
    from django.contrib.auth import get_user_model

    from qaryz.access.roles import ROLES
    from qaryz.access.testing import sign_in_client, sign_in_staff
    from qaryz.clients.models import Client

    settings.DEMO_MODE = True
    settings.DATA_DIR = tmp_path / "data"
    settings.EDS_TEST_PKI_DIR = tmp_path / "test-pki"
    call_command("seed_demo", stdout=io.StringIO())
    languages = itertools.cycle(LANGUAGES)
    done: set[tuple[str, str]] = set()
    calls, problems, fields_by_side = 0, [], {}

    borrower = Client.objects.get(phone="+77010000011")  # the demo client with an active loan
    web = WebClient()
    sign_in_client(web, borrower)
    forms = _crawl(web, staff=False)
    n, found = _attack(web, forms, done, languages)
    calls, problems, fields_by_side["cabinet"] = calls + n, problems + found, len(done)

    for role in ROLES:
        user = get_user_model().objects.filter(username=role).first()
        if user is None:
            continue
        web = WebClient()
        sign_in_staff(web, user)
        forms = _crawl(web, staff=True)
        n, found = _attack(web, forms, done, languages)
        calls, problems = calls + n, problems + found
    fields_by_side["backoffice"] = len(done) - fields_by_side["cabinet"]
    print(f"hostile form submissions: {calls}; fields: {fields_by_side}; shown escaped: {len(SHOWN_ESCAPED)}")
    assert problems == [], "\n".join(problems)
    # the crawl really reached the forms (a broken sign-in would find only the login form)
    assert fields_by_side["cabinet"] >= 15 and fields_by_side["backoffice"] >= 80, fields_by_side
    # and the markup really travelled: forms shown again with it, pages showing what was stored
    assert len(SHOWN_ESCAPED) >= 20, SHOWN_ESCAPED
