"""Read queries of the compliance room for views and other rooms."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from qaryz.compliance.models import Screening


def screenings_pending_review() -> QuerySet[Screening]:
    """The AML officer's queue: possible (or exact) matches waiting for a conclusion, oldest first."""
    return (
        Screening.objects.filter(review_status=Screening.Review.PENDING)
        .select_related("client")
        .prefetch_related("list_versions__screening_list")
        .order_by("created_at", "id")
    )


def pending_screening(screening_id: int) -> Screening | None:
    return screenings_pending_review().filter(pk=screening_id).first()


def screening_for(context: str, context_id: str) -> Screening | None:
    """The latest screening made for this context (e.g. ``"application"``, the application's id)."""
    return (
        Screening.objects.filter(context=context, context_id=str(context_id))
        .order_by("-created_at", "-id")
        .first()
    )


def matches_of(screening: Screening) -> list[dict]:
    """The screening's matches with the list and the entry they hit (for the officer's review)."""
    from qaryz.compliance.models import ScreeningEntry, ScreeningList

    subjects = {"entity": _("legal entity"), "signer": _("authorised signer")}
    # The matcher's codes in words for the officer (issue 11: no codes or English on staff pages).
    kinds = {"iin": _("IIN match"), "name": _("name match")}
    dismissals = {
        "date of birth differs": _("date of birth differs"),
        "year of birth differs": _("year of birth differs"),
    }

    lists = {v.pk: v for v in screening.list_versions.all()}
    entries = ScreeningEntry.objects.in_bulk([m.get("entry") for m in screening.matches if m.get("entry")])
    rows = []
    for match in sorted(screening.matches, key=lambda m: -float(m.get("score", 0))):
        version = lists.get(match.get("version"))
        entry = entries.get(match.get("entry"))
        rows.append(
            {
                **match,
                "list": version.screening_list.name if version else "",
                "list_version": version.number if version else None,
                "list_kind_label": ScreeningList.Kind(version.screening_list.kind).label
                if version and version.screening_list.kind in ScreeningList.Kind.values
                else "",
                "subject_label": subjects.get(match.get("subject", ""), ""),
                "kind_label": kinds.get(match.get("kind", ""), _("match")),
                "dismissed_label": dismissals.get(match.get("dismissed", ""), match.get("dismissed", "")),
                "entry_name": entry.name if entry else match.get("name", ""),
                "entry_id": entry.external_id if entry else "",
                "entry_aliases": entry.aliases if entry else [],
                "entry_birth": entry.birth_date or entry.birth_year if entry else None,
                "entry_iin": entry.iin if entry else "",
            }
        )
    return rows
