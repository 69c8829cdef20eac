"""Registry keys built again where the broader given-name table (``keys.GIVEN_NAME_FAMILIES``) reads a given name
differently: its canonical form and sound (George now reads as Jorge, Michael and Mike as Miguel), and the sound of
a second given name. The distinct names are read and re-keyed in Python (a few thousand, where the records are up
to millions), then the records bearing a changed one are updated in one statement a column; the name counts
after, if they were built."""

from typing import Any

from django.db import migrations


def rekey(apps: Any, schema_editor: Any) -> None:
    # The key functions themselves, not a copy: the keys must equal what screening computes from now on.
    from holdtrack.screening.frequencies import name_frequencies_refresh  # noqa: PLC0415 - at run time only
    from holdtrack.screening.keys import canon_first, middle_given_sound, sound  # noqa: PLC0415 - the same

    table = apps.get_model("screening", "RegistryKey")._meta.db_table
    freq = apps.get_model("screening", "NameFrequency")
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"SELECT DISTINCT first_norm, first_canon FROM {table}")  # noqa: S608 - the model's table
        firsts = [(f, c, sound(c)) for f, old in cur.fetchall() if (c := canon_first(f)) != old]
        cur.execute(f"SELECT DISTINCT middle_norm, middle_given_sound FROM {table} WHERE middle_norm <> ''")  # noqa: S608
        middles = [(m, s) for m, old in cur.fetchall() if (s := middle_given_sound(m)) != old]
        if firsts:
            cur.execute("CREATE TEMPORARY TABLE ht_given (name varchar(80) PRIMARY KEY, c varchar(80), s varchar(4))")
            cur.executemany("INSERT INTO ht_given VALUES (%s, %s, %s)", firsts)
            cur.execute(
                f"UPDATE {table} SET first_canon = (SELECT c FROM ht_given g WHERE g.name = {table}.first_norm), "  # noqa: S608
                f"first_sound = (SELECT s FROM ht_given g WHERE g.name = {table}.first_norm) "
                "WHERE first_norm IN (SELECT name FROM ht_given)"
            )
            cur.execute("DROP TABLE ht_given")
        if middles:
            cur.execute("CREATE TEMPORARY TABLE ht_second (name varchar(80) PRIMARY KEY, s varchar(4))")
            cur.executemany("INSERT INTO ht_second VALUES (%s, %s)", middles)
            cur.execute(
                f"UPDATE {table} SET middle_given_sound = "  # noqa: S608
                f"(SELECT s FROM ht_second g WHERE g.name = {table}.middle_norm) "
                "WHERE middle_norm IN (SELECT name FROM ht_second)"
            )
            cur.execute("DROP TABLE ht_second")
    if (firsts or middles) and freq.objects.exists():
        name_frequencies_refresh()


class Migration(migrations.Migration):
    dependencies = [("screening", "0010_registrykey_fbi_segments_middle_given")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False)]
