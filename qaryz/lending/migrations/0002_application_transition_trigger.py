"""The database refuses status changes of an application outside the allowed table
(qaryz.lending.models.TRANSITIONS), whatever code path issues the UPDATE."""

from django.db import migrations

# A frozen copy of qaryz.lending.models.TRANSITIONS at this migration (a test keeps them equal).
TRANSITIONS = {
    "draft": {"submitted", "cancelled"},
    "submitted": {"checks", "cancelled"},
    "checks": {"review", "approved", "declined"},
    "review": {"approved", "declined"},
    "approved": {"signed", "cancelled", "declined"},
    "signed": {"disbursed"},
}
PAIRS = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)


def _allowed_sql(old: str, new: str) -> str:
    same = f"{old} = {new}"
    pairs = " OR ".join(f"({old} = '{a}' AND {new} = '{b}')" for a, b in PAIRS)
    return f"({same} OR {pairs})"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER lending_application_transition BEFORE UPDATE OF status ON lending_application "
            f"FOR EACH ROW WHEN NOT {_allowed_sql('OLD.status', 'NEW.status')} "
            "BEGIN SELECT RAISE(ABORT, 'lending: application status transition not allowed'); END;"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE FUNCTION lending_application_transition() RETURNS trigger AS $$ BEGIN "
            f"IF NOT {_allowed_sql('OLD.status', 'NEW.status')} THEN "
            "RAISE EXCEPTION 'lending: application status transition % -> % not allowed', OLD.status, NEW.status "
            "USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;",
            params=None,  # the % are PL/pgSQL placeholders, not query parameters
        )
        schema_editor.execute(
            "CREATE TRIGGER lending_application_transition BEFORE UPDATE OF status ON lending_application "
            "FOR EACH ROW EXECUTE FUNCTION lending_application_transition();"
        )


def backwards(apps, schema_editor):
    schema_editor.execute("DROP TRIGGER IF EXISTS lending_application_transition" + (
        " ON lending_application" if schema_editor.connection.vendor == "postgresql" else ""
    ))


class Migration(migrations.Migration):
    dependencies = [("lending", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
