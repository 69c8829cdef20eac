from django.db import migrations, models


class Migration(migrations.Migration):
    # Depends on 0001 only: another branch adds 0002 in parallel; the dependency is rewired at merge.
    dependencies = [
        ("screening", "0003_namefrequency"),
    ]

    operations = [
        migrations.AddField(
            model_name="screeningmodel",
            name="evaluations",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
