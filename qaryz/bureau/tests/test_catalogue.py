"""The bureau room's catalogue is complete in Russian and Kazakh, placeholders kept."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_bureau_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    for entry in po.translated_entries():
        wanted = sorted(re.findall(r"%\(\w+\)s", entry.msgid))
        assert sorted(re.findall(r"%\(\w+\)s", entry.msgstr)) == wanted, entry.msgid
