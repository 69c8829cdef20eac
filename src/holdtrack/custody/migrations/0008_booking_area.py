"""Each booking keeps its custodian's area of responsibility (ADR 0044); the existing bookings get theirs."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def copy_areas(apps: Any, schema_editor: Any) -> None:
    # One UPDATE per area over the bookings of its agencies (as custody.areas.booking_areas_sync, which this
    # historical-model copy must not import).
    agency = apps.get_model("jurisdictions", "LawEnforcementAgency")
    booking = apps.get_model("custody", "Booking")
    by_area: dict[int | None, list[int]] = {}
    for lea, area in agency.objects.values_list("pk", "jurisdiction__aor_id"):
        by_area.setdefault(area, []).append(lea)
    for area, leas in by_area.items():
        if area is not None:
            booking.objects.filter(custodian_id__in=leas).update(area_id=area)


class Migration(migrations.Migration):
    dependencies = [
        ("custody", "0007_identitymatch_proposed_index"),
        ("jurisdictions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="booking",
            name="area",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="jurisdictions.areaofresponsibility",
            ),
        ),
        migrations.RunPython(copy_areas, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="booking",
            index=models.Index(fields=["area", "-booked_at", "id"], name="booking_area_newest"),
        ),
    ]
