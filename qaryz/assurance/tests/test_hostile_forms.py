"""Hostile strings through the HTML forms of the cabinet and the back office (R-SRV-1, R-WEB-1).

The demo data (``manage.py seed_demo``: clients with active, overdue and repaid loans, review
queues, a fraud case) gives every page real objects; ``hostile_states`` adds the states it lacks. A
crawler goes signed out, as every client and as each staff role, starts from every page of its
side that takes no id, follows the links of every page it reaches – up to PER_ROUTE pages per URL
pattern and user – sends each GET form once, and collects every POST form. Forms shown only
mid-flow (codes awaited, a step-up under way) are met by journeys that post valid steps.
Each field a person types or chooses in (text, textarea, select, number, date, …; not hidden
fields, files, check boxes or the CSRF token) then gets the hostile strings of the JSON suite (a
free-text field all six, a select, number, date, phone or password field the markup, NUL and SQL
ones), the other fields keeping the values the page rendered, in Russian, Kazakh or English in
turn. Each submission runs in a rolled-back transaction.

Every answer must be below 500, carry no stack trace or database error, and never contain the
markup unescaped – neither the answer itself (a form shown again with its error) nor the page a
redirect leads to (where a stored value is shown). A NUL is refused with a clear 400. Every POST
form of the templates must have been reached, or be listed in ``UNREACHED`` with the reason.
"""

from __future__ import annotations

import inspect
import io
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client as WebClient
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from qaryz.access import policy
from qaryz.assurance.tests import hostile_states
from qaryz.assurance.tests.test_hostile_strings import FIELD_VALUES, HOSTILE, LEAK_MARKERS

pytestmark = [pytest.mark.req("R-SRV-1", "R-WEB-1")]

LANGUAGES = ("ru", "kk", "en")
RAW_MARKUP = ("<script>alert", "<img src=x")
FREE_TEXT = {"", "text", "search", "textarea"}  # every hostile string; the other kinds get SHORT_LIST
SHORT_LIST = ("markup", "nul", "sql")
TYPED = {"", "text", "search", "email", "tel", "url", "number", "date", "password", "textarea", "select"}
# actions a hostile submission must not take: they end the crawler's own session
SKIPPED_ACTIONS = {"access:logout", "backoffice:logout"}
MAX_PAGES = 1500
# pages opened per route: objects of one kind in different states show different forms
PER_ROUTE = 4
SIDES = ("public", "cabinet", "journeys", "backoffice")
# POST-form routes no crawl reaches, and why (the coverage check fails on any other unreached one)
UNREACHED: dict[str, str] = {}
SHOWN_ESCAPED: set[str] = set()  # submissions whose markup came back, escaped


@dataclass
class Form:
    action: str
    page: str
    method: str = "post"
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (kind, value)


class _FormsAndLinks(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.links, self.forms = page, [], []
        self.searches: list[Form] = []  # GET forms: sent once with their rendered values, as a link
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            method = "post" if a.get("method", "get").lower() == "post" else "get"
            self._form = Form(urljoin(self.page, a.get("action") or self.page), self.page, method)
            (self.forms if method == "post" else self.searches).append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "").lower()
            get = self._form.method == "get"
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields[a["name"]] = (kind, a.get("value", "on"))
                elif get and kind == "radio":  # a browser user picks one: the first, unless one is checked
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


_FORM_TAG = re.compile(r"<form\b[^>]*>", re.I | re.S)
_POST = re.compile(r"""method\s*=\s*["']post["']""", re.I)
_URL_ACTION = re.compile(r"""action\s*=\s*["']\{%\s*url\s+['"]([\w:-]+)['"]""")
_VARIABLE_ACTION = re.compile(r"""action\s*=\s*["']\{\{""")
_DEF = re.compile(r"^(?:def|class) (\w+)", re.M)


def _post_form_routes() -> dict[str, str]:
    """Route -> template of every POST form in the project's templates (checked namespaces).

    A form naming its action with ``{% url %}`` posts to that route (one taking it from a variable
    is not listed: the crawl meets it on the page and attacks it there); one without posts back to
    the page, i.e. to the views that render its template (found in the view's source, or in that
    of a module helper the view calls).
    """
    views: list[tuple[str, str, str]] = []  # (route, view source, module source)

    def walk(patterns, namespace: str | None) -> None:  # type: ignore[no-untyped-def]
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in policy.CHECKED_NAMESPACES:
                view = inspect.unwrap(p.callback)
                view = getattr(view, "view_class", view)
                views.append(
                    (
                        f"{namespace}:{p.name}",
                        inspect.getsource(view),
                        inspect.getsource(inspect.getmodule(view)),
                    )
                )

    walk(get_resolver().url_patterns, None)
    routes: dict[str, str] = {}
    for path in sorted(Path(__file__).resolve().parents[2].glob("*/templates/**/*.html")):
        template = str(path).split("/templates/", 1)[1]
        for tag in _FORM_TAG.findall(path.read_text(encoding="utf-8")):
            if not _POST.search(tag):
                continue
            if named := _URL_ACTION.search(tag):
                routes.setdefault(named.group(1), template)
                continue
            if _VARIABLE_ACTION.search(tag):  # posts where the view says: known only from the page
                continue
            quoted = f'"{template}"'
            for route, source, module in views:
                chunks = re.split(r"^(?=def |class )", module, flags=re.M)
                helpers = {m.group(1) for c in chunks if quoted in c and (m := _DEF.match(c))}
                if quoted in source or any(re.search(rf"(?<![\w.]){h}\(", source) for h in helpers):
                    routes.setdefault(route, template)
    return {r: t for r, t in routes.items() if r in policy.PAGES}


