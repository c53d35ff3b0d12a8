"""The audit hash chain, the hub's checkpoint key and checkpoints; the database refuses rewrites.

Rows that exist already are chained in the order they happened, then the sequence becomes
required and unique. From then on a trigger refuses UPDATE (and, on PostgreSQL, DELETE) of audit
rows and checkpoints: raw SQL and console sessions cannot rewrite the trail either. SQLite keeps
DELETE for the test runner, which empties tables with it between tests.
"""

from django.db import migrations, models
from django.utils import timezone

TABLES = ("audit_auditevent", "audit_auditcheckpoint")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION saraban_refuse_rewrite() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'rows of ' || TG_TABLE_NAME || ' are append-only',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def chain_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from audit.chain import CHAINED_FIELDS, GENESIS_HASH, link_hash

    event_model = apps.get_model("audit", "AuditEvent")
    head_model = apps.get_model("audit", "AuditChainHead")
    previous, sequence = GENESIS_HASH, 0
    for event in event_model.objects.order_by("occurred_at", "id").iterator():
        sequence += 1
        event.sequence, event.prev_hash = sequence, previous
        fields = {name: getattr(event, name) for name in ("id", *CHAINED_FIELDS)}
        event.hash = link_hash(previous, fields)
        event_model.objects.filter(pk=event.pk).update(
            sequence=event.sequence, prev_hash=event.prev_hash, hash=event.hash
        )
        previous = event.hash
    head_model.objects.create(pk=1, sequence=sequence, hash=previous)


def create_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(POSTGRES_FUNCTION)
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION saraban_refuse_rewrite();"
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only'); END;"
            )


def drop_triggers(apps, schema_editor):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name="AuditSigningKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=timezone.now)),
                ("certificate_pem", models.TextField()),
                ("encrypted_private_key", models.BinaryField()),
            ],
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(verbose_name="sequence")),
                ("head_hash", models.CharField(max_length=64, verbose_name="head hash")),
                ("signed_at", models.DateTimeField(default=timezone.now, verbose_name="signed at")),
                ("signature", models.BinaryField()),
                ("certificate_pem", models.TextField()),
            ],
            options={"ordering": ["sequence", "id"]},
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(null=True, verbose_name="sequence"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="sequence"),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "ordering": ["sequence"],
                "verbose_name": "audit event",
                "verbose_name_plural": "audit events",
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
