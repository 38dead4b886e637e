"""The only writers of the biometrics room: liveness sessions, verifications, document enrolment."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import secrets
import zipfile
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qaryz.clients.models import Client

from . import evidence, selectors
from .adapters import get_provider
from .engine import faces, liveness, mrz
from .engine.liveness import Timeline
from .models import FaceReference, LivenessSession, Purpose, SeenFrame, Verification
from .ports import Reference

logger = logging.getLogger("qaryz.biometrics")

MAX_FRAMES = 120
MAX_FRAME_BYTES = 400_000
MAX_DOCUMENT_BYTES = 8_000_000

MESSAGES = {
    # session and submission errors
    "bad_purpose": _("Unknown verification purpose."),
    "not_found": _("The verification session was not found."),
    "used": _("This verification session has already been used. Start a new one."),
    "expired": _("The verification session has expired. Start a new one."),
    "nonce_mismatch": _("The verification session does not match. Start a new one."),
    "frame_too_large": _("A captured frame is too large."),
    "already_consumed": _("This verification has already been used."),
    "not_passed": _("This verification did not pass."),
    # liveness and match reasons
    "too_few_frames": _("Too few frames were captured. Keep your face in the frame and try again."),
    "too_many_frames": _("Too many frames were submitted."),
    "bad_timing": _("The frames do not fit the session timeline. Try again."),
    "bad_image": _("A frame or photo could not be read."),
    "no_baseline": _("Look straight into the camera at the start."),
    "multiple_faces": _("More than one face is in the picture. Only you should be in front of the camera."),
    "face_lost": _("Your face was not visible long enough. Stay in the frame."),
    "face_too_small": _("Come closer to the camera."),
    "static_image": _("The picture did not change: a photo or screen is not accepted."),
    "movement_missing": _("A requested movement was not performed in time."),
    "wrong_movement": _("The movements were performed in the wrong order."),
    "identity_changed": _("The face changed during the check."),
    "replayed_frames": _("Frames from another session were submitted."),
    "no_reference": _("Upload a photo of your identity card first."),
    "no_match": _("Your face does not match the photo in your identity document."),
    "spoof": _("The biometric service rejected the capture as a presentation attack."),
    "provider_error": _("The biometric service is unavailable. Try again later."),
    # document
    "no_face": _("No face was found on the photo."),
    "mrz_unreadable": _("The machine-readable zone of the card could not be read. Take a sharper photo."),
    "mrz_invalid": _(
        "The machine-readable zone of the card did not pass its check digits. Take a new, sharp photo of "
        "the whole card in good light; a card whose zone does not agree with its check digits is not accepted."
    ),
    "document_mismatch": _("The identity document does not match your data."),
    "document_expired": _("The identity document has expired."),
    "issue_date_missing": _(
        "Enter the date the document was issued: it is printed on the document, not in the machine-readable zone."
    ),
    "issue_date_bad": _("Enter the issue date as dd.mm.yyyy."),
    "issue_date_unusual": _(
        "The document was accepted, but its validity differs from the usual term for an identity card: "
        "the MFO's staff will check the dates."
    ),
}


def parse_issue_date(raw: str | None) -> dt.date:
    """The issue date as a browser's date field (yyyy-mm-dd) or a person (dd.mm.yyyy) writes it."""
    raw = (raw or "").strip()
    if not raw:
        raise BiometricsError("issue_date_missing")
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise BiometricsError("issue_date_bad")


def document_warnings(client: Client) -> list[str]:
    """Warnings of the accepted document (an ID card's unusual validity: staff check it)."""
    holder: Any = client
    if client.kind == Client.Kind.LEGAL_ENTITY:
        from qaryz.clients.models import LegalEntitySigner

        holder = LegalEntitySigner.objects.filter(client=client).first()
    else:
        holder = Client.objects.get(pk=client.pk)
    return ["issue_date_unusual"] if holder is not None and holder.id_doc_validity_unusual else []