def _crawl(web: WebClient, side: str) -> list[Form]:
    """Every page of one side (public, client or staff pages) the URL conf and the links lead to."""

    def ours(route: str | None) -> bool:
        need = policy.PAGES.get(route or "")
        if need is None or route in SKIPPED_ACTIONS:
            return False
        if side == "backoffice":
            return need not in (policy.PUBLIC, policy.CLIENT)
        return need == (policy.CLIENT if side == "cabinet" else policy.PUBLIC)

    # (url, sent by a GET form): each route is visited up to PER_ROUTE times by a link and as often
    # by a GET form, whose answer may hold forms the bare page lacks (offers, an early-repayment quote)
    queue = deque((path, False) for name, path in _pages_without_ids() if ours(name))
    forms: list[Form] = []
    visits: dict[tuple[str, bool], set[str]] = {}
    pages = 0
    while queue and pages < MAX_PAGES:
        url, by_form = queue.popleft()
        route = _route(url)
        if route is None or not ours(route):
            continue
        urls = visits.setdefault((route, by_form), set())
        if url in urls or len(urls) >= PER_ROUTE:
            continue
        urls.add(url)
        pages += 1
        answer = web.get(url)
        assert answer.status_code < 500, f"GET {url}: {answer.status_code}"
        if answer.status_code != 200 or "text/html" not in answer.get("Content-Type", ""):
            continue
        parser = _FormsAndLinks(url)
        parser.feed(answer.content.decode("utf-8", "replace"))
        queue.extend((link, False) for link in parser.links)
        for search in parser.searches:
            # what a person would type: the JSON suite's plausible value where the page left it open
            values = urlencode(
                {
                    k: FIELD_VALUES.get(k, v) if not v or kind == "radio" else v
                    for k, (kind, v) in search.fields.items()
                }
            )
            queue.append((f"{urlsplit(search.action)._replace(query='').geturl()}?{values}", True))
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


def _forms_of(web: WebClient, url: str) -> list[Form]:
    answer = web.get(url)
    assert answer.status_code == 200, f"GET {url}: {answer.status_code}"
    parser = _FormsAndLinks(url)
    parser.feed(answer.content.decode("utf-8", "replace"))
    return parser.forms


def _step(web: WebClient, url: str, action: str = "", **values: str) -> str:
    """One valid step of a flow: the page's form that posts to ``action`` (by default to the page,
    not the language switch), sent with its rendered values and ``values``; returns where it led."""
    path = action or urlsplit(url).path
    form = next(f for f in _forms_of(web, url) if urlsplit(f.action).path.endswith(path))
    answer = web.post(form.action, {k: v for k, (_kind, v) in form.fields.items()} | values)
    assert answer.status_code == 302, f"POST {form.action}: {answer.status_code} {answer.content[:400]!r}"
    return urljoin(form.action, answer["Location"])


