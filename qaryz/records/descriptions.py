"""Audit event codes as sentences a staff member reads in the audit viewer (ru/kk/en through
gettext). A code missing here gets the generic label of its group ("Loan servicing event") or
"Other event" – never the code itself. Records imports no other room: object types are named from
the model registry's translated ``verbose_name``."""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

L = gettext_lazy

EVENTS: dict[str, Any] = {
    # access: clients' and staff sign-in
    "access.cabinet_activated": L("The client activated the cabinet"),
    "access.change_requested": L("A change of sign-in data was requested"),
    "access.locked": L("Sign-in locked after failed attempts"),
    "access.login": L("The client signed in"),
    "access.login_failed": L("Failed sign-in attempt"),
    "access.logout": L("The client signed out"),
    "access.password_changed": L("The client changed the password"),
    "access.password_recovered": L("The client recovered the password"),
    "access.second_factor_reset": L("The client's second factor was reset to SMS codes"),
    "access.totp_disabled": L("Authenticator app switched off"),
    "access.totp_enrolled": L("Authenticator app set up"),
    "access.unlocked": L("Sign-in unlocked by staff"),
    "access.webauthn_clone_suspected": L("A security key looks copied"),
    "access.webauthn_disabled": L("Security keys switched off"),
    "access.webauthn_enrol_failed": L("A security key could not be added"),
    "access.webauthn_enrolled": L("Security key added"),
    "access.webauthn_removed": L("Security key removed"),
    "access.webauthn_selected": L("Security keys chosen as the second factor"),
    "auth.login": L("Signed in"),
    "auth.login_failed": L("Failed sign-in attempt"),
    "auth.logout": L("Signed out"),
    "auth.group.permissions": L("Permissions of a role changed"),
    "auth.user.groups": L("Roles of a staff member changed"),
    "auth.user.permissions": L("Permissions of a staff member changed"),
    "staff.locked": L("Staff sign-in locked after failed attempts"),
    "staff.login": L("Staff member signed in"),
    "staff.login_failed": L("Failed staff sign-in attempt"),
    "staff.logout": L("Staff member signed out"),
    "staff.password_changed": L("Staff member changed the password"),
    "staff.totp_enrolled": L("Staff member set up an authenticator app"),
    "http.forbidden": L("Access refused: no permission for the page"),
    # staff reading confidential data
    "staff.viewed_client": L("Viewed a client's card"),
    "staff.viewed_client_list": L("Viewed a list with client data"),
    "staff.viewed_loan": L("Viewed a loan card"),
    "staff.viewed_loan_list": L("Viewed the list of loans"),
    "staff.opened_client_document": L("Opened a client's document"),
    "staff.opened_letter_attachment": L("Opened a file attached to a letter"),
    "staff.viewed_letters": L("Viewed the clients' letters"),
    "staff.viewed_letter_thread": L("Viewed a letter thread"),
    "staff.viewed_fraud_case": L("Viewed a fraud-victim case"),
    "staff.viewed_fraud_cases": L("Viewed the fraud-victim cases"),
    "staff.viewed_changed_terms_request": L("Viewed a request for changed terms"),
    "staff.viewed_changed_terms_requests": L("Viewed the requests for changed terms"),
    "staff.viewed_write_offs": L("Viewed the write-offs"),
    "staff.viewed_bureau_reporting": L("Viewed the credit-bureau reporting"),
    "staff.revealed_personal_data": L("Showed masked personal data: %(field)s. Reason: %(reason)s"),
    "staff.exported_report": L("Exported a report (CSV)"),
    "staff.exported_ledger": L("Exported the ledger journal (CSV)"),
    "audit.viewed": L("Viewed the audit trail"),
    "audit.checkpoint": L("Audit trail checkpoint signed"),
    # clients
    "client.registered": L("Client registered"),
    "client.confirmed": L("Client's identity confirmed"),
    "client.updated": L("Client's data updated"),
    "client.address_set": L("Registration address given"),
    "client.bank_details_changed": L("Bank details changed"),
    "client.phone_changed": L("Mobile phone changed"),
    "client.consent_given": L("Consent to personal-data processing given"),
    "client.face_photo": L("Face photo stored"),
    "client.identity_document": L("Identity document recorded"),
    "client.signer_authority": L("Representative's authority recorded"),
    "client.signer_photo": L("Representative's photo stored"),
    "client.signer_updated": L("Representative's data updated"),
    # biometrics and signatures
    "biometrics.session_started": L("Biometric check started"),
    "biometrics.submission_refused": L("Biometric check refused"),
    "biometrics.verification_consumed": L("Biometric check used for an operation"),
    "biometrics.document_accepted": L("Identity-card photo accepted"),
    "biometrics.document_rejected": L("Identity-card photo refused"),
    "biometrics.same_face_found": L("The same face found under another client"),
    "signatures.request_created": L("Document prepared for signing with EDS"),
    "signatures.signature_accepted": L("EDS signature accepted"),
    "signatures.signature_rejected": L("EDS signature refused"),
    # lending
    "lending.application_draft": L("Application started"),
    "lending.application_submitted": L("Application submitted"),
    "lending.application_checks": L("Application checks started"),
    "lending.application_review": L("Application sent to manual review"),
    "lending.application_approved": L("Application approved"),
    "lending.application_declined": L("Application declined"),
    "lending.application_signed": L("Contract signed for the application"),
    "lending.application_disbursed": L("Application disbursed"),
    "lending.application_cancelled": L("Application cancelled"),
    "lending.aml_hold_released": L("AML hold released"),
    "lending.pep_enhanced_review": L("Enhanced review of a politically exposed person"),
    "lending.disclosure_acknowledged": L("Client acknowledged a disclosure"),
    "lending.disbursement_chosen": L("Client chose how to receive the money"),
    "lending.contract_prepared": L("Contract prepared"),
    "lending.contract_redrafted": L("Contract prepared again"),
    "lending.contract_signed": L("Contract signed"),
    "lending.amendment_signed": L("Contract amendment signed"),
    "lending.amendment_prepared": L("Contract amendment prepared"),
    "lending.amendment_refused": L("Contract amendment refused"),
    "lending.amendment_withdrawn": L("Contract amendment withdrawn"),
    "lending.signing_request_replaced": L("Signing request replaced"),
    "lending.product_version_saved": L("Product version saved"),
    "lending.rule_set_saved": L("Legal rule set saved"),
    # compliance
    "compliance.screened": L("Checked against the AML lists"),
    "compliance.screening_reviewed": L("AML officer concluded on a possible match"),
    "compliance.rescreen_hit": L("New possible match after a list update"),
    "compliance.list_imported": L("AML list imported"),
    # servicing
    "servicing.loan_booked": L("Loan booked"),
    "servicing.loan_disbursed": L("Loan disbursed"),
    "servicing.loan_closed": L("Loan repaid and closed"),
    "servicing.loan_suspended": L("Loan servicing suspended"),
    "servicing.loan_resumed": L("Loan servicing resumed"),
    "servicing.disbursement_consent": L("Client consented to the payout"),
    "servicing.payout_requested": L("Payout requested"),
    "servicing.payout_sent": L("Payout sent to the bank"),
    "servicing.payout_refused": L("Payout refused"),
    "servicing.payout_send_unknown": L("Payout outcome unknown, to reconcile"),
    "servicing.payouts_reconciled": L("Payouts reconciled with the bank"),
    "servicing.cash_paid_out": L("Cash paid out at the desk"),
    "servicing.payment_posted": L("Payment posted"),
    "servicing.early_repayment": L("Early repayment"),
    "servicing.refund_requested": L("Refund of an overpayment requested"),
    "servicing.refund_paid": L("Overpayment refunded"),
    "servicing.refund_payout_requested": L("Refund payout requested"),
    "servicing.refund_payout_sent": L("Refund payout sent"),
    "servicing.refund_send_unknown": L("Refund outcome unknown, to reconcile"),
    "servicing.refund_of_everything_paid": L("Everything paid refunded"),
    "servicing.restructuring_prepared": L("Restructuring prepared"),
    "servicing.restructuring_applied": L("Restructuring applied"),
    "servicing.restructuring_withdrawn": L("Restructuring withdrawn"),
    "servicing.statement_line_unmatched": L("Bank statement line not matched to a loan"),
    "servicing.suspense_received": L("Unidentified payment received"),
    "servicing.suspense_assigned": L("Unidentified payment assigned to a loan"),
    "servicing.delay_notice_sent": L("Delay notice sent"),
    # collections, letters, fraud cases, incidents, bureau
    "collections.action_logged": L("Collection action recorded"),
    "collections.changed_terms_requested": L("Client asked for changed terms"),
    "collections.changed_terms_approved": L("Changed terms approved"),
    "collections.changed_terms_refused": L("Changed terms refused"),
    "collections.closing_letter_sent": L("Closing letter sent"),
    "collections.write_off_proposed": L("Write-off proposed"),
    "collections.write_off_approved": L("Write-off approved"),
    "collections.write_off_rejected": L("Write-off rejected"),
    "correspondence.thread_opened": L("Client opened a letter thread"),
    "correspondence.client_wrote": L("Client wrote a letter"),
    "correspondence.staff_replied": L("Staff answered a letter"),
    "correspondence.assigned": L("Letter assigned to a staff member"),
    "correspondence.read_by_client": L("Client read the answer"),
    "fraudcases.case_registered": L("Fraud-victim case registered"),
    "fraudcases.case_suspended": L("Fraud-victim case: servicing suspended"),
    "fraudcases.case_resumed": L("Fraud-victim case: servicing resumed"),
    "fraudcases.verdict_recorded": L("Fraud-victim case: verdict recorded"),
    "fraudcases.verdict_measures": L("Fraud-victim case: measures after the verdict"),
    "fraudcases.document_added": L("Fraud-victim case: document added"),
    "fraudcases.deadlines_checked": L("Fraud-victim case deadlines checked"),
    "incidents.reported": L("Incident registered"),
    "bureau.feed_generated": L("Credit-bureau feed prepared"),
    "bureau.feed_sent": L("Credit-bureau feed sent"),
    "bureau.batch_acknowledged": L("Credit bureau acknowledged a batch"),
    "bureau.batch_failed": L("Credit bureau refused a batch"),
    "bureau.pending_not_sent": L("Credit-bureau data waiting to be sent"),
    "bureau.responsible_person_added": L("Person responsible for bureau reporting appointed"),
    "bureau.responsible_person_ended": L("Person responsible for bureau reporting relieved"),
    "bureau.suspension_recorded": L("Credit bureau: suspension recorded"),
    "bureau.correction_recorded": L("Credit bureau: correction recorded"),
    # the vault
    "document.stored": L("Document stored in the vault"),
    "document.purged": L("Document deleted after its retention period"),
    "document.purge_failed": L("Document could not be deleted after its retention period"),
    "receipt.downloaded": L("Receipt downloaded"),
    "vault.kek_rotated": L("Vault key rotated"),
    "vault.obligations_end_set": L("Retention of documents set"),
    "vault.orphan_deleted": L("Unreferenced vault file deleted"),
    "vault.orphans_swept": L("Unreferenced vault files swept"),
}

