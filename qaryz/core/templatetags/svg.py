"""An SVG from the database shown as an image, never as markup.

    {% load svg %}<img src="{{ mfo.logo_svg|svg_data_uri }}" alt="">

A logo entered in the MFO profile is markup a staff member typed; inlined with ``|safe`` a
``<script>`` or an ``onload=`` in it would run on every page. As an ``<img>`` source (a data URI,
allowed by the CSP's ``img-src data:``) the browser renders it in image mode: no script, no
external loads.
"""

from __future__ import annotations

import base64

from django import template

register = template.Library()


@register.filter
def svg_data_uri(value: object) -> str:
    svg = str(value or "").encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
