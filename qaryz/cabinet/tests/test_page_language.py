"""Every main page in ru and kk shows only the interface language: no message id, no English
sentence, no enum value or code name (issue 11, item 2; R-WEB-1).

The pages are walked as a signed-in client (a draft application, an approved one with its drafted
contract) and as a staff member who may open every back-office page. Heuristics on the visible text
(text nodes, title/aria-label/placeholder/alt, SVG text; not <code>, scripts or styles):
- a Latin word of 4+ letters that is a word of the project's English msgids (the catalogues'
  source language), unless it is a proper name or an acronym kept in every language;
- a snake_case token (an enum value or a code name such as ``bank_account``);
- an English msgid of several words printed verbatim.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

from qaryz.access.testing import sign_in_client, sign_in_staff
from qaryz.cabinet.tests.scene import PUBLIC_PAGES, build_scene

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Kept as they are in every language: the brand, acronyms, units and format names.
ALLOWED = {
    "qaryz",
    "demo",
    "egov",
    "google",
    "authenticator",
    "aegis",
    "freeotp",
    "yubikey",
    "iban",
    "totp",
    "webauthn",
    "ncalayer",
    "json",
    "https",
    "http",
}
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")


def _english_msgids() -> list[str]:
    ids: set[str] = set()
    for po in ROOT.glob("*/locale/ru/LC_MESSAGES/django.po"):
        ids.update(e.msgid for e in polib.pofile(str(po)) if e.msgid and not e.obsolete)
    return sorted(ids)


MSGIDS = _english_msgids()
ENGLISH_WORDS = {w.lower() for m in MSGIDS for w in LATIN_WORD.findall(re.sub(r"%\(\w+\)s|\{\w+\}", " ", m))}
SENTENCES = [m for m in MSGIDS if len(m.split()) >= 3]


class VisibleText(HTMLParser):
    SKIP = {"script", "style", "code", "noscript"}
    ATTRS = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if name in self.ATTRS and value:
                self.parts.append(value)
            if (
                tag == "input"
                and name == "value"
                and dict(attrs).get("type") in {"submit", "button"}
                and value
            ):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def problems(text: str, allowed: set[str]) -> list[str]:
    found = []
    for token in SNAKE.findall(text):
        found.append(f"code name {token!r}")
    for word in LATIN_WORD.findall(text):
        if word.lower() in ENGLISH_WORDS and word.lower() not in allowed:
            found.append(f"English word {word!r}")
    for sentence in SENTENCES:
        if sentence in text:
            found.append(f"msgid {sentence!r}")
    return sorted(set(found))


def _allowed() -> set[str]:
    from qaryz.core.selectors import current_mfo_profile

    mfo = current_mfo_profile()
    names = " ".join([mfo.short_name, mfo.legal_name, mfo.website or "", getattr(mfo, "licence", "") or ""])
    return ALLOWED | {w.lower() for w in LATIN_WORD.findall(names)}


def test_the_heuristics_catch_what_they_are_for():
    """Control: English, msgids and enum values are found; Russian and Kazakh text is not."""
    assert "code name 'bank_account'" in problems("Статус: bank_account", set())
    assert "English word 'Show'" in problems("Пароль Show", set())
    assert problems("Сумма должна быть от 20 000,00 ₸ до 1 000 000,00 ₸.", set()) == []
    assert problems("Төлем картасына аудару", set()) == []
    assert visible_text("<p>Да<code>deadface</code><script>var show_me;</script></p>") == "Да"


@pytest.mark.req("R-WEB-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_main_pages_show_no_message_id_english_or_code_name(client, settings, language):
    settings.DEMO_MODE = True  # demo banner, demo SMS outbox and face-check help are walked too
    scene = build_scene()
    allowed = _allowed()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    failures: dict[str, list[str]] = {}

    def walk(pages: list[str]) -> None:
        for url in pages:
            response = client.get(url)
            if response.status_code not in {200, 400}:
                failures[url] = [f"status {response.status_code}"]
                continue
            assert f'lang="{language}"' in response.content.decode()
            found = problems(visible_text(response.content.decode()), allowed)
            if found:
                failures[url] = found

    walk(PUBLIC_PAGES)
    sign_in_client(client, scene.client)
    walk(scene.client_pages())
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    sign_in_staff(client, scene.staff)
    walk(scene.staff_pages())
    assert not failures, "\n".join(f"{url}: {', '.join(found)}" for url, found in failures.items())
