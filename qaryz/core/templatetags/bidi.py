"""Bidirectional isolation of text a person typed (names): a right-to-left override inside a name can
never reorder the page around it (issue 11, item 11).

    {% load bidi %}{{ client.display_name|bdi }}      -> <bdi>…</bdi> (escaped inside)
    <title>{{ client.display_name|isolate }}</title>  -> U+2068 … U+2069 where no tag may stand
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROP = str.maketrans("", "", BIDI_CONTROLS)


def without_bidi_controls(value: object) -> str:
    return str(value if value is not None else "").translate(_DROP)


@register.filter
def bdi(value: object) -> str:
    return format_html("<bdi>{}</bdi>", without_bidi_controls(value))


@register.filter
def isolate(value: object) -> str:
    return "\u2068" + without_bidi_controls(value) + "\u2069"
