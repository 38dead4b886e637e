"""The embedded credit-bureau simulator: keeps what it received in its own tables (``Sim*`` models),
as a real bureau would on its side.

- It knows the accounts it issued (``SimAccount``); a batch from any other account, or a disabled
  one, is refused as a whole (``BureauRefused``) and nothing is stored.
- Every batch and every record received is stored; the same batch id again returns the stored
  answer and applies nothing twice.
- Each record is validated: IIN/BIN check digit, amounts whole and not negative, known status and
  kind, no debt on a suspended or corrected loan. Accepted records replace the loan's latest state
  (``SimLoanState``): a daily record only if it is not older than what is held, a suspension or
  correction always.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction

from qaryz.bureau.models import SimAccount, SimBatch, SimLoanState, SimRecord
from qaryz.bureau.ports import KINDS, STATUSES, BatchAck, BureauRefused, FeedBatch, ItemResult
from qaryz.core.identifiers import is_valid_bin, is_valid_iin

AMOUNTS = (
    "amount",
    "principal",
    "principal_overdue",
    "interest",
    "interest_overdue",
    "penalty",
    "fees_overdue",
)
DEBT = ("principal", "principal_overdue", "interest", "interest_overdue", "penalty", "fees_overdue")


def validate(record: dict) -> str:
    """The reason code for rejecting ``record`` (a JSON record of the port), or "" if it is valid."""
    if not str(record.get("key") or ""):
        return "malformed"
    if not str(record.get("contract_number") or "").strip():
        return "missing_contract"
    if record.get("kind") not in KINDS:
        return "unknown_kind"
    if record.get("status") not in STATUSES:
        return "unknown_status"
    try:
        dt.date.fromisoformat(str(record.get("as_of")))
    except ValueError:
        return "malformed"
    subject, kind = str(record.get("subject_id") or ""), record.get("subject_kind")
    valid = is_valid_iin(subject) if kind == "iin" else is_valid_bin(subject) if kind == "bin" else False
    if not valid:
        return "invalid_subject"
    for name in (*AMOUNTS, "days_past_due"):
        value = record.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            return "malformed"
        if value < 0:
            return "negative_amount"
    if record["status"] in ("suspended", "cleared") and (
        any(record.get(name, 0) for name in DEBT) or record.get("days_past_due", 0)
    ):
        return "debt_while_suspended"
    return ""


class EmbeddedCreditBureau:
    name = "embedded"

    @staticmethod
    def register_account(login: str, person_name: str) -> None:
        """What the bureau does when the MFO registers a named person's account (out of band)."""
        SimAccount.objects.update_or_create(
            login=login, defaults={"person_name": person_name[:200], "active": True}
        )

    @staticmethod
    def disable_account(login: str) -> None:
        SimAccount.objects.filter(login=login).update(active=False)

    @staticmethod
    def state(contract_number: str) -> SimLoanState | None:
        return SimLoanState.objects.filter(contract_number=contract_number).first()

    def submit_batch(self, batch: FeedBatch) -> BatchAck:
        if not SimAccount.objects.filter(login=batch.account, active=True).exists():
            raise BureauRefused(f"bureau account {batch.account!r} is unknown or disabled")
        stored = self._answer(batch.batch_id)
        if stored is not None:
            return stored
        try:
            with transaction.atomic():
                return self._receive(batch)
        except IntegrityError:  # the same batch id received concurrently: answer what was stored
            stored = self._answer(batch.batch_id)
            if stored is None:
                raise
            return stored

    @staticmethod
    def _answer(batch_id: str) -> BatchAck | None:
        row = SimBatch.objects.filter(batch_id=batch_id).first()
        if row is None:
            return None
        results = tuple(
            ItemResult(key=r.record_key, accepted=r.accepted, reason=r.reason)
            for r in row.items.order_by("id")
        )
        return BatchAck(batch_id=batch_id, reference=row.reference, results=results)

    def _receive(self, batch: FeedBatch) -> BatchAck:
        head = SimBatch.objects.create(
            batch_id=batch.batch_id, account=batch.account, reference=f"SIM-{secrets.token_hex(6).upper()}"
        )
        results = []
        rows = []
        for item in batch.items:
            record = item.as_json()
            reason = validate(record)
            rows.append(
                SimRecord(
                    batch=head,
                    record_key=record["key"],
                    contract_number=str(record.get("contract_number") or "")[:64],
                    payload=record,
                    accepted=not reason,
                    reason=reason,
                )
            )
            results.append(ItemResult(key=record["key"], accepted=not reason, reason=reason))
            if not reason:
                self._apply(record, batch.batch_id)
        SimRecord.objects.bulk_create(rows)
        head.records = len(rows)
        head.accepted = sum(1 for r in results if r.accepted)
        head.rejected = head.records - head.accepted
        head.save(update_fields=["records", "accepted", "rejected"])
        return BatchAck(batch_id=batch.batch_id, reference=head.reference, results=tuple(results))

    @staticmethod
    def _apply(record: dict, batch_id: str) -> None:
        as_of = dt.date.fromisoformat(record["as_of"])
        current = (
            SimLoanState.objects.select_for_update().filter(contract_number=record["contract_number"]).first()
        )
        if current is not None and record["kind"] == "daily" and current.as_of > as_of:
            return  # an older daily state never overwrites a newer one
        values = {
            "subject_id": record["subject_id"],
            "status": record["status"],
            "as_of": as_of,
            "days_past_due": record["days_past_due"],
            "debt": sum(record[name] for name in DEBT),
            "payload": record,
            "batch_id": batch_id,
        }
        SimLoanState.objects.update_or_create(contract_number=record["contract_number"], defaults=values)
