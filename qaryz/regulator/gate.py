"""The blocking check on the clients' side (R-REG-1..2, Rules §4–5): a lending service is offered
through a channel only once the notice listing it is in effect.

Which channel a request comes through: a page of the site is the web cabinet (kind ``web``), a call
to ``/api/v1/`` the mobile application (kind ``mobile_app``). The channel is the one named by
``settings.REGULATOR_WEB_CHANNEL`` / ``REGULATOR_APP_CHANNEL``; blank means the only channel of
that kind in the register (none or several: nothing is offered, and it is logged).

Which service a route provides is the table ``SERVICE_OF_ROUTE`` (URL names, API routes); routes that are not a
lending service (sign-in, the MFO's details, notifications, device security, staff pages,
providers' webhooks, public calculators) are listed in ``NOT_A_SERVICE``. A test walks the URL conf
so that a new client route must be put in one of the two. ``RegulatorGateMiddleware`` applies it.

``settings.REGULATOR_CHANNEL_CHECK`` switches the check (on by default; the test suite switches it
off except in the tests of the check itself, since other rooms' tests do not seed channels).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from qaryz.core.request_context import get_request_id
from qaryz.regulator.models import Channel, Service
from qaryz.regulator.selectors import services_in_effect

logger = logging.getLogger("qaryz.regulator.gate")

ERROR_CODE = "channel_not_in_effect"
S = Service

# Route key (a page's URL name; an API call's route, since API operation names repeat) -> the service of the list in the notice (regulator.models.Service) the route provides.
SERVICE_OF_ROUTE: dict[str, str] = {
    # registration in the personal cabinet
    **dict.fromkeys(
        [
            "access:register",
            "access:register-code",
            "access:register-password",
            "access:finish-registration",
            "access:registration-sign",
            "access:representative",
            "api/v1/access/register/consent",
            "api/v1/access/register",
            "api/v1/access/register/verify",
            "api/v1/access/register/complete",
            "api/v1/access/register/representative",
            "api/v1/access/register/signing",
        ],
        S.REGISTRATION,
    ),
    # applying for a microcredit
    **dict.fromkeys(
        [
            "lending:applications",
            "lending:apply",
            "lending:create",
            "lending:application",
            "lending:acknowledge",
            "lending:disbursement",
            "lending:submit",
            "api/v1/applications",
            "api/v1/applications",
            "api/v1/applications/<application_id>/history",
            "api/v1/applications/<application_id>",
            "api/v1/applications/<application_id>/disclosures",
            "api/v1/applications/<application_id>/acknowledgements",
            "api/v1/applications/<application_id>/disbursement",
            "api/v1/applications/<application_id>/submit",
        ],
        S.APPLICATION,
    ),
    # signing the contract (its biometric identification and EDS steps are shared, see NOT_A_SERVICE)
    **dict.fromkeys(
        [
            "lending:contract",
            "lending:contract-pdf",
            "lending:sign",
            "lending:contract-address",
            "api/v1/applications/<application_id>/contract",
            "api/v1/applications/<application_id>/contract.pdf",
            "api/v1/applications/<application_id>/contract/signing",
            "api/v1/applications/<application_id>/contract/sign",
            "api/v1/applications/<application_id>/contract/address",
        ],
        S.SIGNING,
    ),
    # disbursement
    **dict.fromkeys(
        [
            "servicing:payout",
            "servicing:payout-consent",
            "servicing:payout-request",
            "api/v1/servicing/loans/<loan_id>/payout",
            "api/v1/servicing/loans/<loan_id>/payout",
            "api/v1/servicing/loans/<loan_id>/payout/consent",
        ],
        S.PAYOUT,
    ),
    # repayment (a card payment, how to pay, a refund of an overpayment)
    **dict.fromkeys(
        [
            "servicing:pay-card",
            "servicing:refund-request",
            "api/v1/servicing/loans/<loan_id>/card-payment",
            "api/v1/servicing/loans/<loan_id>/how-to-repay",
            "api/v1/servicing/loans/<loan_id>/refund",
        ],
        S.REPAYMENT,
    ),
    **dict.fromkeys(
        [
            "servicing:early-repayment",
            "api/v1/servicing/loans/<loan_id>/early-repayment/quote",
            "api/v1/servicing/loans/<loan_id>/early-repayment",
        ],
        S.EARLY_REPAYMENT,
    ),
    # changing the terms: amendments, restructuring, the changed terms offered in collections
    **dict.fromkeys(
        [
            "lending:amendment-new",
            "lending:amendment",
            "lending:amendment-pdf",
            "lending:amendment-sign",
            "lending:amendment-withdraw",
            "servicing:restructuring-new",
            "servicing:restructuring",
            "servicing:restructuring-pdf",
            "servicing:restructuring-sign",
            "servicing:restructuring-withdraw",
            "collections:changed-terms",
            "api/v1/applications/<application_id>/contract/amendments",
            "api/v1/applications/<application_id>/contract/amendments",
            "api/v1/applications/<application_id>/contract/amendments/<sequence>.pdf",
            "api/v1/applications/<application_id>/contract/amendments/<sequence>",
            "api/v1/applications/<application_id>/contract/amendments/<sequence>/signing",
            "api/v1/applications/<application_id>/contract/amendments/<sequence>/sign",
            "api/v1/applications/<application_id>/contract/amendments/<sequence>/withdraw",
            "api/v1/servicing/loans/<loan_id>/restructurings",
            "api/v1/servicing/loans/<loan_id>/restructurings",
            "api/v1/servicing/loans/<loan_id>/restructurings/<sequence>.pdf",
            "api/v1/servicing/loans/<loan_id>/restructurings/<sequence>",
            "api/v1/servicing/loans/<loan_id>/restructurings/<sequence>/signing",
            "api/v1/servicing/loans/<loan_id>/restructurings/<sequence>/sign",
            "api/v1/servicing/loans/<loan_id>/restructurings/<sequence>/withdraw",
            "api/v1/collections/loans/<loan_id>/changed-terms",
            "api/v1/collections/loans/<loan_id>/changed-terms",
        ],
        S.AMENDMENTS,
    ),
    # information on the loan, its schedule and payments
    **dict.fromkeys(
        [
            "servicing:loans",
            "servicing:loan",
            "servicing:payments",
            "servicing:receipt",
            "api/v1/servicing/loans",
            "api/v1/servicing/loans/<loan_id>",
            "api/v1/servicing/loans/<loan_id>/schedule",
            "api/v1/servicing/loans/<loan_id>/transactions",
            "api/v1/servicing/loans/<loan_id>/payments",
            "api/v1/records/receipts",
            "api/v1/records/receipts/<receipt_id>.<fmt>",
        ],
        S.INFORMATION,
    ),
    # letters between the client and the MFO
    **dict.fromkeys(
        [
            "correspondence:threads",
            "correspondence:new",
            "correspondence:thread",
            "correspondence:reply",
            "correspondence:attachment",
            "api/v1/correspondence/topics",
            "api/v1/correspondence/threads",
            "api/v1/correspondence/threads",
            "api/v1/correspondence/threads/<thread_id>",
            "api/v1/correspondence/threads/<thread_id>/messages",
            "api/v1/correspondence/threads/<thread_id>/attachments",
            "api/v1/correspondence/threads/<thread_id>/attachments/<attachment_id>",
            "api/v1/correspondence/threads/<thread_id>/read",
        ],
        S.LETTERS,
    ),
    # changing the phone number and the bank account
    **dict.fromkeys(
        [
            "access:change-start",
            "access:change-steps",
            "api/v1/access/changes",
            "api/v1/access/changes/<step_id>",
            "api/v1/access/changes/<step_id>/phone-code",
            "api/v1/access/changes/<step_id>/signing",
            "api/v1/access/changes/<step_id>/apply",
        ],
        S.CHANGE_DETAILS,
    ),
}

# Client-facing routes that are not a lending service: always served (a client of a channel not in
# effect can still sign in, read the MFO's details and notifications, and secure the account).
NOT_A_SERVICE: frozenset[str] = frozenset(
    {
        "home",
        "brand-css",
        "set_language",
        "javascript-catalog",
        "access:login",
        "access:login-code",
        "access:login-key-options",
        "access:login-key-verify",
        "access:logout",
        "access:recover-password",
        "access:recover-code",
        "access:recover-new",
        "access:change-password",
        "access:second-factor",
        "access:key-options",
        "access:key-verify",
        "access:key-remove",
        "devices:security",
        "devices:revoke-session",
        "devices:revoke-device",
        "cabinet:home",
        "cabinet:mfo",
        "cabinet:notifications",
        "cabinet:notification-read",
        "records:public-key",
        # steps shared by several services (registration, signing, a change of details, a
        # payout's repeat identification): the service that starts them is the one checked
        "signatures:sign",
        "signatures:demo-sign",
        "signatures:document",
        "biometrics:verify",
        "biometrics:start",
        "biometrics:frames",
        "biometrics:document",
        "api/v1/signatures/requests/<request_id>",
        "api/v1/signatures/requests/<request_id>/submit",
        "api/v1/biometrics/sessions",
        "api/v1/biometrics/sessions/<session_id>/frames",
        "api/v1/biometrics/document",
        "api/v1/biometrics/verifications/<verification_id>",
        # the demo card acquirer's page and providers' calls (not the client's channel)
        "servicing:demo-acquirer",
        "servicing:payout-webhook",
        "servicing:acquirer-webhook",
        # staff pages outside /backoffice/ (the back office is not a channel to clients)
        "servicing:cash-desk-payment",
        "servicing:suspense",
        "servicing:suspense-assign",
        "servicing:suspense-return",
        "bureau:reporting",
        "records:audit-log",
        # the API's documents, health, public calculators, session and device calls
        "api/v1/openapi.json",
        "api/v1/docs",
        "api/v1/",
        "api/v1/health",
        "api/v1/schedules/preview",
        "api/v1/products",
        "api/v1/products/<code>/offers",
        "api/v1/records/public-key",
        "api/v1/access/otp/resend",
        "api/v1/access/login",
        "api/v1/access/login/verify",
        "api/v1/access/login/key/options",
        "api/v1/access/login/key/verify",
        "api/v1/access/recover",
        "api/v1/access/recover/verify",
        "api/v1/access/recover/complete",
        "api/v1/access/logout",
        "api/v1/access/me",
        "api/v1/access/password",
        "api/v1/access/second-factor",
        "api/v1/access/second-factor/totp/start",
        "api/v1/access/second-factor/totp",
        "api/v1/access/second-factor/sms",
        "api/v1/access/second-factor/keys/options",
        "api/v1/access/second-factor/keys",
        "api/v1/access/second-factor/keys/use",
        "api/v1/access/second-factor/keys/<key_id>/remove",
        "api/v1/messages/notifications",
        "api/v1/messages/notifications/<notification_id>/read",
        "api/v1/cabinet/mfo",
        "api/v1/cabinet/profile",
        "api/v1/cabinet/language",
        "api/v1/devices/version",
        "api/v1/devices/token",
        "api/v1/devices/bind",
        "api/v1/devices/current",
        "api/v1/devices/current/integrity/nonce",
        "api/v1/devices/current/integrity",
        "api/v1/devices/security",
        "api/v1/devices/sessions/<session_id>/revoke",
        "api/v1/devices/<device_id>/revoke",
    }
)


@dataclass(frozen=True)
class Refusal:
    channel: Channel | None
    service: str
    message: str


def channel_kind(request: HttpRequest) -> str:
    return Channel.Kind.MOBILE_APP if request.path.startswith("/api/") else Channel.Kind.WEB


def channel_for(kind: str) -> Channel | None:
    """The register's channel the site's web pages (``web``) or the API (``mobile_app``) are."""
    name = settings.REGULATOR_WEB_CHANNEL if kind == Channel.Kind.WEB else settings.REGULATOR_APP_CHANNEL
    channels = Channel.objects.select_related("live_notice").filter(kind=kind)
    if name:
        return channels.filter(name=name).first()
    found = list(channels[:2])
    if len(found) != 1:
        logger.warning(
            "No single %s channel in the register (%d found): nothing is offered", kind, len(found)
        )
        return None
    return found[0]


def refusal(kind: str, service: str) -> Refusal | None:
    """None when the channel of ``kind`` may offer ``service`` (its notice in effect lists it)."""
    channel = channel_for(kind)
    if channel is not None and service in services_in_effect(channel):
        return None
    label = Service(service).label
    if channel is None:
        message = _(
            "The service «%(service)s» is not available here: this channel is not notified to the authority."
        ) % {"service": label}
    else:
        message = _(
            "The service «%(service)s» is not yet available through «%(channel)s»: the notice to the authority "
            "about it has not taken effect yet. Please use another channel of the MFO or try again later."
        ) % {"service": label, "channel": channel.name}
    return Refusal(channel, service, message)


def route_key(request: HttpRequest) -> str:
    match = request.resolver_match
    if match is None:
        return ""
    return match.route if request.path.startswith("/api/") else match.view_name


def service_of(key: str) -> str | None:
    return SERVICE_OF_ROUTE.get(key)


class RegulatorGateMiddleware:
    """Refuses a route whose service the request's channel does not offer: the API with 403
    ``channel_not_in_effect``, a page with the refusal page (403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not settings.REGULATOR_CHANNEL_CHECK or request.resolver_match is None:
            return None
        service = service_of(route_key(request))
        if service is None:
            return None
        kind = channel_kind(request)
        refused = refusal(kind, service)
        if refused is None:
            return None
        logger.info("Refused %s through the %s channel: notice not in effect", service, kind)
        if kind == Channel.Kind.MOBILE_APP:
            return JsonResponse(
                {"error": ERROR_CODE, "reference": get_request_id(), "detail": refused.message}, status=403
            )
        html = render_to_string(
            "regulator/not_in_effect.html",
            {"message": refused.message, "reference": get_request_id()},
            request=request,
        )
        return HttpResponse(html, status=403)
