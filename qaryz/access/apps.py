from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "qaryz.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from django.contrib import admin

        from qaryz.access.admin_guard import guard_admin_site
        from qaryz.access.roles import sync_roles

        # After every app's permissions exist (post_migrate fires per app; the last one wins).
        post_migrate.connect(sync_roles, dispatch_uid="access_sync_roles")
        guard_admin_site(admin.site)
