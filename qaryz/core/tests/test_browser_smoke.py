"""Browser smoke test: the home page in each language through the switcher, with screenshots.

Screenshots go to var/test-artifacts/home-<lang>.png (kept by CI as test artefacts).
"""

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]

HEADINGS = {"ru": "Микрокредиты онлайн", "kk": "Онлайн микрокредиттер", "en": "Microcredits online"}
BUTTONS = {"ru": "Зарегистрироваться", "kk": "Тіркелу", "en": "Register"}


@pytest.mark.req("R-WEB-1", "R-WEB-4")
def test_home_page_in_each_language(page, artifacts_dir):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == HEADINGS["ru"]

    for language in ("kk", "en", "ru"):
        with page.expect_navigation():
            page.locator(f'.lang-switch button[data-lang="{language}"]').click()
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("h1").inner_text() == HEADINGS[language]
        assert page.get_by_role("link", name=BUTTONS[language]).is_visible()
        assert page.locator("#cyber-hygiene").is_visible()
        current = page.locator(".lang-switch button.current")
        assert current.get_attribute("data-lang") == language
        # the corporate stylesheet and logo arrived (CSP allows only same-origin files)
        assert page.locator(".brand-logo img, .brand-logo svg").first.is_visible()
        colour = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
        assert colour == "rgb(11, 110, 79)"
        page.screenshot(path=str(artifacts_dir / f"home-{language}.png"), full_page=True)
