"""The keyed chain (ADR 0015), part two.

1. On PostgreSQL the append-only trigger now lets one UPDATE through: the chainer filling a row's empty chain
   fields, and nothing else of the row. Every other UPDATE, a second chaining, and every DELETE stay refused.
2. Seal: every existing event (with its legacy unkeyed hash) and every existing transition is chained under
   the keyed scheme now, so an old database verifies and its legacy chain can no longer be rewritten unnoticed,
   and a first signed checkpoint is written to ``HOLDTRACK_VAR_DIR/audit-seal-checkpoint.json``.
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


def legacy_chain_problem(event_model) -> str:
    """Re-check the unkeyed chain before sealing it, so a database tampered with before the upgrade says so
    instead of having its history blessed silently. Returns "" when it holds."""
    import hashlib

    from holdtrack.audit.chain import canonical
    from holdtrack.core.timeutil import iso

    prev, n = "0" * 64, 0
    for e in event_model.objects.exclude(hash=None).order_by("id").iterator(chunk_size=5000):
        payload = {
            "at": iso(e.at),
            "actor_id": e.actor_id,
            "actor_role": e.actor_role,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": str(e.entity_id),
            "data": e.data,
        }
        if e.prev_hash != prev or hashlib.sha256((prev + canonical(payload)).encode()).hexdigest() != e.hash:
            return f"legacy audit chain broken at event {e.id} after {n} events"
        prev, n = e.hash, n + 1
    return ""


def seal(apps, schema_editor):
    from holdtrack.audit.chain import Models, audit_chain

    models = Models(
        apps.get_model("audit", "AuditEvent"),
        apps.get_model("audit", "Transition"),
        apps.get_model("audit", "ChainHead"),
    )
    problem = legacy_chain_problem(models.event)
    if problem:
        # Sealed all the same (refusing would leave the database unmigrated and unprotected), but said loudly:
        # the events from that one on were already altered before the keyed chain existed.
        print(f"\n  WARNING: {problem}; sealing the chain as found.")
    if models.event.objects.exists() or models.transition.objects.exists():
        audit_chain(models)
        write_seal_checkpoint(models)


def write_seal_checkpoint(models) -> None:
    """The first checkpoint (issue 11 item 8): written beside the keys, to be copied off the machine."""
    from pathlib import Path

    from django.conf import settings

    from holdtrack.audit.chain import walk

    try:
        from holdtrack.audit import checkpoint
    except ModuleNotFoundError:  # pragma: no cover - checkpoint needs cryptography
        return
    w = walk(models)
    if not w.ok or w.checked == 0:
        return
    try:
        text = checkpoint.sign(w.checked, w.head, w.head_key, w.events, w.transitions)
    except ModuleNotFoundError:
        print("\n  cryptography not installed: no seal checkpoint written (run `holdtrack audit checkpoint`).")
        return
    out = Path(settings.VAR_DIR) / "audit-seal-checkpoint.json"
    out.write_text(text)
    print(f"\n  Sealed {w.checked} links; checkpoint {out} — copy it off this machine.")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]
    operations = [
        migrations.RunPython(triggers_forward, triggers_backward),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
