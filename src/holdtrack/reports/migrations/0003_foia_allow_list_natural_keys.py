"""FOIA import keeps only what it knows (issue 11, item 6; ADR 0021).

Adds the content fingerprint of a run, the natural key of a row and the overlap a run reports. The data step
then, run by run in import order:

- removes from ``extra`` every key the run's layout does not allow — personal data (SSN, A-number, FBI number,
  date of birth, names, in any spelling: matched by normalised header), identifiers and undocumented columns —
  and lists what it removed in the run's ``schema_drift["purged_columns"]``;
- gives every row its natural key, as the importer now does;
- deletes the rows whose natural key an earlier run already holds (a release imported twice under another name
  or compression, or overlapping releases) and counts them in the run's ``overlap``, as the importer now
  would have: the monthly counts no longer count a detainer twice.

Only then is the natural key made unique. The migration is not atomic as a whole because PostgreSQL refuses to
add the constraint in the transaction that updated the rows; the data step is atomic on its own.
"""

from collections import Counter

from django.db import migrations, models

CHUNK = 2000


def purge_and_key(apps, schema_editor):
    from holdtrack.reports.foia_columns import disallowed_keys
    from holdtrack.reports.foia_dedup import NaturalKeys, existing_keys, row_identity

    Run = apps.get_model("reports", "FoiaImportRun")
    Detainer = apps.get_model("reports", "FoiaDetainer")
    names = dict(Run.objects.values_list("id", "file_name"))
    for run in Run.objects.order_by("id"):
        keys = NaturalKeys()
        purged: Counter = Counter()
        held: Counter = Counter()
        rows = Detainer.objects.filter(run_id=run.pk).order_by("source_row")
        ids = list(rows.values_list("id", flat=True))
        for start in range(0, len(ids), CHUNK):
            batch = list(Detainer.objects.filter(id__in=ids[start : start + CHUNK]).order_by("source_row"))
            for row in batch:
                for header in disallowed_keys(run.layout, list(row.extra or {})):
                    del row.extra[header]
                    purged[header] += 1
                row.natural_key = keys.key(row_identity(row))
            # A key an earlier run holds: that run keeps its row, this one loses its copy.
            known = existing_keys(Detainer, [row.natural_key for row in batch])
            kept = []
            for row in batch:
                if row.natural_key in known:
                    held[known[row.natural_key]] += 1
                else:
                    kept.append(row)
            Detainer.objects.filter(id__in=[r.pk for r in batch if r.natural_key in known]).delete()
            Detainer.objects.bulk_update(kept, ["extra", "natural_key"])
        fields = []
        if purged:
            run.schema_drift = {**(run.schema_drift or {}), "purged_columns": dict(purged)}
            fields.append("schema_drift")
        if held:
            n = sum(held.values())
            run.rows_imported = max(run.rows_imported - n, 0)
            run.rows_already_imported += n
            run.overlap = {
                "rows": run.rows_already_imported,
                "runs": {str(k): v for k, v in sorted(held.items())},
                "files": {str(k): names.get(k, "") for k in sorted(held)},
                "removed_by_migration": n,
            }
            fields += ["rows_imported", "rows_already_imported", "overlap"]
        if fields:
            run.save(update_fields=fields)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0002_report_aggregates"),
    ]

    operations = [
        migrations.AddField(
            model_name="foiadetainer",
            name="natural_key",
            field=models.CharField(
                blank=True,
                help_text="Identifies the detainer across releases (foia_dedup)",
                max_length=32,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="foiaimportrun",
            name="content_sha256",
            field=models.CharField(
                blank=True,
                help_text="Fingerprint of the normalised rows (reports.foia_dedup); null for runs imported before it",
                max_length=64,
                null=True,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="foiaimportrun",
            name="overlap",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='{"rows": n, "runs": {run id: n}, "files": {run id: file name}}',
            ),
        ),
        migrations.AddField(
            model_name="foiaimportrun",
            name="rows_already_imported",
            field=models.PositiveIntegerField(
                default=0, help_text="Good rows not stored because an earlier run holds them (same natural key)"
            ),
        ),
        migrations.AlterField(
            model_name="foiadetainer",
            name="extra",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Allowed further source columns (reports.foia_columns), by verbatim header",
            ),
        ),
        migrations.RunPython(purge_and_key, migrations.RunPython.noop, atomic=True),
        migrations.AddConstraint(
            model_name="foiadetainer",
            constraint=models.UniqueConstraint(fields=("natural_key",), name="foia_detainer_natural_key_unique"),
        ),
    ]
