"""AML/CFT screening services (R-PRE-1, R-AML-1): list import, screening, review, re-screening.

The only writers of the compliance screening tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from qaryz.clients.models import Client
from qaryz.compliance import matching
from qaryz.compliance.listformats import parse
from qaryz.compliance.models import (
    RescreenRun,
    Screening,
    ScreeningEntry,
    ScreeningList,
    ScreeningListVersion,
)
from qaryz.compliance.signals import screening_reviewed
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document

logger = logging.getLogger(__name__)

_index_lock = threading.Lock()
_index_cache: dict[tuple[tuple[int, str], ...], matching.Index] = {}


def current_versions() -> list[ScreeningListVersion]:
    return list(
        ScreeningListVersion.objects.filter(is_current=True).select_related("screening_list").order_by("id")
    )


def _entries_of(version_ids: list[int]) -> list[matching.Entry]:
    rows = ScreeningEntry.objects.filter(version_id__in=version_ids).values_list(
        "id", "name", "aliases", "birth_date", "birth_year", "iin", "version_id"
    )
    return [
        matching.Entry(
            key=pk, names=[name, *aliases], birth_date=bd, birth_year=by, iin=iin or None, version=vid
        )
        for pk, name, aliases, bd, by, iin, vid in rows.iterator(chunk_size=5000)
    ]


def index_for(
    version_ids: list[int], *, versions: list[ScreeningListVersion] | None = None
) -> matching.Index:
    """The matching index of these list versions, built once per process and version set.

    Keyed by id *and* file digest: an id can come back after a rolled-back import (SQLite reuses
    row ids), a digest names exactly the file the entries were parsed from."""
    if versions is None:
        versions = list(ScreeningListVersion.objects.filter(pk__in=version_ids).only("pk", "sha256"))
    key = tuple(sorted((v.pk, v.sha256) for v in versions))
    with _index_lock:
        index = _index_cache.get(key)
        if index is None:
            index = matching.Index(_entries_of([pk for pk, _digest in key]))
            _index_cache.clear()  # only the current set is worth keeping
            _index_cache[key] = index
        return index


@transaction.atomic
def import_list(
    list_code: str, content: bytes, *, file_name: str = "", actor: Any = None, rescreen: bool = True
) -> ScreeningListVersion:
    """Store a new version of a list from a published file; the same file twice is one version.

    After commit the portfolio is re-screened against what the new version added (a task)."""
    screening_list = ScreeningList.objects.select_for_update().get(code=list_code)
    digest = hashlib.sha256(content).hexdigest()
    existing = ScreeningListVersion.objects.filter(screening_list=screening_list, sha256=digest).first()
    if existing is not None:
        return existing
    entries = parse(content, screening_list.format, screening_list.options)
    number = (screening_list.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    screening_list.versions.filter(is_current=True).update(is_current=False)
    version = ScreeningListVersion.objects.create(
        screening_list=screening_list,
        number=number,
        sha256=digest,
        file_name=file_name[:300],
        entry_count=len(entries),
        is_current=True,
        vault_document_id=str(
            store_document(
                content,
                media_type="application/octet-stream",
                kind="aml_list",
                direction="inbound",
                filename=file_name,
            ).pk
        ),
    )
    ScreeningEntry.objects.bulk_create(
        [
            ScreeningEntry(
                version=version,
                external_id=e.external_id[:200],
                name=e.name[:500],
                aliases=e.aliases,
                birth_date=e.birth_date,
                birth_year=e.birth_year,
                iin=e.iin,
                entity_kind=e.entity_kind[:20],
                fingerprint=e.fingerprint(),
            )
            for e in entries
        ],
        batch_size=2000,
    )
    audit(
        "compliance.list_imported",
        actor=actor,
        target=version,
        data={"list": list_code, "version": number, "entries": len(entries), "sha256": digest},
    )
    if rescreen:
        transaction.on_commit(lambda: rescreen_portfolio_task.enqueue(version.pk))
    return version


def ensure_list(
    code: str, *, name: str, kind: str, fmt: str, options: dict | None = None, source: str = ""
) -> ScreeningList:
    screening_list, _ = ScreeningList.objects.get_or_create(
        code=code,
        defaults={"name": name, "kind": kind, "format": fmt, "options": options or {}, "source": source},
    )
    return screening_list


def subject_of(client: Client) -> matching.Subject:
    if client.kind == Client.Kind.LEGAL_ENTITY:
        return matching.Subject(name=client.legal_name, iin=client.bin)
    return matching.Subject(
        name=client.display_name, iin=client.iin, birth_date=matching.birth_date_from_iin(client.iin)
    )


def subjects_of(client: Client) -> list[tuple[str, matching.Subject]]:
    """Who is screened for a client: the person; for a legal entity the entity (name, BIN) and its
    authorised signer (name, IIN, date of birth from the IIN), R-AML-1."""
    subjects = [("entity" if client.kind == Client.Kind.LEGAL_ENTITY else "client", subject_of(client))]
    if client.kind == Client.Kind.LEGAL_ENTITY:
        from qaryz.clients.models import LegalEntitySigner

        signer = LegalEntitySigner.objects.filter(client=client).first()
        if signer is not None:
            subjects.append(
                (
                    "signer",
                    matching.Subject(
                        name=signer.full_name,
                        iin=signer.iin,
                        birth_date=matching.birth_date_from_iin(signer.iin),
                    ),
                )
            )
    return subjects


def list_kinds(version_ids: list[int]) -> dict[int | None, str]:
    return dict(
        ScreeningListVersion.objects.filter(pk__in=version_ids).values_list("pk", "screening_list__kind")
    )


def _screen_subjects(
    index: matching.Index, subjects: list[tuple[str, matching.Subject]]
) -> tuple[matching.Subject, matching.Result, list[dict]]:
    """Screen every subject; one combined subject, result and match list (each match names whom
    it hit: ``client``, ``entity`` or ``signer``)."""
    rows: list[dict] = []
    all_matches: list[matching.Match] = []
    for role, subject in subjects:
        result = index.screen(subject, review_threshold=settings.AML_REVIEW_THRESHOLD)
        all_matches.extend(result.matches)
        rows.extend({**vars(m), "subject": role, "subject_name": subject.name} for m in result.matches)
    first = subjects[0][1]
    if len(subjects) > 1:
        name = " / ".join(s.name for _role, s in subjects if s.name)
        first = matching.Subject(name=name, iin=first.iin, birth_date=first.birth_date)
    return first, matching.Result(matching.CLEAR, all_matches), rows


def _store(
    client: Client | None,
    subject: matching.Subject,
    result: matching.Result,
    versions: list[int],
    *,
    context: str,
    context_id: str = "",
    rows: list[dict] | None = None,
) -> Screening:
    kinds = list_kinds([m.version for m in result.matches if m.version is not None])
    verdict = matching.consequence(result.matches, kinds)
    rows = rows if rows is not None else [vars(m) for m in result.matches]
    screening = Screening.objects.create(
        client=client,
        subject_name=subject.name[:500],
        subject_iin=subject.iin or "",
        subject_birth_date=subject.birth_date,
        context=context,
        context_id=str(context_id),
        result=verdict.outcome,
        best_score=round(result.best_score, 2),
        matches=[{**row, "list_kind": kinds.get(row.get("version"), "")} for row in rows],
        pep=verdict.pep,
        refusal_list=verdict.refusal_list,
        review_status="" if verdict.outcome == matching.CLEAR else Screening.Review.PENDING,
    )
    screening.list_versions.set(versions)
    return screening


def screen_client(
    client: Client, *, context: str = "manual", context_id: str = "", actor: Any = None
) -> Screening:
    """Screen a client against every current list version and store the result with them."""
    current = current_versions()
    versions = [v.pk for v in current]
    subject, result, rows = _screen_subjects(index_for(versions, versions=current), subjects_of(client))
    screening = _store(client, subject, result, versions, context=context, context_id=context_id, rows=rows)
    audit(
        "compliance.screened",
        actor=actor,
        target=screening,
        data={
            "result": screening.result,
            "pep": screening.pep,
            "versions": versions,
            "context": context,
            "context_id": str(context_id),
        },
    )
    return screening


@transaction.atomic
def review_screening(screening: Screening, *, confirmed: bool, officer: Any, note: str = "") -> Screening:
    """The AML officer's conclusion on a possible match (R-PRE-1)."""
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if screening.review_status != Screening.Review.PENDING:
        raise ValueError("this screening is not waiting for review")
    screening.review_status = Screening.Review.CONFIRMED if confirmed else Screening.Review.FALSE_POSITIVE
    screening.reviewed_by = officer
    screening.reviewed_at = timezone.now()
    screening.review_note = note
    screening.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
    audit("compliance.screening_reviewed", actor=officer, target=screening, data={"confirmed": confirmed})
    # Lending continues or refuses the linked application in the same transaction.
    screening_reviewed.send(
        sender=Screening, screening=screening, officer=officer, confirmed=confirmed, note=note
    )
    return screening


