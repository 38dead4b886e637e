"""Russian (default), Kazakh and English: switcher, translated pages, complete catalogues (R-WEB-1)."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"

EXPECTED = {
    "ru": ["Микрокредиты онлайн", "Зарегистрироваться", "Войти", "Соблюдайте безопасность", "О нас"],
    "kk": ["Онлайн микрокредиттер", "Тіркелу", "Кіру", "Қауіпсіздікті сақтаңыз", "Біз туралы"],
    "en": ["Microcredits online", "Register", "Sign in", "Stay safe", "About us"],
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_home_page_renders_in_each_language(client, language):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert f'<html lang="{language}">' in page
    for text in EXPECTED[language]:
        assert text in page, (language, text)
    others = [t for lang, texts in EXPECTED.items() if lang != language for t in texts]
    assert not [t for t in others if t in page and t not in EXPECTED[language]]
    # the switcher offers all three languages and marks the current one
    for code in ("ru", "kk", "en"):
        assert f'name="language" value="{code}"' in page
    assert f'lang current" data-lang="{language}"' in page


@pytest.mark.django_db
def test_russian_is_the_default(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="").content.decode()
    assert '<html lang="ru">' in page and "Микрокредиты онлайн" in page


@pytest.mark.django_db
def test_error_page_is_translated(client):
    client.post("/i18n/setlang/", {"language": "kk", "next": "/"})
    assert "Бет табылмады" in client.get("/no-such-page/").content.decode()


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_core_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    for entry in po.translated_entries():
        # placeholders survive translation
        for placeholder in ("%(name)s", "%(domain)s", "%(limit)s"):
            assert (placeholder in entry.msgid) == (placeholder in entry.msgstr), entry.msgid
