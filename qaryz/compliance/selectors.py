"""Read queries of the compliance room for views and other rooms."""

from __future__ import annotations

from django.db.models import QuerySet

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