def rescreen_portfolio(version: ScreeningListVersion) -> RescreenRun:
    """Screen every client against what ``version`` added to its list.

    Set-based where the database can do it: exact IIN/BIN hits are one join; the entries that are
    new in this version (fingerprints absent from the previous version) are one anti-join; only
    those feed the fuzzy name index, so a monthly list update with a handful of changes costs one
    pass over client names against a handful of entries."""
    started = time.perf_counter()
    run = RescreenRun.objects.create(version=version)
    previous = (
        ScreeningListVersion.objects.filter(screening_list=version.screening_list, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    new_entries = ScreeningEntry.objects.filter(version=version)
    if previous is not None:
        new_entries = new_entries.exclude(fingerprint__in=previous.entries.values("fingerprint"))
    new_ids = list(new_entries.values_list("id", flat=True))
    index = (
        matching.Index(e for e in _entries_of([version.pk]) if e.key in set(new_ids))
        if new_ids
        else matching.Index([])
    )
    # Every client whose IIN/BIN is on the version (new entry or not): one query.
    listed = ScreeningEntry.objects.filter(version=version).exclude(iin="").values("iin")
    iin_hits = set(Client.objects.filter(iin__in=listed).values_list("pk", flat=True))
    iin_hits |= set(Client.objects.filter(bin__in=listed).values_list("pk", flat=True))
    iin_hits |= set(Client.objects.filter(signer__iin__in=listed).values_list("pk", flat=True))
    checked = hits = 0
    if len(index) or iin_hits:
        full_index = matching.Index(_entries_of([version.pk]))
        for client in Client.objects.order_by("pk").iterator(chunk_size=2000):
            checked += 1
            subjects = subjects_of(client)
            quick = _screen_subjects(index, subjects)[1] if len(index) else None
            if client.pk not in iin_hits and (quick is None or not _counted(quick)):
                continue
            subject, result, rows = _screen_subjects(full_index, subjects)
            if not _counted(result):
                continue
            hits += 1
            with transaction.atomic():
                screening = _store(
                    client,
                    subject,
                    result,
                    [version.pk],
                    context="rescreen",
                    context_id=str(run.pk),
                    rows=rows,
                )
                audit(
                    "compliance.rescreen_hit",
                    target=screening,
                    data={"result": screening.result, "pep": screening.pep, "run": run.pk},
                )
    run.new_entries = len(new_ids)
    run.clients_checked = checked
    run.hits = hits
    run.finished_at = timezone.now()
    run.save(update_fields=["new_entries", "clients_checked", "hits", "finished_at"])
    logger.info(
        "rescreen of %s: %d new entries, %d clients, %d hits in %.2fs",
        version,
        len(new_ids),
        checked,
        hits,
        time.perf_counter() - started,
    )
    return run


def _counted(result: matching.Result) -> bool:
    return any(not m.dismissed for m in result.matches)


@task()
def rescreen_portfolio_task(version_id: int) -> int:
    return rescreen_portfolio(ScreeningListVersion.objects.get(pk=version_id)).pk


def latest_screening(client: Client) -> Screening | None:
    return Screening.objects.filter(client=client).order_by("-created_at", "-id").first()


def birth_date_of(client: Client) -> dt.date | None:
    return matching.birth_date_from_iin(client.iin)