class BiometricsError(Exception):
    def __init__(self, code: str, detail: str = "", *, text: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.text = text  # an already translated message (e.g. the clients room's), else by code

    @property
    def message(self) -> str:
        return self.text or str(MESSAGES.get(self.code, self.code))


def message_for(code: str) -> str:
    return str(MESSAGES.get(code, code))


def timeline() -> Timeline:
    return Timeline()


# --- liveness sessions --------------------------------------------------------------------


def start_session(
    client: Client, purpose: str, *, channel: str = "web", request: Any = None
) -> LivenessSession:
    """Open a session with a fresh random challenge sequence the client has never had (R-LIVE-1)."""
    if purpose not in Purpose.values:
        raise BiometricsError("bad_purpose")
    tl = timeline()
    for _attempt in range(5):
        used = set(LivenessSession.objects.filter(client=client).values_list("challenges", flat=True))
        seq = liveness.new_sequence(used)
        now = timezone.now()
        try:
            with transaction.atomic():
                session = LivenessSession.objects.create(
                    client=client,
                    purpose=purpose,
                    challenges=liveness.encode(seq),
                    nonce=secrets.token_urlsafe(32),
                    channel=channel,
                    baseline_ms=tl.baseline_ms,
                    step_ms=tl.step_ms,
                    expires_at=now
                    + dt.timedelta(milliseconds=tl.total_ms(len(seq)))
                    + dt.timedelta(seconds=settings.BIOMETRICS_SESSION_TTL),
                )
        except IntegrityError:  # a concurrent session drew the same sequence: draw again
            continue
        evidence.audit(
            "biometrics.session_started",
            actor=client,
            target=session,
            data={"purpose": purpose, "challenges": seq, "channel": channel},
            request=request,
        )
        return session
    raise BiometricsError("used", "could not draw an unused sequence")


def _claim(session_id: Any, client: Client, nonce: str) -> LivenessSession:
    """Lock the session and move it out of OPEN: whatever happens next, it is used once."""
    with transaction.atomic():
        session = LivenessSession.objects.select_for_update().filter(pk=session_id, client=client).first()
        if session is None:
            raise BiometricsError("not_found")
        if session.status != LivenessSession.Status.OPEN:
            raise BiometricsError("used")
        if not secrets.compare_digest(session.nonce, nonce or ""):
            raise BiometricsError("nonce_mismatch")
        now = timezone.now()
        expired = now > session.expires_at
        if expired:
            session.status = LivenessSession.Status.EXPIRED
            session.reason = "expired"
            session.save(update_fields=["status", "reason"])
        else:
            session.status = LivenessSession.Status.PROCESSING
            session.submitted_at = now
            session.save(update_fields=["status", "submitted_at"])
    if expired:  # raised after the commit, so the EXPIRED status stays
        raise BiometricsError("expired")
    return session


def _record_digests(session: LivenessSession, digests: Sequence[str]) -> bool:
    """Remember the frames; False when any of them was submitted in another session (replay)."""
    unique = sorted(set(digests))
    with transaction.atomic():
        if SeenFrame.objects.filter(digest__in=unique).exclude(session=session).exists():
            return False
        SeenFrame.objects.bulk_create(
            [SeenFrame(digest=d, session=session) for d in unique], ignore_conflicts=True
        )
    # A concurrent session may have inserted the same digest between the check and the insert.
    return not SeenFrame.objects.filter(digest__in=unique).exclude(session=session).exists()


def _frames_zip(frames: Sequence[tuple[int, int, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i, (step, t_ms, data) in enumerate(frames):
            zf.writestr(f"{i:03d}-step{step}-{t_ms}ms.jpg", data)
    return buf.getvalue()


def submit_frames(
    session_id: Any,
    *,
    client: Client,
    nonce: str,
    frames: Sequence[tuple[int, int, bytes]],
    request: Any = None,
) -> Verification:
    """Check the captured frames and compare the best one with the client's references.

    Protocol errors (unknown, used, expired session, wrong nonce) raise BiometricsError; a
    completed check always yields a Verification, passed or failed with a reason.
    """
    try:
        session = _claim(session_id, client, nonce)
    except BiometricsError as exc:
        evidence.audit(
            "biometrics.submission_refused",
            category="security",
            actor=client,
            data={"session": str(session_id), "reason": exc.code},
            request=request,
        )
        raise
    if len(frames) > MAX_FRAMES or any(len(data) > MAX_FRAME_BYTES for _, _, data in frames):
        return _finish(
            session,
            passed=False,
            reason="too_many_frames" if len(frames) > MAX_FRAMES else "frame_too_large",
            evidence_data={"frames": len(frames)},
            request=request,
        )
    # Replays are refused before any image work: cheap, and a replay never costs a full analysis.
    digests = [liveness.frame_digest(data) for _, _, data in frames]
    if not _record_digests(session, digests):
        return _finish(
            session,
            passed=False,
            reason="replayed_frames",
            evidence_data={"frames": len(frames)},
            frames=frames,
            request=request,
        )
    provider = get_provider()
    try:
        outcome = provider.analyse_liveness(
            session.challenge_list, frames, Timeline(baseline_ms=session.baseline_ms, step_ms=session.step_ms)
        )
    except Exception:  # an engine failure must end the session with a reason, not leave it PROCESSING
        logger.exception("liveness analysis failed for session %s", session.pk)
        return _finish(
            session,
            passed=False,
            reason="provider_error",
            evidence_data={"frames": len(frames)},
            request=request,
        )
    data = dict(outcome.evidence)
    if not outcome.passed or outcome.best_jpeg is None:
        return _finish(
            session,
            passed=False,
            reason=outcome.reason or "bad_image",
            evidence_data=data,
            frames=frames,
            request=request,
        )
    refs = list(FaceReference.objects.filter(client=client, active=True))
    references = [Reference(r.source, faces.from_bytes(bytes(r.descriptor))) for r in refs]
    threshold = settings.BIOMETRICS_MATCH_THRESHOLD
    match = provider.match(
        iin=identity_of(client).iin,
        selfie_jpeg=outcome.best_jpeg,
        selfie_descriptor=outcome.best_descriptor,
        references=references,
        liveness=data,
        threshold=threshold,
    )
    data["match"] = {
        "decision": match.decision,
        "similarities": match.similarities,
        "threshold": threshold,
        "provider": provider.name,
        "reference": match.provider_reference,
        "detail": match.detail,
    }
    reason = {"match": "", "error": "provider_error"}.get(match.decision, match.decision)
    verification = _finish(
        session,
        passed=match.decision == "match",
        reason=reason,
        evidence_data=data,
        frames=frames,
        best_jpeg=outcome.best_jpeg,
        similarities=match.similarities,
        provider=provider.name,
        provider_reference=match.provider_reference,
        request=request,
    )
    if (
        verification.passed
        and session.purpose == Purpose.REGISTRATION
        and outcome.best_descriptor is not None
    ):
        _enrol_registration_face(client, outcome.best_descriptor, verification.best_frame_document)
        _keep_face_on_client(client, outcome.best_jpeg)
    return verification


def _finish(
    session: LivenessSession,
    *,
    passed: bool,
    reason: str,
    evidence_data: dict,
    frames: Sequence | None = None,
    best_jpeg: bytes | None = None,
    similarities: dict | None = None,
    provider: str = "",
    provider_reference: str = "",
    request: Any = None,
) -> Verification:
    client = session.client
    similarities = similarities or {}
    evidence_data = {
        **evidence_data,
        "decision": "passed" if passed else "failed",
        "reason": reason,
        "session": str(session.pk),
        "purpose": session.purpose,
    }
    body = json.dumps(evidence_data, sort_keys=True, default=str).encode()
    evidence_id = evidence.store(
        body,
        media_type="application/json",
        kind="biometric_evidence",
        owner=client,
        filename=f"liveness-{session.pk}.json",
        channel=session.channel,
    )
    best_id = ""
    if best_jpeg:
        best_id = evidence.store(
            best_jpeg,
            media_type="image/jpeg",
            kind="biometric_selfie",
            owner=client,
            filename=f"selfie-{session.pk}.jpg",
            channel=session.channel,
        )
    if frames and settings.BIOMETRICS_STORE_FRAMES:
        evidence.store(
            _frames_zip(frames),
            media_type="application/zip",
            kind="biometric_frames",
            owner=client,
            filename=f"frames-{session.pk}.zip",
            channel=session.channel,
        )
    with transaction.atomic():
        session.status = LivenessSession.Status.PASSED if passed else LivenessSession.Status.FAILED
        session.reason = reason
        session.evidence = evidence_data
        session.evidence_document = evidence_id
        session.save(update_fields=["status", "reason", "evidence", "evidence_document"])
        verification = Verification.objects.create(
            client=client,
            purpose=session.purpose,
            session=session,
            provider=provider or settings.BIOMETRICS_PROVIDER,
            passed=passed,
            reason=reason,
            similarity_document=similarities.get("document", similarities.get("vendor")),
            similarity_registration=similarities.get("registration"),
            threshold=settings.BIOMETRICS_MATCH_THRESHOLD,
            provider_reference=provider_reference,
            best_frame_document=best_id,
        )
    evidence.audit(
        "biometrics.verification_passed" if passed else "biometrics.verification_failed",
        category="business" if passed else "security",
        actor=client,
        target=verification,
        data={
            "purpose": session.purpose,
            "reason": reason,
            "similarities": similarities,
            "evidence_document": evidence_id,
        },
        request=request,
    )
    return verification


def _enrol_registration_face(client: Client, descriptor: Any, image_document: str) -> None:
    with transaction.atomic():
        if FaceReference.objects.filter(
            client=client, source=FaceReference.Source.REGISTRATION, active=True
        ).exists():
            return
        FaceReference.objects.create(
            client=client,
            source=FaceReference.Source.REGISTRATION,
            descriptor=faces.to_bytes(descriptor),
            image_document=image_document,
        )
    _report_same_face(client, descriptor)


def consume_verification(verification: Verification) -> Verification:
    """Mark a passed verification used (single use): a second call raises BiometricsError."""
    with transaction.atomic():
        locked = Verification.objects.select_for_update().get(pk=verification.pk)
        if not locked.passed:
            raise BiometricsError("not_passed")
        if locked.consumed_at is not None:
            raise BiometricsError("already_consumed")
        locked.consumed_at = timezone.now()
        locked.save(update_fields=["consumed_at"])
    evidence.audit(
        "biometrics.verification_consumed",
        actor=locked.client,
        target=locked,
        data={"purpose": locked.purpose},
    )
    verification.consumed_at = locked.consumed_at
    return locked


def expire_sessions(now: dt.datetime | None = None) -> int:
    """Housekeeping: open sessions past their expiry become EXPIRED."""
    now = now or timezone.now()
    return LivenessSession.objects.filter(status=LivenessSession.Status.OPEN, expires_at__lt=now).update(
        status=LivenessSession.Status.EXPIRED, reason="expired"
    )


# --- identity document ---------------------------------------------------------------------


def enrol_document(
    client: Client,
    image: bytes,
    *,
    issue_date: dt.date | None = None,
    channel: str = "web",
    request: Any = None,
    today: dt.date | None = None,
) -> FaceReference:
    """Read the ID card photo (MRZ + face), compare with the client's data, keep the face as reference.

    ``issue_date`` is the date the client entered (the MRZ has none): checked against the MRZ's
    document type, birth and expiry dates (clients.services.check_issue_date) and kept with the
    document. The web page and the API require it; ``None`` keeps no issue date.
    Raises BiometricsError when the card cannot be accepted; the reading is audited either way.
    """
    if len(image) > MAX_DOCUMENT_BYTES:
        raise BiometricsError("bad_image", "too large")
    try:
        rgb = faces.decode_image(image, max_side=1600)
    except faces.FaceError as exc:
        raise BiometricsError("bad_image") from exc
    try:
        reading = mrz.read_card(rgb, today=today)
    except mrz.MrzError as exc:
        evidence.audit(
            "biometrics.document_rejected",
            category="security",
            actor=client,
            data={"reason": "mrz_unreadable"},
            request=request,
        )
        raise BiometricsError("mrz_unreadable", str(exc)) from exc
    person = identity_of(client)
    comparison = mrz.compare_with_client(
        reading, iin=person.iin, surname=person.surname, given_name=person.given_name, today=today
    )
    reason = ""
    if not reading.valid:
        reason = "mrz_invalid"
    elif not (comparison["iin"] and comparison["surname"] and comparison["given_name"]):
        reason = "document_mismatch"
    elif not comparison["not_expired"]:
        reason = "document_expired"
    text = ""
    if not reason and issue_date is not None:
        from qaryz.clients.services import ClientDataError, birth_date_from_iin, check_issue_date

        try:
            check_issue_date(
                _doc_type(reading),
                issue_date,
                expiry=reading.expiry_date,
                birth_date=reading.birth_date or birth_date_from_iin(person.iin),
                today=today,
            )
        except ClientDataError as exc:
            reason, text = "issue_date_invalid", exc.messages[0]
    if not reason:
        try:
            descriptor = faces.describe(rgb, side=1000, upsample=1)
        except faces.FaceError:
            reason = "no_face"
    data = {"mrz": reading.as_dict(), "comparison": comparison}
    if reason:
        evidence.audit(
            "biometrics.document_rejected",
            category="security",
            actor=client,
            data={"reason": reason, **data},
            request=request,
        )
        raise BiometricsError(reason, ", ".join(reading.failed_checks()), text=text)
    image_id = evidence.store(
        image,
        media_type="image/jpeg",
        kind="identity_document_photo",
        owner=client,
        filename="id-card.jpg",
        channel=channel,
    )
    with transaction.atomic():
        FaceReference.objects.filter(client=client, source=FaceReference.Source.DOCUMENT, active=True).update(
            active=False
        )
        ref = FaceReference.objects.create(
            client=client,
            source=FaceReference.Source.DOCUMENT,
            descriptor=faces.to_bytes(descriptor),
            mrz=data["mrz"],
            comparison=comparison,
            image_document=image_id,
        )
        _keep_document_on_client(client, reading, issue_date=issue_date, today=today)
    evidence.audit("biometrics.document_accepted", actor=client, target=ref, data=data, request=request)
    _report_same_face(client, descriptor)
    return ref


class _Person:
    """Whose identity a biometric check proves: the client, or a legal entity's signer (R-ONB-2)."""

    def __init__(self, iin: str, surname: str, given_name: str) -> None:
        self.iin, self.surname, self.given_name = iin, surname, given_name


def identity_of(client: Client) -> _Person:
    """The person in front of the camera: for a legal entity, its authorised signer (R-ONB-3)."""
    if client.kind == Client.Kind.LEGAL_ENTITY:
        from qaryz.clients.models import LegalEntitySigner

        signer = LegalEntitySigner.objects.filter(client=client).first()
        if signer is None:
            return _Person("", "", "")
        return _Person(signer.iin, signer.surname, signer.given_name)
    return _Person(client.iin or "", client.surname, client.given_name)


def _doc_type(reading: mrz.MrzResult) -> str:
    return "passport" if reading.format == "TD3" else "id_card"


def _keep_document_on_client(
    client: Client, reading: mrz.MrzResult, *, issue_date: dt.date | None, today: dt.date | None
) -> None:
    """The accepted document's number, expiry and issue date go on the client (or the entity's
    signer)."""
    from qaryz.clients import services as clients

    doc_type = _doc_type(reading)
    if client.kind == Client.Kind.LEGAL_ENTITY:
        clients.set_signer_document(
            client,
            doc_type=doc_type,
            number=reading.document_number,
            expiry=reading.expiry_date,
            issue_date=issue_date,
            birth_date=reading.birth_date,
            actor=client,
            today=today,
        )
    else:
        clients.record_identity_document(
            client,
            doc_type=doc_type,
            number=reading.document_number,
            expiry=reading.expiry_date,
            issue_date=issue_date,
            birth_date=reading.birth_date,
            actor=client,
            today=today,
        )


def _keep_face_on_client(client: Client, jpeg: bytes) -> None:
    """The frontal face of a passed registration check: the client's photo (R-ONB-1), or the
    signer's photo for a legal entity (R-ONB-2); kept in the vault."""
    from qaryz.clients import services as clients

    if client.kind == Client.Kind.LEGAL_ENTITY:
        clients.attach_signer_photo(client, jpeg, actor=client)
    else:
        clients.attach_face_photo(client, jpeg, actor=client)


def _report_same_face(client: Client, descriptor: Any) -> None:
    """Antifraud: the same face already belongs to another confirmed client (R-ONB-*)."""
    hits = selectors.same_face_candidates(descriptor, exclude_client_id=client.pk)
    if hits:
        evidence.audit(
            "biometrics.same_face_found",
            category="security",
            actor=None,
            target=client,
            data={"clients": [{"client": h.key, "distance": round(h.distance, 4)} for h in hits]},
        )
