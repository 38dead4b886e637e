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

EVENTS: dict[str, Any] = {
    # access: clients' and staff sign-in
    "access.cabinet_activated": gettext_lazy("The client activated the cabinet"),
    "access.change_requested": gettext_lazy("A change of sign-in data was requested"),
    "access.locked": gettext_lazy("Sign-in locked after failed attempts"),
    "access.login": gettext_lazy("The client signed in"),
    "access.login_failed": gettext_lazy("Failed sign-in attempt"),
    "access.logout": gettext_lazy("The client signed out"),
    "access.password_changed": gettext_lazy("The client changed the password"),
    "access.password_recovered": gettext_lazy("The client recovered the password"),
    "access.second_factor_reset": gettext_lazy("The client's second factor was reset to SMS codes"),
    "access.totp_disabled": gettext_lazy("Authenticator app switched off"),
    "access.totp_enrolled": gettext_lazy("Authenticator app set up"),
    "access.unlocked": gettext_lazy("Sign-in unlocked by staff"),
    "access.webauthn_clone_suspected": gettext_lazy("A security key looks copied"),
    "access.webauthn_disabled": gettext_lazy("Security keys switched off"),
    "access.webauthn_enrol_failed": gettext_lazy("A security key could not be added"),
    "access.webauthn_enrolled": gettext_lazy("Security key added"),
    "access.webauthn_removed": gettext_lazy("Security key removed"),
    "access.webauthn_selected": gettext_lazy("Security keys chosen as the second factor"),
    "auth.login": gettext_lazy("Signed in"),
    "auth.login_failed": gettext_lazy("Failed sign-in attempt"),
    "auth.logout": gettext_lazy("Signed out"),
    "auth.group.permissions": gettext_lazy("Permissions of a role changed"),
    "auth.user.groups": gettext_lazy("Roles of a staff member changed"),
    "auth.user.permissions": gettext_lazy("Permissions of a staff member changed"),
    "staff.locked": gettext_lazy("Staff sign-in locked after failed attempts"),
    "staff.login": gettext_lazy("Staff member signed in"),
    "staff.login_failed": gettext_lazy("Failed staff sign-in attempt"),
    "staff.logout": gettext_lazy("Staff member signed out"),
    "staff.password_changed": gettext_lazy("Staff member changed the password"),
    "staff.totp_enrolled": gettext_lazy("Staff member set up an authenticator app"),
    "http.forbidden": gettext_lazy("Access refused: no permission for the page"),
    # staff reading confidential data
    "staff.viewed_client": gettext_lazy("Viewed a client's card"),
    "staff.viewed_client_list": gettext_lazy("Viewed a list with client data"),
    "staff.viewed_loan": gettext_lazy("Viewed a loan card"),
    "staff.viewed_loan_list": gettext_lazy("Viewed the list of loans"),
    "staff.opened_client_document": gettext_lazy("Opened a client's document"),
    "staff.opened_letter_attachment": gettext_lazy("Opened a file attached to a letter"),
    "staff.viewed_letters": gettext_lazy("Viewed the clients' letters"),
    "staff.viewed_letter_thread": gettext_lazy("Viewed a letter thread"),
    "staff.viewed_fraud_case": gettext_lazy("Viewed a fraud-victim case"),
    "staff.viewed_fraud_cases": gettext_lazy("Viewed the fraud-victim cases"),
    "staff.viewed_changed_terms_request": gettext_lazy("Viewed a request for changed terms"),
    "staff.viewed_changed_terms_requests": gettext_lazy("Viewed the requests for changed terms"),
    "staff.viewed_write_offs": gettext_lazy("Viewed the write-offs"),
    "staff.viewed_bureau_reporting": gettext_lazy("Viewed the credit-bureau reporting"),
    "staff.revealed_personal_data": gettext_lazy(
        "Showed masked personal data: %(field)s. Reason: %(reason)s"
    ),
    "staff.exported_report": gettext_lazy("Exported a report (CSV)"),
    "staff.exported_ledger": gettext_lazy("Exported the ledger journal (CSV)"),
    "audit.viewed": gettext_lazy("Viewed the audit trail"),
    "audit.checkpoint": gettext_lazy("Audit trail checkpoint signed"),
    # clients
    "client.registered": gettext_lazy("Client registered"),
    "client.confirmed": gettext_lazy("Client's identity confirmed"),
    "client.updated": gettext_lazy("Client's data updated"),
    "client.address_set": gettext_lazy("Registration address given"),
    "client.bank_details_changed": gettext_lazy("Bank details changed"),
    "client.phone_changed": gettext_lazy("Mobile phone changed"),
    "client.consent_given": gettext_lazy("Consent to personal-data processing given"),
    "client.face_photo": gettext_lazy("Face photo stored"),
    "client.identity_document": gettext_lazy("Identity document recorded"),
    "client.signer_authority": gettext_lazy("Representative's authority recorded"),
    "client.signer_photo": gettext_lazy("Representative's photo stored"),
    "client.signer_updated": gettext_lazy("Representative's data updated"),
    # biometrics and signatures
    "biometrics.session_started": gettext_lazy("Biometric check started"),
    "biometrics.submission_refused": gettext_lazy("Biometric check refused"),
    "biometrics.verification_consumed": gettext_lazy("Biometric check used for an operation"),
    "biometrics.document_accepted": gettext_lazy("Identity-card photo accepted"),
    "biometrics.document_rejected": gettext_lazy("Identity-card photo refused"),
    "biometrics.same_face_found": gettext_lazy("The same face found under another client"),
    "signatures.request_created": gettext_lazy("Document prepared for signing with EDS"),
    "signatures.signature_accepted": gettext_lazy("EDS signature accepted"),
    "signatures.signature_rejected": gettext_lazy("EDS signature refused"),
    # lending
    "lending.application_draft": gettext_lazy("Application started"),
    "lending.application_submitted": gettext_lazy("Application submitted"),
    "lending.application_checks": gettext_lazy("Application checks started"),
    "lending.application_review": gettext_lazy("Application sent to manual review"),
    "lending.application_approved": gettext_lazy("Application approved"),
    "lending.application_declined": gettext_lazy("Application declined"),
    "lending.application_signed": gettext_lazy("Contract signed for the application"),
    "lending.application_disbursed": gettext_lazy("Application disbursed"),
    "lending.application_cancelled": gettext_lazy("Application cancelled"),
    "lending.aml_hold_released": gettext_lazy("AML hold released"),
    "lending.pep_enhanced_review": gettext_lazy("Enhanced review of a politically exposed person"),
    "lending.disclosure_acknowledged": gettext_lazy("Client acknowledged a disclosure"),
    "lending.disbursement_chosen": gettext_lazy("Client chose how to receive the money"),
    "lending.contract_prepared": gettext_lazy("Contract prepared"),
    "lending.contract_redrafted": gettext_lazy("Contract prepared again"),
    "lending.contract_signed": gettext_lazy("Contract signed"),
    "lending.amendment_signed": gettext_lazy("Contract amendment signed"),
    "lending.amendment_prepared": gettext_lazy("Contract amendment prepared"),
    "lending.amendment_refused": gettext_lazy("Contract amendment refused"),
    "lending.amendment_withdrawn": gettext_lazy("Contract amendment withdrawn"),
    "lending.signing_request_replaced": gettext_lazy("Signing request replaced"),
    "lending.product_version_saved": gettext_lazy("Product version saved"),
    "lending.rule_set_saved": gettext_lazy("Legal rule set saved"),
    # compliance
    "compliance.screened": gettext_lazy("Checked against the AML lists"),
    "compliance.screening_reviewed": gettext_lazy("AML officer concluded on a possible match"),
    "compliance.rescreen_hit": gettext_lazy("New possible match after a list update"),
    "compliance.list_imported": gettext_lazy("AML list imported"),
    # servicing
    "servicing.loan_booked": gettext_lazy("Loan booked"),
    "servicing.loan_disbursed": gettext_lazy("Loan disbursed"),
    "servicing.loan_closed": gettext_lazy("Loan repaid and closed"),
    "servicing.loan_suspended": gettext_lazy("Loan servicing suspended"),
    "servicing.loan_resumed": gettext_lazy("Loan servicing resumed"),
    "servicing.disbursement_consent": gettext_lazy("Client consented to the payout"),
    "servicing.payout_requested": gettext_lazy("Payout requested"),
    "servicing.payout_sent": gettext_lazy("Payout sent to the bank"),
    "servicing.payout_refused": gettext_lazy("Payout refused"),
    "servicing.payout_send_unknown": gettext_lazy("Payout outcome unknown, to reconcile"),
    "servicing.payouts_reconciled": gettext_lazy("Payouts reconciled with the bank"),
    "servicing.cash_paid_out": gettext_lazy("Cash paid out at the desk"),
    "servicing.cash_payout_identified": gettext_lazy(
        "Client identified at the cash desk, the payout awaits a second approval"
    ),
    "servicing.payout_approval_requested": gettext_lazy("Payout sent for a second approval"),
    "servicing.payout_approved": gettext_lazy("Payout approved by a second staff member"),
    "servicing.payout_rejected": gettext_lazy("Payout rejected at the second approval"),
    "servicing.suspense_return_requested": gettext_lazy("Return of an unidentified payment requested"),
    "servicing.payment_posted": gettext_lazy("Payment posted"),
    "servicing.early_repayment": gettext_lazy("Early repayment"),
    "servicing.refund_requested": gettext_lazy("Refund of an overpayment requested"),
    "servicing.refund_paid": gettext_lazy("Overpayment refunded"),
    "servicing.refund_payout_requested": gettext_lazy("Refund payout requested"),
    "servicing.refund_payout_sent": gettext_lazy("Refund payout sent"),
    "servicing.refund_send_unknown": gettext_lazy("Refund outcome unknown, to reconcile"),
    "servicing.refund_of_everything_paid": gettext_lazy("Everything paid refunded"),
    "servicing.restructuring_prepared": gettext_lazy("Restructuring prepared"),
    "servicing.restructuring_applied": gettext_lazy("Restructuring applied"),
    "servicing.restructuring_withdrawn": gettext_lazy("Restructuring withdrawn"),
    "servicing.statement_line_unmatched": gettext_lazy("Bank statement line not matched to a loan"),
    "servicing.suspense_received": gettext_lazy("Unidentified payment received"),
    "servicing.suspense_assigned": gettext_lazy("Unidentified payment assigned to a loan"),
    "servicing.delay_notice_sent": gettext_lazy("Delay notice sent"),
    "antifraud.reports_resent": gettext_lazy("Reports to the NBRK antifraud centre sent again"),
    # collections, letters, fraud cases, incidents, bureau
    "collections.action_logged": gettext_lazy("Collection action recorded"),
    "collections.changed_terms_requested": gettext_lazy("Client asked for changed terms"),
    "collections.changed_terms_approved": gettext_lazy("Changed terms approved"),
    "collections.changed_terms_refused": gettext_lazy("Changed terms refused"),
    "collections.closing_letter_sent": gettext_lazy("Closing letter sent"),
    "collections.write_off_proposed": gettext_lazy("Write-off proposed"),
    "collections.write_off_approved": gettext_lazy("Write-off approved"),
    "collections.write_off_rejected": gettext_lazy("Write-off rejected"),
    "correspondence.thread_opened": gettext_lazy("Client opened a letter thread"),
    "correspondence.client_wrote": gettext_lazy("Client wrote a letter"),
    "correspondence.staff_replied": gettext_lazy("Staff answered a letter"),
    "correspondence.assigned": gettext_lazy("Letter assigned to a staff member"),
    "correspondence.read_by_client": gettext_lazy("Client read the answer"),
    "fraudcases.case_registered": gettext_lazy("Fraud-victim case registered"),
    "fraudcases.case_suspended": gettext_lazy("Fraud-victim case: servicing suspended"),
    "fraudcases.case_resumed": gettext_lazy("Fraud-victim case: servicing resumed"),
    "fraudcases.verdict_recorded": gettext_lazy("Fraud-victim case: verdict recorded"),
    "fraudcases.verdict_measures": gettext_lazy("Fraud-victim case: measures after the verdict"),
    "fraudcases.document_added": gettext_lazy("Fraud-victim case: document added"),
    "fraudcases.deadlines_checked": gettext_lazy("Fraud-victim case deadlines checked"),
    "incidents.reported": gettext_lazy("Incident registered"),
    "bureau.feed_generated": gettext_lazy("Credit-bureau feed prepared"),
    "bureau.feed_sent": gettext_lazy("Credit-bureau feed sent"),
    "bureau.batch_acknowledged": gettext_lazy("Credit bureau acknowledged a batch"),
    "bureau.batch_failed": gettext_lazy("Credit bureau refused a batch"),
    "bureau.pending_not_sent": gettext_lazy("Credit-bureau data waiting to be sent"),
    "bureau.responsible_person_added": gettext_lazy("Person responsible for bureau reporting appointed"),
    "bureau.responsible_person_ended": gettext_lazy("Person responsible for bureau reporting relieved"),
    "bureau.suspension_recorded": gettext_lazy("Credit bureau: suspension recorded"),
    "bureau.correction_recorded": gettext_lazy("Credit bureau: correction recorded"),
    # the vault
    "document.stored": gettext_lazy("Document stored in the vault"),
    "document.purged": gettext_lazy("Document deleted after its retention period"),
    "document.purge_failed": gettext_lazy("Document could not be deleted after its retention period"),
    "receipt.downloaded": gettext_lazy("Receipt downloaded"),
    "vault.kek_rotated": gettext_lazy("Vault key rotated"),
    "vault.obligations_end_set": gettext_lazy("Retention of documents set"),
    "vault.orphan_deleted": gettext_lazy("Unreferenced vault file deleted"),
    "vault.orphans_swept": gettext_lazy("Unreferenced vault files swept"),
}

