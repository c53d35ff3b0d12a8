"""Trigram indexes for the inbox search (letters.selectors.inbox_search) on PostgreSQL.

Thai is written without spaces between words, so search is by substring, never by word: the
selector filters with ``icontains``, which Django sends to PostgreSQL as
``UPPER(col::text) LIKE UPPER('%…%')``. A GIN index over exactly that expression with
pg_trgm's ``gin_trgm_ops`` lets PostgreSQL answer such a LIKE from the index instead of reading
every letter. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create
it. SQLite has no such index; the same ``icontains`` works there by scanning.
"""

from django.db import migrations

INDEXES = {
    "letter_subject_trgm": "subject",
    "letter_number_text_trgm": "number_text",
}


def create_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON letters_letter "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops);"
        )


def drop_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name};")
    # The extension stays: other objects may have come to use it.


class Migration(migrations.Migration):
    dependencies = [("letters", "0005_endorsements_assignments_display_preference")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
