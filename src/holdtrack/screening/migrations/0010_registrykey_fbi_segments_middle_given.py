"""Two blocking keys filled for the stored registry: the FBI number's last two three-character segments, for the
records one keying slip from a booking's number (``keys.fbi_segments``, ``identifiers.by_fbi_slips``), and the
sound of the second given name, for the middle name used as given name (``keys.middle_given_sound``, deep rules
D12 and D13). One pass over the key table: the segments in SQL, the sounds from a table of the distinct middle
names (a few thousand, where the records are up to millions)."""

from typing import Any

from django.db import migrations, models

from holdtrack.screening.keys import middle_given_sound


def fill(apps: Any, schema_editor: Any) -> None:
    table = apps.get_model("screening", "RegistryKey")._meta.db_table
    connection = schema_editor.connection
    # The same segments as keys.fbi_segments, in each backend's own string functions.
    if connection.vendor == "postgresql":
        mid, tail = "left(right(fbi_number, 6), 3)", "right(fbi_number, 3)"
    else:
        mid, tail = "substr(fbi_number, -6, 3)", "substr(fbi_number, -3)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT middle_norm FROM {table} WHERE middle_norm <> ''")  # noqa: S608
        sounds = [(m, middle_given_sound(m)) for (m,) in cursor.fetchall()]
        cursor.execute("CREATE TEMPORARY TABLE ht_middle_sound (middle_norm varchar(80) PRIMARY KEY, s varchar(4))")
        cursor.executemany("INSERT INTO ht_middle_sound VALUES (%s, %s)", sounds)
        # the table and the functions are constants
        has = "length(fbi_number) >= 6"
        given = f"(SELECT s FROM ht_middle_sound m WHERE m.middle_norm = {table}.middle_norm)"  # noqa: S608
        sql = (
            f"UPDATE {table} SET fbi_mid = CASE WHEN {has} THEN {mid} ELSE '' END, "  # noqa: S608
            f"fbi_tail = CASE WHEN {has} THEN {tail} ELSE '' END, middle_given_sound = coalesce({given}, '')"
        )
        cursor.execute(sql)
        cursor.execute("DROP TABLE ht_middle_sound")


class Migration(migrations.Migration):
    dependencies = [("screening", "0009_registrykey_undecomposed_letters")]

    operations = [
        migrations.AddField(
            model_name="registrykey",
            name="fbi_mid",
            field=models.CharField(blank=True, default="", max_length=3),
        ),
        migrations.AddField(
            model_name="registrykey",
            name="fbi_tail",
            field=models.CharField(blank=True, default="", max_length=3),
        ),
        migrations.AddField(
            model_name="registrykey",
            name="middle_given_sound",
            field=models.CharField(blank=True, default="", max_length=4),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="registrykey",
            index=models.Index(
                condition=models.Q(("middle_given_sound", ""), _negated=True),
                fields=["last_sound", "middle_given_sound", "dob_ym"],
                name="regkey_sounds2_ym",
            ),
        ),
        migrations.AddIndex(
            model_name="registrykey",
            index=models.Index(
                condition=models.Q(("middle_given_sound", ""), _negated=True),
                fields=["last_sound", "middle_given_sound", "dob_md"],
                name="regkey_sounds2_md",
            ),
        ),
        migrations.AddIndex(
            model_name="registrykey",
            index=models.Index(
                condition=models.Q(("fbi_mid", ""), _negated=True), fields=["fbi_mid"], name="regkey_fbi_mid"
            ),
        ),
        migrations.AddIndex(
            model_name="registrykey",
            index=models.Index(
                condition=models.Q(("fbi_tail", ""), _negated=True), fields=["fbi_tail"], name="regkey_fbi_tail"
            ),
        ),
    ]