# The first part of a code: the group, used for the filter and for codes missing above.
GROUPS: dict[str, Any] = {
    "access": gettext_lazy("Client sign-in"),
    "auth": gettext_lazy("Sign-in and roles"),
    "staff": gettext_lazy("Staff actions"),
    "http": gettext_lazy("Access refused"),
    "audit": gettext_lazy("Audit trail"),
    "client": gettext_lazy("Clients"),
    "biometrics": gettext_lazy("Biometrics"),
    "signatures": gettext_lazy("Electronic signatures"),
    "lending": gettext_lazy("Applications and contracts"),
    "compliance": gettext_lazy("AML"),
    "servicing": gettext_lazy("Loan servicing"),
    "collections": gettext_lazy("Collections"),
    "correspondence": gettext_lazy("Letters"),
    "fraudcases": gettext_lazy("Fraud-victim cases"),
    "incidents": gettext_lazy("Incidents"),
    "bureau": gettext_lazy("Credit bureau"),
    "document": gettext_lazy("Document vault"),
    "vault": gettext_lazy("Document vault"),
    "receipt": gettext_lazy("Receipts"),
    "antifraud": gettext_lazy("Antifraud"),
}

# Automatic audit of model changes (records.auditing): "<app>.<model>.created" etc.
_CHANGES: dict[str, Any] = {
    "created": gettext_lazy("Record created: %(object)s"),
    "changed": gettext_lazy("Record changed: %(object)s"),
    "deleted": gettext_lazy("Record deleted: %(object)s"),
}

# Detail values worth a sentence: the field a reveal showed.
FIELD_LABELS: dict[str, Any] = {
    "id_number": gettext_lazy("IIN / BIN"),
    "phone": gettext_lazy("mobile phone"),
    "document": gettext_lazy("identity document number"),
    "iban": gettext_lazy("bank details"),
    "signer_iin": gettext_lazy("signer's IIN"),
    "signer_document": gettext_lazy("signer's document number"),
}


def object_label(target_type: str) -> str:
    """``clients.client`` → "client" in the reader's language; unknown → "object"."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return _("object")
    if "verbose_name" not in model._meta.original_attrs and model._meta.label_lower != "auth.user":
        return _("object")  # the name Django makes up from the class is English, never translated
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