# The first part of a code: the group, used for the filter and for codes missing above.
GROUPS: dict[str, Any] = {
    "access": L("Client sign-in"),
    "auth": L("Sign-in and roles"),
    "staff": L("Staff actions"),
    "http": L("Access refused"),
    "audit": L("Audit trail"),
    "client": L("Clients"),
    "biometrics": L("Biometrics"),
    "signatures": L("Electronic signatures"),
    "lending": L("Applications and contracts"),
    "compliance": L("AML"),
    "servicing": L("Loan servicing"),
    "collections": L("Collections"),
    "correspondence": L("Letters"),
    "fraudcases": L("Fraud-victim cases"),
    "incidents": L("Incidents"),
    "bureau": L("Credit bureau"),
    "document": L("Document vault"),
    "vault": L("Document vault"),
    "receipt": L("Receipts"),
    "antifraud": L("Antifraud"),
}

# Automatic audit of model changes (records.auditing): "<app>.<model>.created" etc.
_CHANGES: dict[str, Any] = {
    "created": L("Record created: %(object)s"),
    "changed": L("Record changed: %(object)s"),
    "deleted": L("Record deleted: %(object)s"),
}

# Detail values worth a sentence: the field a reveal showed.
FIELD_LABELS: dict[str, Any] = {
    "id_number": L("IIN / BIN"),
    "phone": L("mobile phone"),
    "document": L("identity document number"),
    "iban": L("bank details"),
    "signer_iin": L("signer's IIN"),
    "signer_document": L("signer's document number"),
}


