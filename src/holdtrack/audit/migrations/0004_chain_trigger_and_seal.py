"""The keyed chain (ADR 0015), part two.

1. On PostgreSQL the append-only trigger now lets one UPDATE through: the chainer filling a row's empty chain
   fields, and nothing else of the row. Every other UPDATE, a second chaining, and every DELETE stay refused.
2. Seal: every existing event (with its legacy unkeyed hash) and every existing transition is chained under
   the keyed scheme now, so an old database verifies and its legacy chain can no longer be rewritten unnoticed.
"""

from django.db import migrations

TABLES = ("audit_transition", "audit_auditevent")

FORWARD = """
CREATE OR REPLACE FUNCTION holdtrack_append_only_chained() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
       AND (to_jsonb(NEW) - 'chain_seq' - 'chain_key' - 'chain_link')
           = (to_jsonb(OLD) - 'chain_seq' - 'chain_key' - 'chain_link') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
DROP TRIGGER IF EXISTS {t}_append_only ON {t};
CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION holdtrack_append_only_chained();
"""
    for t in TABLES
)

BACKWARD = (
    "".join(
        f"""
DROP TRIGGER IF EXISTS {t}_append_only ON {t};
CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
    FOR EACH ROW EXECUTE FUNCTION holdtrack_append_only();
"""
        for t in TABLES
    )
    + "DROP FUNCTION IF EXISTS holdtrack_append_only_chained();"
)


def triggers_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def triggers_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


def seal(apps, schema_editor):
    from holdtrack.audit.chain import Models, audit_chain

    models = Models(
        apps.get_model("audit", "AuditEvent"),
        apps.get_model("audit", "Transition"),
        apps.get_model("audit", "ChainHead"),
    )
    if models.event.objects.exists() or models.transition.objects.exists():
        audit_chain(models)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]
    operations = [
        migrations.RunPython(triggers_forward, triggers_backward),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
