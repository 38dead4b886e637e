"""Catalogue clashes: Django merges every room's catalogue into one, and for a message id (with
the same context) the first room in ``INSTALLED_APPS`` wins – another room translating it
differently silently shows the winner's words (a "Subject" of a complaint turned the letters'
"Тема" into "Предмет"). Every (context, message id) must have one translation per language;
a room that means something else gives its string a context (``pgettext("<room>", …)``)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polib
import pytest

ROOMS = Path(__file__).resolve().parents[2]  # qaryz/


def _translation(entry: polib.POEntry) -> str:
    if entry.msgid_plural:
        return " | ".join(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
    return entry.msgstr


def clashes(language: str, rooms: Path = ROOMS) -> list[str]:
    """Every (context, message id) two rooms translate differently into ``language``."""
    seen: dict[tuple[str | None, str], dict[str, str]] = defaultdict(dict)
    for path in sorted(rooms.glob(f"*/locale/{language}/LC_MESSAGES/django.po")):
        room = path.parts[-5]
        for entry in polib.pofile(str(path)):
            text = _translation(entry)
            if entry.obsolete or "fuzzy" in entry.flags or not text.strip(" |"):
                continue
            seen[(entry.msgctxt, entry.msgid)][room] = text
    found = []
    for (context, msgid), by_room in sorted(seen.items(), key=lambda item: (item[0][1], item[0][0] or "")):
        if len(set(by_room.values())) > 1:
            where = ", ".join(f"{room}: {text!r}" for room, text in sorted(by_room.items()))
            found.append(f"{msgid!r}" + (f" (context {context!r})" if context else "") + f" – {where}")
    return found


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_no_message_id_is_translated_differently_by_two_rooms(language):
    found = clashes(language)
    assert not found, f"{len(found)} clashes in {language}:\n" + "\n".join(found)


def test_the_check_finds_a_clash(tmp_path):
    for room, text in (("alpha", "Тема"), ("beta", "Предмет")):
        path = tmp_path / room / "locale" / "ru" / "LC_MESSAGES" / "django.po"
        path.parent.mkdir(parents=True)
        catalogue = polib.POFile()
        catalogue.append(polib.POEntry(msgid="Subject", msgstr=text))
        catalogue.append(polib.POEntry(msgid="Loan", msgstr="Кредит"))
        catalogue.append(polib.POEntry(msgid="Open", msgctxt=room, msgstr=text))
        catalogue.save(str(path))
    assert clashes("ru", tmp_path) == ["'Subject' – alpha: 'Тема', beta: 'Предмет'"]


if __name__ == "__main__":  # python qaryz/core/tests/test_catalogue_clashes.py: list them
    for lang in ("ru", "kk"):
        print("\n".join(f"{lang} {line}" for line in clashes(lang)))