def object_label(target_type: str) -> str:
    """``clients.client`` → "client" in the reader's language; unknown → "object"."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return _("object")
    return str(model._meta.verbose_name)


def _data(raw: str) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def describe(action: str, data: str = "{}", target_type: str = "") -> str:
    """The sentence for one audit event."""
    sentence = EVENTS.get(action)
    if sentence is not None:
        if action == "staff.revealed_personal_data":
            details = _data(data)
            field = str(FIELD_LABELS.get(str(details.get("field", "")), _("personal data")))
            return str(sentence) % {"field": field, "reason": str(details.get("reason", "—"))[:300]}
        return str(sentence)
    head, _sep, tail = action.rpartition(".")
    if tail in _CHANGES and head.count(".") == 1:
        return str(_CHANGES[tail]) % {"object": object_label(head)}
    group = GROUPS.get(action.split(".", 1)[0])
    if group is not None:
        return _("%(group)s: other event") % {"group": group}
    return _("Other event")


def group_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for prefix, label in GROUPS.items():
        seen.setdefault(str(label), prefix)
    return sorted(((prefix, label) for label, prefix in seen.items()), key=lambda item: item[1])


def prefixes_of(group: str) -> list[str]:
    """Every code prefix filed under the same group label as ``group`` (vault and documents)."""
    label = GROUPS.get(group)
    if label is None:
        return []
    return [prefix for prefix, other in GROUPS.items() if str(other) == str(label)]
