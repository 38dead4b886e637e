"""Automatic auditing of the models that matter (R-AUD-1).

Any room registers its models once, e.g. in its AppConfig.ready()::

    from qaryz.records.auditing import track
    track(Contract, sensitive={"iban"})

and every create, change and delete of a row is written to the audit trail with the changed
fields (old → new). Sensitive fields (personal data, secrets) are recorded as keyed digests only,
so the trail proves what changed without spreading the values.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

_encoder = DjangoJSONEncoder()
_registry: dict[type[models.Model], TrackSpec] = {}


class TrackSpec:
    def __init__(
        self,
        model: type[models.Model],
        fields: Iterable[str] | None,
        exclude: Iterable[str],
        sensitive: Iterable[str],
        category: str,
        label: str | None,
    ) -> None:
        concrete = {f.name: f for f in model._meta.concrete_fields}
        names = list(fields) if fields is not None else [n for n in concrete if not concrete[n].primary_key]
        unknown = [n for n in [*names, *exclude, *sensitive] if n not in concrete]
        if unknown:
            raise ValueError(f"{model._meta.label}: unknown field(s) {unknown}")
        self.fields = [concrete[n] for n in names if n not in set(exclude)]
        self.attnames = [f.attname for f in self.fields]
        self.sensitive = {concrete[n].attname for n in sensitive}
        self.category = category
        self.label = label or model._meta.label_lower


def _digest(value: Any) -> str:
    key = hashlib.sha256(b"qaryz-audit-digest:" + settings.SECRET_KEY.encode()).digest()
    text = json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True)
    return "hmac:" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return _encoder.default(value) if not isinstance(value, bytes) else f"<{len(value)} bytes>"


def _shown(spec: TrackSpec, attname: str, value: Any) -> Any:
    return _digest(value) if attname in spec.sensitive and value not in (None, "") else _plain(value)


def track(
    model: type[models.Model],
    *,
    fields: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    sensitive: Iterable[str] = (),
    category: str = "business",
    label: str | None = None,
) -> None:
    """Audit every save and delete of ``model`` (idempotent: registering twice replaces)."""
    _registry[model] = TrackSpec(model, fields, exclude, sensitive, category, label)
    uid = f"records-track-{model._meta.label_lower}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre", weak=False)
    post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post", weak=False)
    post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-delete", weak=False)


def track_m2m(through: type[models.Model], *, action: str, category: str = "security") -> None:
    """Audit additions/removals on a many-to-many relation (group membership, permissions)."""

    def handler(sender, instance, action: str = "", reverse=False, model=None, pk_set=None, **kwargs) -> None:
        if action not in {"post_add", "post_remove", "post_clear"}:
            return
        from qaryz.records.services import record_event

        related = []
        if pk_set and model is not None:
            related = [str(obj) for obj in model._default_manager.filter(pk__in=pk_set)][:50]
        record_event(
            f"{event_action}.{action.removeprefix('post_')}",
            category=category,
            target=instance,
            data={"related": sorted(related), "related_ids": sorted(str(pk) for pk in (pk_set or ()))},
        )

    event_action = action
    m2m_changed.connect(
        handler, sender=through, dispatch_uid=f"records-m2m-{through._meta.label_lower}", weak=False
    )


def _before_save(sender, instance, raw=False, **kwargs) -> None:
    spec = _registry.get(sender)
    if spec is None or raw or instance._state.adding or instance.pk is None:
        instance._records_before = None
        return
    instance._records_before = sender._default_manager.filter(pk=instance.pk).values(*spec.attnames).first()


def _after_save(sender, instance, created: bool, raw=False, update_fields=None, **kwargs) -> None:
    spec = _registry.get(sender)
    if spec is None or raw:
        return
    from qaryz.records.services import record_event

    if created:
        values = {a: _shown(spec, a, getattr(instance, a)) for a in spec.attnames}
        record_event(
            f"{spec.label}.created", category=spec.category, target=instance, data={"fields": values}
        )
        return
    before = getattr(instance, "_records_before", None) or {}
    changes = {}
    for attname in spec.attnames:
        if (
            update_fields is not None
            and attname not in update_fields
            and attname.removesuffix("_id") not in (update_fields)
        ):
            continue
        old, new = before.get(attname), getattr(instance, attname)
        if old != new:
            changes[attname] = [_shown(spec, attname, old), _shown(spec, attname, new)]
    if changes:
        record_event(
            f"{spec.label}.changed", category=spec.category, target=instance, data={"changes": changes}
        )


def _after_delete(sender, instance, **kwargs) -> None:
    spec = _registry.get(sender)
    if spec is None:
        return
    from qaryz.records.services import record_event

    values = {a: _shown(spec, a, getattr(instance, a, None)) for a in spec.attnames}
    record_event(f"{spec.label}.deleted", category=spec.category, target=instance, data={"fields": values})


def register_defaults() -> None:
    """The models that matter and that exist before other rooms register their own."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    # Staff accounts and roles are security-relevant (R-SEC-1); the password only as "changed".
    track(
        user_model,
        fields=[
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ],
        sensitive={"password", "email", "first_name", "last_name"},
        category="security",
        label="auth.user",
    )
    track(Group, category="security")
    track_m2m(user_model.groups.through, action="auth.user.groups")
    track_m2m(user_model.user_permissions.through, action="auth.user.permissions")
    track_m2m(Group.permissions.through, action="auth.group.permissions")
    try:
        client_model = apps.get_model("clients", "Client")
    except LookupError:
        client_model = None
    if client_model is not None:
        personal = {"iin", "bin", "surname", "given_name", "patronymic", "legal_name", "phone", "address"}
        present = {f.name for f in client_model._meta.concrete_fields}
        track(client_model, sensitive=personal & present, label="clients.client")
    try:
        profile_model = apps.get_model("core", "MfoProfile")
    except LookupError:
        profile_model = None
    if profile_model is not None:
        # Configuration changes are security events (R-SEC-1).
        track(profile_model, exclude=["updated_at", "logo_svg"], category="security", label="core.mfoprofile")
