"""Refuse UPDATE of register lines and cancellations in the database itself.

The ORM already refuses it (audit.append_only.AppendOnlyModel); the trigger also stops raw SQL, a forgotten
code path or a console session from rewriting a legal record. DELETE is left to the ORM guard
and PROTECT foreign keys, because test databases are flushed with DELETE on SQLite.
"""

from django.db import migrations

TABLES = ("letters_registerentry", "letters_registercancellation")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION saraban_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'rows of ' || TG_TABLE_NAME || ' are immutable',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(POSTGRES_FUNCTION)
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION saraban_refuse_update();"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are immutable'); END;"
            )


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable;")


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
