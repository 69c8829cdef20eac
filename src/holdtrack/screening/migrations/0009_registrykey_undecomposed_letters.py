"""Registry keys of names with letters Unicode does not decompose (Đ, Ø, Ł, ß, Æ …), built again now that
``core.text.norm`` folds them ("Đỗ" → "do", as feeds write it); then the name counts, if they were built.
Only subjects whose names hold such a letter are read."""

from typing import Any

from django.db import migrations
from django.db.models import Q

LETTERS = "đĐðÐøØłŁħĦıßæÆœŒþÞ"
NAME_FIELDS = ("first_name", "middle_name", "last_name", "second_last_name")
KEY_FIELDS = ("first_norm", "first_canon", "middle_norm", "last_norm", "last_tok1", "last_tok2", "first_sound",
              "last_sound", "last2_sound")  # fmt: skip


def rekey(apps: Any, schema_editor: Any) -> None:
    # The key function itself, not a copy: the keys must equal what screening computes from now on.
    from holdtrack.screening.frequencies import name_frequencies_refresh
    from holdtrack.screening.keys import keys_for

    key_model = apps.get_model("screening", "RegistryKey")
    freq = apps.get_model("screening", "NameFrequency")
    has = Q()
    for f in NAME_FIELDS:
        for ch in LETTERS:
            has |= Q(**{f"subject__{f}__contains": ch})
    rows = key_model.objects.filter(has).select_related("subject")
    changed = []
    for row in rows.iterator(chunk_size=2000):
        s = row.subject
        k = keys_for(first_name=s.first_name, middle_name=s.middle_name, last_name=s.last_name,
                     second_last_name=s.second_last_name)  # fmt: skip
        for f in KEY_FIELDS:
            setattr(row, f, getattr(k, f))
        changed.append(row)
    for start in range(0, len(changed), 2000):
        key_model.objects.bulk_update(changed[start : start + 2000], KEY_FIELDS)
    if changed and freq.objects.exists():
        name_frequencies_refresh()


class Migration(migrations.Migration):
    dependencies = [("screening", "0008_registrykey_a_number")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
