"""The template and JavaScript scanner (R-SDLC-2 for the languages besides Python)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from qaryz.assurance import web_scan

pytestmark = pytest.mark.req("R-SDLC-2")

ROOT = Path(__file__).resolve().parents[3]


def rules(text: str, kind: str) -> list[tuple[str, int]]:
    return [(f.rule, f.line) for f in web_scan.scan_text(text, "x", kind)]


def test_template_rules():
    template = (
        "{% load i18n %}\n"  # 1
        "<p>{{ name|safe }}</p>\n"  # 2
        "{% autoescape off %}{{ body }}{% endautoescape %}\n"  # 3
        '<button onclick="go()">x</button>\n'  # 4
        "<script>alert(1)</script>\n"  # 5
        '<script src="{% static "a.js" %}"></script>\n'  # 6: fine
        '<a href="javascript:void(0)">y</a>\n'  # 7
        '<form method="post" action="/x">\n<input name="a">\n</form>\n'  # 8: no csrf_token
        '<form method="post">{% csrf_token %}</form>\n'  # 11: fine
        '<form method="get"></form>\n'  # 12: fine
        "<p>{{ name }}</p>\n"  # 13: fine
    )
    assert rules(template, "html") == [
        ("T001", 2),
        ("T002", 3),
        ("T003", 4),
        ("T004", 5),
        ("T005", 7),
        ("T006", 8),
    ]


def test_javascript_rules():
    script = (
        "el.innerHTML = data;\n"  # 1
        "el.insertAdjacentHTML('beforeend', x);\n"  # 2
        "eval(code);\n"  # 3
        "setTimeout('go()', 10);\n"  # 4
        "document.write(x);\n"  # 5
        "localStorage.setItem('token', t);\n"  # 6
        "window.parent.postMessage(msg, '*');\n"  # 7
        "el.textContent = data;\n"  # 8: fine
        "setTimeout(go, 10);\n"  # 9: fine
        "if (el.innerHTML === '') {}\n"  # 10: a comparison, fine
        "obj.evaluate(x);\n"  # 11: fine
    )
    assert rules(script, "js") == [
        ("J001", 1),
        ("J001", 2),
        ("J002", 3),
        ("J002", 4),
        ("J003", 5),
        ("J004", 6),
        ("J005", 7),
    ]


def test_a_reviewed_exception_needs_the_rule_and_a_reason_on_the_line():
    assert rules("<p>{{ a|safe }}</p>{# scan: allow T001 server-built SVG #}\n", "html") == []
    assert rules("<p>{{ a|safe }}</p>{# scan: allow T002 wrong rule #}\n", "html") == [("T001", 1)]
    assert rules("<p>{{ a|safe }}</p>{# scan: allow T001 #}\n", "html") == [("T001", 1)]


def test_the_projects_templates_and_scripts_pass(tmp_path):
    assert web_scan.main(["scan", str(tmp_path), str(ROOT)]) == 0, (tmp_path / "web-scan.md").read_text()
    findings, files = web_scan.scan_tree(ROOT)
    assert files >= 50


@pytest.mark.django_db
@pytest.mark.req("R-SRV-1", "R-WEB-1")
def test_a_hostile_logo_is_shown_as_an_image_never_as_markup(client):
    from qaryz.core.demo import DEMO_PROFILE
    from qaryz.core.models import MfoProfile

    logo = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    MfoProfile.objects.create(**{**DEMO_PROFILE, "logo_svg": logo})
    page = client.get("/").content.decode()
    assert "alert(" not in page and "<script>alert" not in page
    match = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert match and base64.b64decode(match.group(1)).decode() == logo
