"""Background jobs of the records room (django-tasks: in-process or Celery, see settings.TASKS).

Schedule them daily (cron / systemd timer / Celery beat): ``purge_expired_documents_task`` and
``checkpoint_audit_trail_task``, ``sweep_vault_orphans_task``. The management commands of the same names do the same.
"""

from __future__ import annotations

from django_tasks import task

from qaryz.records import services


@task()
def purge_expired_documents_task() -> int:
    return services.purge_expired_documents()


@task()
def checkpoint_audit_trail_task() -> int:
    return services.create_checkpoint().seq


@task()
def sweep_vault_orphans_task() -> int:
    """Delete vault objects of rolled-back transactions (older than the grace period)."""
    return services.sweep_orphan_objects().deleted
