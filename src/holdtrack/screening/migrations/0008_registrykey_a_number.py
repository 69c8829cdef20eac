"""The registry's A-numbers in the screening index (the a_number comparison and its equality probe), filled from
the subjects' stored A-number identifiers (9 digits, as the registry import and the simulator store them)."""

from typing import Any

from django.db import migrations, models

BATCH = 5000


def fill(apps: Any, schema_editor: Any) -> None:
    key_model = apps.get_model("screening", "RegistryKey")
    identifier = apps.get_model("custody", "SubjectIdentifier")
    rows = (
        identifier.objects.filter(type="A_NUMBER", value__regex=r"^[0-9]{9}$", subject__registry_key__isnull=False)
        .order_by("subject_id")
        .values_list("subject_id", "value")
    )
    batch: list[Any] = []
    for subject_id, value in rows.iterator(chunk_size=BATCH):
        batch.append(key_model(subject_id=subject_id, a_number=value))
        if len(batch) >= BATCH:
            key_model.objects.bulk_update(batch, ["a_number"])
            batch = []
    if batch:
        key_model.objects.bulk_update(batch, ["a_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0007_registrykey_given_last"),
        ("custody", "0006_booking_a_number"),
    ]

    operations = [
        migrations.AddField(
            model_name="registrykey",
            name="a_number",
            field=models.CharField(blank=True, default="", max_length=9),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
