"""Screening of a person against list entries (R-PRE-1, R-AML-1). Pure: no Django import.

An ``Index`` is built once per set of list versions:
* exact identifiers: IIN -> entries;
* names folded by ``translit.fold`` (so Cyrillic and Latin spellings meet), with blocking keys
  (``block_keys``: token prefix + another token's initial). A query is scored with rapidfuzz only
  against the names sharing a key with it, so one name against 10 000 entries costs tens to
  hundreds of comparisons, not 10 000.

Outcome rules (thresholds are configuration, docs/compliance.md):
* the person's IIN equals an entry's IIN -> ``refuse`` (exact hit);
* a name scores >= ``review_threshold`` and the dates of birth do not contradict (equal, or one
  side unknown; a matching birth year counts when the entry gives only the year) -> ``review``;
* a strong name score with a contradicting date of birth is kept in the result as dismissed;
* otherwise ``clear``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from qaryz.compliance.translit import fold

CLEAR, REVIEW, REFUSE = "clear", "review", "refuse"


@dataclass(frozen=True)
class Entry:
    key: int  # the entry's primary key (or any stable id)
    names: Sequence[str]  # primary name first, then aliases
    birth_date: dt.date | None = None
    birth_year: int | None = None
    iin: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class Subject:
    name: str
    iin: str | None = None
    birth_date: dt.date | None = None


@dataclass
class Match:
    entry: int
    version: int | None
    kind: str  # "iin" | "name"
    score: float
    name: str
    dismissed: str = ""  # why a strong name match does not count (e.g. date of birth differs)


@dataclass
class Result:
    outcome: str
    matches: list[Match] = field(default_factory=list)

    @property
    def best_score(self) -> float:
        counted = [m.score for m in self.matches if not m.dismissed]
        return max(counted, default=0.0)


def block_keys(folded: str) -> set[str]:
    """Blocking keys: for every ordered pair of tokens, the first's 3-letter prefix and the
    second's initial ("seitkali nurlan" -> "sei|n", "nur|s"); a one-token name keys on its prefix.
    Two names can only match if they share a key: cheap, and tolerant of typos after the first
    letters and of any token order."""
    tokens = [t for t in folded.split() if t]
    if len(tokens) == 1:
        return {f"{tokens[0][:3]}|"}
    return {f"{a[:3]}|{b[0]}" for i, a in enumerate(tokens) for j, b in enumerate(tokens) if i != j}


SET_WEIGHT = 0.97


def _scores(folded: str, choices: dict[int, str], threshold: float) -> list[tuple[int, float]]:
    """(name position, score) of the choices scoring at least ``threshold`` (0-100).

    Order-insensitive similarity (rapidfuzz token_sort_ratio); when both names have two or more
    tokens, a missing patronymic or middle name on one side does not lower the score much
    (token_set_ratio, weighted by SET_WEIGHT)."""
    scores: dict[int, float] = {}
    for _name, score, pos in process.extract(
        folded, choices, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None, processor=None
    ):
        scores[pos] = score
    if " " in folded:
        multi = {pos: name for pos, name in choices.items() if " " in name}
        for _name, score, pos in process.extract(
            folded,
            multi,
            scorer=fuzz.token_set_ratio,
            score_cutoff=threshold / SET_WEIGHT,
            limit=None,
            processor=None,
        ):
            scores[pos] = max(scores.get(pos, 0.0), score * SET_WEIGHT)
    return list(scores.items())


def name_score(a: str, b: str) -> float:
    """The score of two folded names, as used by ``Index.screen``."""
    found = _scores(a, {0: b}, 0.0)
    return found[0][1] if found else 0.0


class Index:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: list[Entry] = []
        self.by_iin: dict[str, list[int]] = defaultdict(list)
        self.names: list[str] = []  # folded names
        self.owner: list[int] = []  # position in self.entries of each name
        self.blocks: dict[str, list[int]] = defaultdict(list)  # key -> positions in self.names
        for entry in entries:
            pos = len(self.entries)
            self.entries.append(entry)
            if entry.iin:
                self.by_iin[entry.iin].append(pos)
            for name in dict.fromkeys(fold(n) for n in entry.names if n):
                if not name:
                    continue
                name_pos = len(self.names)
                self.names.append(name)
                self.owner.append(pos)
                for key in block_keys(name):
                    self.blocks[key].append(name_pos)

    def __len__(self) -> int:
        return len(self.entries)

    def candidates(self, folded: str) -> list[int]:
        seen: set[int] = set()
        for key in block_keys(folded):
            seen.update(self.blocks.get(key, ()))
        return sorted(seen)

    def screen(self, subject: Subject, *, review_threshold: float = 85.0, limit: int = 10) -> Result:
        matches: list[Match] = []
        if subject.iin:
            for pos in self.by_iin.get(subject.iin, ()):
                entry = self.entries[pos]
                matches.append(
                    Match(entry.key, entry.version, "iin", 100.0, entry.names[0] if entry.names else "")
                )
        folded = fold(subject.name)
        hit_entries = {m.entry for m in matches}
        if folded:
            positions = self.candidates(folded)
            choices = {p: self.names[p] for p in positions}
            best_per_entry: dict[int, tuple[float, int]] = {}
            for name_pos, score in _scores(folded, choices, review_threshold):
                entry_pos = self.owner[name_pos]
                if score > best_per_entry.get(entry_pos, (-1.0, 0))[0]:
                    best_per_entry[entry_pos] = (score, name_pos)
            for entry_pos, (score, _name_pos) in sorted(best_per_entry.items(), key=lambda kv: -kv[1][0])[
                :limit
            ]:
                entry = self.entries[entry_pos]
                if entry.key in hit_entries:
                    continue
                dismissed = _birth_contradiction(subject, entry)
                matches.append(
                    Match(entry.key, entry.version, "name", round(float(score), 2), entry.names[0], dismissed)
                )
        if any(m.kind == "iin" for m in matches):
            outcome = REFUSE
        elif any(m.kind == "name" and not m.dismissed for m in matches):
            outcome = REVIEW
        else:
            outcome = CLEAR
        return Result(outcome, matches)


# List kinds whose counted match means refusal once confirmed (an exact IIN hit: at once).
# A PEP list is not a refusal list: a match sends the case to enhanced review (R-AML-1).
PEP_KIND = "pep"


@dataclass(frozen=True)
class Consequence:
    outcome: str  # clear | review | refuse
    pep: bool  # a counted match on a PEP list: enhanced review, never refusal by itself
    refusal_list: bool  # a counted match on a terrorism / extremism / sanctions (or internal) list


def consequence(matches: Iterable[Match], kinds: dict[int | None, str]) -> Consequence:
    """What the matches mean given the kind of the list each one hit (``kinds``: version -> kind).

    An IIN hit on a refusal list refuses; a name hit on one waits for the AML officer (confirmed:
    refusal). Any counted PEP hit – exact or by name – is enhanced review with a PEP flag."""
    counted = [m for m in matches if not m.dismissed]
    refusal = [m for m in counted if kinds.get(m.version) != PEP_KIND]
    pep = any(kinds.get(m.version) == PEP_KIND for m in counted)
    if any(m.kind == "iin" for m in refusal):
        outcome = REFUSE
    elif refusal or pep:
        outcome = REVIEW
    else:
        outcome = CLEAR
    return Consequence(outcome, pep, bool(refusal))


def _birth_contradiction(subject: Subject, entry: Entry) -> str:
    if subject.birth_date is None:
        return ""
    if entry.birth_date is not None and entry.birth_date != subject.birth_date:
        return "date of birth differs"
    if (
        entry.birth_date is None
        and entry.birth_year is not None
        and entry.birth_year != subject.birth_date.year
    ):
        return "year of birth differs"
    return ""


def birth_date_from_iin(iin: str | None) -> dt.date | None:
    """Date of birth encoded in an IIN (digits 1-6 YYMMDD, digit 7 the century), or None."""
    if not iin or len(iin) != 12 or not iin.isdigit():
        return None
    century = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}.get(iin[6])
    if century is None:
        return None
    try:
        return dt.date(century + int(iin[:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None
