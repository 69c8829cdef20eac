"""Registry keys built again where the broader given-name table (``keys.GIVEN_NAME_FAMILIES``) reads a given name
differently: its canonical form and sound (George now reads as Jorge, Michael and Mike as Miguel), and the sound of
a second given name. The distinct names are read and re-keyed in Python (a few thousand, where the records are up
to millions), then the records bearing a changed one are updated, one statement for each name field; the name
counts after, if they were built."""

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
        _rewrite(cur, table, "first_norm", firsts, ("first_canon", "first_sound"))
        _rewrite(cur, table, "middle_norm", middles, ("middle_given_sound",))
    if (firsts or middles) and freq.objects.exists():
        name_frequencies_refresh()


def _rewrite(cur: Any, table: str, column: str, rows: list[tuple[str, ...]], sets: tuple[str, ...]) -> None:
    """Set the columns ``sets`` of every record whose ``column`` holds one of ``rows``' names (a name, then the
    new values in the order of ``sets``), through a temporary table of the rows."""
    if not rows:
        return
    # table and column names are the model's and this module's constants
    cur.execute(
        f"CREATE TEMPORARY TABLE ht_rekey (name varchar(80) PRIMARY KEY, {', '.join(f'{c} varchar(80)' for c in sets)})"
    )
    cur.executemany(f"INSERT INTO ht_rekey VALUES ({', '.join(['%s'] * (len(sets) + 1))})", rows)  # noqa: S608
    pick = "(SELECT g.{c} FROM ht_rekey g WHERE g.name = {t}.{k})"
    assign = ", ".join(f"{c} = " + pick.format(c=c, t=table, k=column) for c in sets)
    cur.execute(f"UPDATE {table} SET {assign} WHERE {column} IN (SELECT name FROM ht_rekey)")  # noqa: S608
    cur.execute("DROP TABLE ht_rekey")


class Migration(migrations.Migration):
    dependencies = [("screening", "0010_registrykey_fbi_segments_middle_given")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop, elidable=False)]