def _journeys(attack: Callable[[WebClient, str], None]) -> None:
    """Forms shown only mid-flow – an SMS code awaited, a new password to set, a step-up under
    way: each flow goes forward with valid posts, and ``attack`` takes every page on the way."""
    from django.contrib.auth import get_user_model

    from qaryz.access.demo import DEMO_STAFF_PASSWORD
    from qaryz.access.models import OtpChallenge
    from qaryz.access.services import begin_client_login
    from qaryz.access.testing import SoftAuthenticator, last_sms_code, make_iin, sign_in_client
    from qaryz.access.tests.test_integration_rooms import passed_biometrics
    from qaryz.clients.demo import DEMO_PASSWORD
    from qaryz.clients.models import Client
    from qaryz.devices.testing import App

    phone = "+77015559901"
    web = WebClient()
    at = _step(
        web,
        "/register/",
        kind="individual",
        iin=make_iin(),
        surname="Сапарова",
        given_name="Айжан",
        phone=phone,
        address="г. Алматы, ул. Абая, 10, кв. 5",
        pd_consent="on",
    )
    attack(web, at)  # the registration code
    at = _step(web, at, code=last_sms_code(phone))
    attack(web, at)  # the password to choose
    _step(web, at, password1="Kokzhiek-Sunrise-47", password2="Kokzhiek-Sunrise-47")
    attack(web, _step(web, "/register/finish/", action="/register/finish/sign/"))  # the EDS signing

    client = Client.objects.get(phone="+77010000011")
    web = WebClient()
    passed_biometrics(client, "recovery")  # the fresh face check the new password needs (R-AUTH-5)
    at = _step(web, "/password/recover/", phone=client.phone, id_number=client.iin)
    attack(web, at)  # the recovery code
    at = _step(web, at, code=last_sms_code(client.phone))
    attack(web, at)  # the new password

    web = WebClient()
    attack(web, _step(web, "/login/", phone=client.phone, password=DEMO_PASSWORD))  # the login code

    web = WebClient()
    sign_in_client(web, client)
    attack(web, _step(web, "/account/change/change_phone/", phone="+77015559902"))  # the change's steps
    attack(web, "/biometrics/verify/?purpose=contract_signing")  # the ID card photo beside the camera
    loan = client.loans.filter(status="active").first()
    paying = _step(web, f"/servicing/loans/{loan.pk}/", action=f"/loans/{loan.pk}/pay/", amount="1000")
    attack(web, paying)  # the embedded acquirer's card page
    early_page = f"/servicing/loans/{loan.pk}/early-repayment/?mode=full"
    _step(web, _step(web, early_page, action=f"/loans/{loan.pk}/pay/"), card="4111 1111 1111 1111")
    attack(web, early_page)  # the quote's money paid in: the early repayment's confirmation
    OtpChallenge.objects.filter(phone=client.phone).update(last_sent_at=None)  # no resend pause
    App(web).sign_in(
        "/api/v1/access/login/verify",
        {"challenge_id": begin_client_login(client).public_id, "code": last_sms_code(client.phone)},
    )
    attack(web, "/cabinet/security/")  # the bound app's unbinding
    options = web.post("/account/second-factor/keys/options/", "{}", content_type="application/json")
    credential = SoftAuthenticator().create(options.json()["publicKey"])
    enrolled = web.post(
        "/account/second-factor/keys/verify/",
        json.dumps({"credential": credential, "name": "Ключ"}),
        content_type="application/json",
    )
    assert enrolled.status_code == 200, enrolled.content
    attack(web, "/account/second-factor/")  # the key's removal

    staff = get_user_model().objects.filter(security__isnull=False).order_by("pk").first()
    web = WebClient()
    attack(web, _step(web, "/backoffice/login/", username=staff.username, password=DEMO_STAFF_PASSWORD))


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
    reached: set[str] = set()  # routes of the POST forms found
    calls, problems, fields_by_side = 0, [], dict.fromkeys(SIDES, 0)

    def attack(web: WebClient, forms: list[Form], side: str) -> None:
        nonlocal calls, problems
        before = len(done)
        reached.update(_route(f.action) or f.action for f in forms)
        n, found = _attack(web, forms, done, languages)
        calls, problems = calls + n, problems + found
        fields_by_side[side] += len(done) - before

    def run(web: WebClient, side: str) -> None:
        attack(web, _crawl(web, side), side)

    hostile_states.before_cabinet()
    run(WebClient(), "public")  # signed out: login, registration, recovery start pages
    # every demo persona, the one with an active loan first: each reaches forms of its own state
    # (applying, giving an address, signing, an overdue loan, a refund, letters, a fraud case)
    clients = Client.objects.exclude(phone="").order_by("phone")
    for client in sorted(clients, key=lambda c: c.phone != "+77010000011"):
        web = WebClient()
        sign_in_client(web, client)
        run(web, "cabinet")
    _journeys(lambda web, url: attack(web, _forms_of(web, url), "journeys"))
    hostile_states.before_staff()
    for role in ROLES:
        user = get_user_model().objects.filter(username=role).first()
        if user is None:
            continue
        web = WebClient()
        sign_in_staff(web, user)
        run(web, "backoffice")

    form_routes = _post_form_routes()
    unreached = sorted(set(form_routes) - reached - SKIPPED_ACTIONS - set(UNREACHED))
    print(
        f"hostile form submissions: {calls}; fields: {fields_by_side}; shown escaped: {len(SHOWN_ESCAPED)}; "
        f"POST-form routes: {len(form_routes)}, reached {len(reached & set(form_routes))}, "
        f"allow-listed {len(UNREACHED)}, unreached {unreached}; attacked per route: {len({r for r, _f in done})}"
    )
    assert problems == [], "\n".join(problems)
    # the crawl really reached the forms (a broken sign-in would find only the login form)
    assert fields_by_side["cabinet"] >= 15 and fields_by_side["backoffice"] >= 80, fields_by_side
    # and the markup really travelled: forms shown again with it, pages showing what was stored
    assert len(SHOWN_ESCAPED) >= 20, SHOWN_ESCAPED
    # every POST form of the templates was reached, or is listed with the reason it cannot be
    assert unreached == [], f"POST-form routes neither reached nor in UNREACHED: {unreached}"
    assert not set(UNREACHED) & reached, f"listed as unreached but reached: {set(UNREACHED) & reached}"
    assert set(UNREACHED) <= set(form_routes), set(UNREACHED) - set(form_routes)
