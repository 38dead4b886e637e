"""Parsers of published screening lists into one entry shape. Pure: no Django import.

Formats (chosen per list, with options – docs/compliance.md):
* ``csv``: one row per person/entity. Options: ``delimiter`` (","), ``encoding`` ("utf-8-sig"),
  ``alias_separator`` (";"), ``columns`` mapping our fields (id, name, aliases, birth_date, iin,
  kind) to the file's column names. Dates as YYYY-MM-DD, DD.MM.YYYY or a bare year.
* ``ftm``: FollowTheMoney entities (as published by OpenSanctions and others), JSON lines or a
  JSON array; Person/Organization/Company/LegalEntity schemata; names from name/alias/
  previousName/weakAlias, birthDate, and a 12-digit idNumber/innCode/taxNumber as the IIN/BIN.
* ``afm_xml``: the XML lists of Kazakhstan's Financial Monitoring Agency (AFM): ``<person>``
  records (``lname``, ``fname``, ``mname``, ``birthdate`` DD.MM.YYYY, ``iin``, ``num``) and
  ``<org>`` records (``org_name`` and ``org_name_en``, several names separated by "; ",
  ``org_iin``/``org_bin``). Options: ``person_tag`` ("person"), ``org_tag`` ("org"), ``org_kind``
  ("entity"; "person" for the list of terrorists, which lists persons in ``<org>`` records),
  ``name_separator`` ("; "). The shape follows the files as published (and as OpenSanctions'
  crawler reads them); the Agency publishes no schema, so a change of layout fails the import.
* ``un_xml``: the UN Security Council consolidated list: ``INDIVIDUAL`` (``FIRST_NAME`` …
  ``FOURTH_NAME``, ``NAME_ORIGINAL_SCRIPT``, ``INDIVIDUAL_ALIAS/ALIAS_NAME``,
  ``INDIVIDUAL_DATE_OF_BIRTH`` with ``DATE`` or ``YEAR``, Kazakh 12-digit document numbers as
  IIN) and ``ENTITY`` (``FIRST_NAME``, ``ENTITY_ALIAS``). Aliases of quality "Low" are left out
  unless ``include_low_quality_aliases`` is true. Several or ranged dates of birth count as
  unknown (a date that contradicts one of them must not dismiss a name match).

XML is parsed with ``defusedxml`` and DTDs are refused: a published list needs no DTD or entity, so
a file with one (billion laughs, external entities) is refused with a message saying so. Never
parse these files with ``xml.etree`` directly.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

DEFAULT_COLUMNS = {
    "id": "id",
    "name": "name",
    "aliases": "aliases",
    "birth_date": "birth_date",
    "iin": "iin",
    "kind": "kind",
}
FTM_SCHEMATA = {"Person": "person", "Organization": "entity", "Company": "entity", "LegalEntity": "entity"}
_TWELVE = re.compile(r"\b(\d{12})\b")


class ListFormatError(ValueError):
    """The file does not match the configured format (the message says where)."""


@dataclass
class ParsedEntry:
    external_id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None
    birth_year: int | None = None
    iin: str = ""
    entity_kind: str = "person"

    def fingerprint(self) -> str:
        data = [
            self.external_id,
            self.name,
            sorted(self.aliases),
            str(self.birth_date),
            self.birth_year,
            self.iin,
        ]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def parse_date(value: str) -> tuple[dt.date | None, int | None]:
    value = (value or "").strip()
    if not value:
        return None, None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(value, fmt).date()
            return day, day.year
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}", value):
        return None, int(value)
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return None, int(value[:4])
    raise ListFormatError(f"unknown date {value!r}")


def _iin(value: str) -> str:
    found = _TWELVE.search(value or "")
    return found.group(1) if found else ""


def parse_csv(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    columns = {**DEFAULT_COLUMNS, **options.get("columns", {})}
    text = content.decode(options.get("encoding", "utf-8-sig"))
    reader = csv.DictReader(io.StringIO(text), delimiter=options.get("delimiter", ","))
    missing = {columns["name"]} - set(reader.fieldnames or [])
    if missing:
        raise ListFormatError(f"CSV header lacks column(s): {', '.join(sorted(missing))}")
    separator = options.get("alias_separator", ";")
    for line, row in enumerate(reader, start=2):
        name = (row.get(columns["name"]) or "").strip()
        if not name:
            raise ListFormatError(f"line {line}: empty name")
        try:
            birth_date, birth_year = parse_date(row.get(columns["birth_date"]) or "")
        except ListFormatError as exc:
            raise ListFormatError(f"line {line}: {exc}") from None
        aliases = [a.strip() for a in (row.get(columns["aliases"]) or "").split(separator) if a.strip()]
        yield ParsedEntry(
            external_id=(row.get(columns["id"]) or str(line)).strip(),
            name=name,
            aliases=aliases,
            birth_date=birth_date,
            birth_year=birth_year,
            iin=_iin(row.get(columns["iin"]) or ""),
            entity_kind=(row.get(columns["kind"]) or "person").strip() or "person",
        )


def _ftm_objects(content: bytes) -> Iterator[dict]:
    text = content.decode("utf-8-sig").strip()
    if text.startswith("["):
        yield from json.loads(text)
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ListFormatError(f"line {line_no}: not JSON ({exc.msg})") from None


def parse_ftm(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    for obj in _ftm_objects(content):
        kind = FTM_SCHEMATA.get(obj.get("schema", ""))
        if kind is None:
            continue  # addresses, sanctions programmes, relations: not screened subjects
        props = obj.get("properties", {})
        names = [n for key in ("name", "alias", "previousName", "weakAlias") for n in props.get(key, [])]
        if not names:
            continue
        birth_date, birth_year = None, None
        for value in props.get("birthDate", []):
            try:
                birth_date, birth_year = parse_date(value)
                break
            except ListFormatError:
                continue
        iin = ""
        for key in ("idNumber", "innCode", "taxNumber", "registrationNumber"):
            for value in props.get(key, []):
                iin = iin or _iin(value)
        yield ParsedEntry(
            external_id=str(obj.get("id", "")),
            name=names[0],
            aliases=list(dict.fromkeys(names[1:])),
            birth_date=birth_date,
            birth_year=birth_year,
            iin=iin,
            entity_kind=kind,
        )


# --- XML ------------------------------------------------------------------------------------------
def _xml_root(content: bytes) -> Any:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ListFormatError(
            "refused: the XML file declares a DTD or entities "
            f"({type(exc).__name__}); published lists need neither, so the file may be malicious "
            "(entity expansion, external entities)"
        ) from None
    except ParseError as exc:
        raise ListFormatError(f"not well-formed XML: {exc}") from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _all(element: Any, name: str) -> Iterator[Any]:
    return (e for e in element.iter() if _local(e.tag) == name)


def _kids(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Any, name: str) -> str:
    for child in _kids(element, name):
        value = " ".join((child.text or "").split())
        if value:
            return value
    return ""


def _lenient_date(value: str) -> tuple[dt.date | None, int | None]:
    """Published dates are sometimes partial ("00.00.1975", "1975 г."): keep the year if that is
    all there is; an unreadable date counts as unknown (it can then never dismiss a match)."""
    try:
        return parse_date(value)
    except ListFormatError:
        years = {int(y) for y in re.findall(r"\b(1[89]\d\d|20\d\d)\b", value)}
        return (None, years.pop()) if len(years) == 1 else (None, None)


def parse_afm_xml(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    root = _xml_root(content)
    separator = options.get("name_separator", "; ")
    found = False
    for position, person in enumerate(_all(root, options.get("person_tag", "person")), start=1):
        found = True
        parts = [_text(person, tag) for tag in ("lname", "fname", "mname")]
        name = " ".join(p for p in parts if p)
        if not name:
            raise ListFormatError(f"person record {position}: no name")
        birth_date, birth_year = _lenient_date(_text(person, "birthdate"))
        yield ParsedEntry(
            external_id=f"person-{_text(person, 'num') or position}",
            name=name,
            birth_date=birth_date,
            birth_year=birth_year,
            iin=_iin(_text(person, "iin")),
            entity_kind="person",
        )
    for position, org in enumerate(_all(root, options.get("org_tag", "org")), start=1):
        found = True
        names = [
            n.strip()
            for tag in ("org_name", "org_name_en")
            for n in _text(org, tag).split(separator.strip() or ";")
            if n.strip()
        ]
        if not names:
            raise ListFormatError(f"org record {position}: no name")
        yield ParsedEntry(
            external_id=f"org-{_text(org, 'num') or position}",
            name=names[0],
            aliases=list(dict.fromkeys(n for n in names[1:] if n != names[0])),
            iin=_iin(_text(org, "org_iin") or _text(org, "org_bin") or _text(org, "iin")),
            entity_kind=options.get("org_kind", "entity"),
        )
    if not found:
        raise ListFormatError(
            f"no <{options.get('person_tag', 'person')}> or <{options.get('org_tag', 'org')}> records"
        )


def _un_birth(individual: Any) -> tuple[dt.date | None, int | None]:
    dates: set[dt.date] = set()
    years: set[int] = set()
    for item in _kids(individual, "INDIVIDUAL_DATE_OF_BIRTH"):
        kind = _text(item, "TYPE_OF_DATE").upper()
        if kind == "BETWEEN" or _text(item, "FROM_YEAR"):
            return None, None  # a range: unknown
        day, year = _lenient_date(_text(item, "DATE"))
        year = year or (int(_text(item, "YEAR")) if _text(item, "YEAR").isdigit() else None)
        if day is not None:
            dates.add(day)
        if year is not None:
            years.add(year)
    if len(dates) == 1 and len(years) == 1:
        return dates.pop(), years.pop()
    return None, (years.pop() if len(years) == 1 else None)


def _un_aliases(element: Any, tag: str, options: dict) -> list[str]:
    names = []
    for alias in _kids(element, tag):
        if _text(alias, "QUALITY").lower() == "low" and not options.get("include_low_quality_aliases"):
            continue
        if _text(alias, "ALIAS_NAME"):
            names.append(_text(alias, "ALIAS_NAME"))
    return names


def parse_un_xml(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    root = _xml_root(content)
    found = False
    for position, individual in enumerate(_all(root, "INDIVIDUAL"), start=1):
        found = True
        name = " ".join(
            p
            for p in (
                _text(individual, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            )
            if p
        )
        if not name:
            raise ListFormatError(f"INDIVIDUAL {position}: no name")
        aliases = [
            _text(individual, "NAME_ORIGINAL_SCRIPT"),
            *_un_aliases(individual, "INDIVIDUAL_ALIAS", options),
        ]
        iin = ""
        for document in _kids(individual, "INDIVIDUAL_DOCUMENT"):
            country = (_text(document, "ISSUING_COUNTRY") or _text(document, "COUNTRY_OF_ISSUE")).lower()
            if "kazakhstan" in country:
                iin = iin or _iin(_text(document, "NUMBER"))
        birth_date, birth_year = _un_birth(individual)
        yield ParsedEntry(
            external_id=_text(individual, "REFERENCE_NUMBER") or _text(individual, "DATAID") or str(position),
            name=name,
            aliases=list(dict.fromkeys(a for a in aliases if a and a != name)),
            birth_date=birth_date,
            birth_year=birth_year,
            iin=iin,
            entity_kind="person",
        )
    for position, entity in enumerate(_all(root, "ENTITY"), start=1):
        found = True
        name = _text(entity, "FIRST_NAME")
        if not name:
            raise ListFormatError(f"ENTITY {position}: no name")
        aliases = [_text(entity, "NAME_ORIGINAL_SCRIPT"), *_un_aliases(entity, "ENTITY_ALIAS", options)]
        yield ParsedEntry(
            external_id=_text(entity, "REFERENCE_NUMBER") or _text(entity, "DATAID") or f"entity-{position}",
            name=name,
            aliases=list(dict.fromkeys(a for a in aliases if a and a != name)),
            entity_kind="entity",
        )
    if not found:
        raise ListFormatError("no INDIVIDUAL or ENTITY records")


PARSERS = {"csv": parse_csv, "ftm": parse_ftm, "afm_xml": parse_afm_xml, "un_xml": parse_un_xml}


def parse(content: bytes, fmt: str, options: dict | None = None) -> list[ParsedEntry]:
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ListFormatError(f"unknown list format {fmt!r}; known: {', '.join(PARSERS)}") from None
    try:
        return list(parser(content, options or {}))
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ListFormatError(str(exc)) from None
