"""Kazakh/Russian Cyrillic -> Latin transliteration and a folded matching key. Pure: no Django import.

Lists publish the same person as "Жандос Құрманғалиев", "Zhandos Kurmangaliyev",
"Jandos Qurmanğaliev" or "ZHANDOS KURMANGALIEV". ``transliterate`` gives a readable Latin form
(close to the passport practice); ``fold`` reduces any of those spellings to one key that fuzzy
matching compares: both alphabets, the Kazakh letters (ә ғ қ ң ө ұ ү һ і), the 2021 Kazakh Latin
alphabet (ä ğ q ñ ö ū ü ı ş), and the usual spelling variants (kh/h/x, zh/j/dzh, y/i, iy/ii, ...).
"""

from __future__ import annotations

import re
import unicodedata

CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "gh", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "ng", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip

# Latin letters of the Kazakh 2021 alphabet and other diacritics -> plain Latin.
LATIN_SPECIAL = {
    "ä": "a",
    "ğ": "gh",
    "ñ": "ng",
    "ö": "o",
    "ū": "u",
    "ü": "u",
    "ı": "i",
    "ş": "sh",
    "ç": "ch",
    "ə": "a",
}

# Spelling variants folded to one form, applied in order on the Latin text.
_FOLDS = [
    (re.compile(r"dzh|dj|zh|j"), "zh"),
    (re.compile(r"kh|x|h"), "h"),
    (re.compile(r"shch|sch"), "sh"),
    (re.compile(r"tch|tsch"), "ch"),
    (re.compile(r"ck|q|c(?=[aou])"), "k"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"ts|tz"), "c"),
    (re.compile(r"ou|oo|w"), "u"),
    (re.compile(r"iy|yi|ii"), "i"),
    (re.compile(r"y(?=[aeiou])"), ""),
    (re.compile(r"i(?=[aeou])"), ""),
    (re.compile(r"y"), "i"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"([a-z])\1+"), r"\1"),
]
_NON_LETTERS = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")


def transliterate(text: str) -> str:
    """Readable Latin form of a Cyrillic (Kazakh or Russian) name; Latin input passes through."""
    out = []
    for ch in text:
        lower = ch.lower()
        if lower in CYRILLIC:
            latin = CYRILLIC[lower]
            out.append(latin.capitalize() if ch != lower and latin else latin)
        else:
            out.append(ch)
    return "".join(out)


def _plain_latin(text: str) -> str:
    text = "".join(LATIN_SPECIAL.get(ch, ch) for ch in text.lower())
    # Any other accent (é, ó, ...) is dropped by decomposition.
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def fold_token(token: str) -> str:
    for pattern, repl in _FOLDS:
        token = pattern.sub(repl, token)
    return token


def fold(name: str) -> str:
    """The matching key: lower-case Latin, spelling variants folded, tokens in original order."""
    # Russian writes ё as е more often than not: fold both to e.
    text = _plain_latin(transliterate(name.lower().replace("ё", "е")))
    text = _NON_LETTERS.sub(" ", text.replace("-", " "))
    tokens = [fold_token(t) for t in _SPACES.split(text.strip()) if t]
    return " ".join(t for t in tokens if t)
