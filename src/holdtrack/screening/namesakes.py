"""A booking without a DOB and the registry records that share every field it carries (ADR 0042).

Without a DOB, a booking's names, sex and birth country are all there is to compare. When only a few registry
records bear exactly those, each is as likely the booked person as the others, and whichever the person is, it
is among them. The model cannot see how few they are: its name weights come from each name's frequency, not from
the count of records bearing the whole combination, and its prior is one registry-wide figure. At 1,000,000
subjects an exact agreement on every field of a dateless booking scored 0.027, under the class's threshold,
whether three records or three hundred agreed; and the name-only blocking rules skip a common surname, so the
three were often not even retrieved. So they are read here directly, by the given-name and surname index, and
proposed together when they are at most ``MAX_NAMESAKES``; more than that, and nothing but a fingerprint or a
DOB tells them apart; more than ``CROWD``, and they are proposed not at all, whichever stage scored them
(``in_crowd``). The records the booking's names fit as a feed shortens them (a second surname dropped, the
middle name used as given name: ``kin``, ADR 0067) join the few when they stay few together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet

from holdtrack.screening.candidates import REC_COLUMNS, record_of
from holdtrack.screening.fs_model import F_ANUM, F_CANON, F_COUNTRY, F_FBI, F_LAST, F_MIDDLE, F_SEX, Rec, fbi_conflict
from holdtrack.screening.keys import Keys
from holdtrack.screening.models import RegistryKey

# Up to this many are all proposed (ADR 0062; it was 30, a tie's size, ``stages.MAX_TIED_NO_DOB``): between 30
# and 60 the scoring's thirty tied ones were drawn by subject id, leaving the person out up to half the time.
# At 60 the harder set at 1,000,000 subjects found 6 more true pairs for 319 proposals, at 100,000 1 for 84
# (docs/benchmarks.md, "Every namesake up to sixty").
MAX_NAMESAKES = 60
# More than this many, and they are a crowd: the thirty tied ones an earlier stage keeps would be drawn by lot from
# it, covering under half of it, so none is proposed (ADR 0045; docs/benchmarks.md, "A crowd of namesakes"). Above
# MAX_NAMESAKES and up to it (none by default), the thirty stay proposed.
CROWD = MAX_NAMESAKES
# A dateless booking's namesakes include the records its names fit with a second surname dropped or the middle
# name used as given name (``kin``, ADR 0067), when the two together are at most KIN_MAX. At 20, through the CLI
# at 100,000 subjects, 3 more true pairs for 96 proposals (seed 5) and 3 for 83 (seed 4); at 60 the same 3 for
# 249 and 153; at 10, 3 for 52 and 1 for 27 (docs/benchmarks.md, "Kin of a dateless booking"). KIN: off only to
# measure what they bring.
KIN = True
KIN_MAX = 20


# What a namesake shares with a booking: (the key's column, its place in a record), the names always and the
# others where the booking carries them; ``matching`` reads them in SQL, ``in_crowd`` in Python.
_SHARED = (("first_canon", F_CANON), ("last_norm", F_LAST))
_CARRIED = (("middle_norm", F_MIDDLE), ("sex", F_SEX), ("country", F_COUNTRY))


def matching(k: Keys) -> QuerySet[RegistryKey]:
    """The registry records agreeing with these booking keys on the canonical given name and the surname, and on
    the middle name, sex, birth country and DOB where the booking carries them (``regkey_given_last``)."""
    match: dict[str, Any] = {field: getattr(k, field) for field, _ in _SHARED}
    for field in (*(f for f, _ in _CARRIED), "dob"):
        if value := getattr(k, field):
            match[field] = value
    return RegistryKey.objects.filter(**match).order_by()


def kin(k: Keys) -> QuerySet[RegistryKey] | None:
    """The records a dateless booking's names fit as a feed shortens them (ADR 0067), agreeing on sex and birth
    country where the booking carries them: a compound surname whose first is the booking's one surname (the
    second dropped: "Jesús López" for "Jesús López Orozco"), and, for a booking without a middle name, a record
    whose middle name is the booking's given name (the middle name used as given name: "Manuel González" for "Juan
    Manuel González"). None when the booking's names admit neither. Each through a sounds index
    (``regkey_sounds_ym``, ``regkey_sounds2_ym``), the names filtering."""
    if k.dob is not None or not k.first_canon or not k.last_norm or not k.last_sound:
        return None
    shared: dict[str, Any] = {field: value for field, _ in _CARRIED[1:] if (value := getattr(k, field))}
    fits = Q()
    if " " not in k.last_norm and k.first_sound:
        dropped = Q(
            last_sound=k.last_sound, first_sound=k.first_sound, first_canon=k.first_canon, last_tok1=k.last_norm
        )
        fits |= (dropped & Q(middle_norm=k.middle_norm) if k.middle_norm else dropped) & ~Q(last_norm=k.last_norm)
    if not k.middle_norm and k.first_sound:
        fits |= Q(last_sound=k.last_sound, middle_given_sound=k.first_sound, middle_norm=k.first_norm,
                  last_norm=k.last_norm)  # fmt: skip
    if not fits:
        return None
    return RegistryKey.objects.filter(fits, **shared).order_by()


def of(keys: Sequence[Keys], own: Sequence[int | None]) -> list[list[tuple[int, Rec]] | None]:
    """For each booking's keys (without a DOB), the registry records agreeing with it on the canonical given name
    and the surname, and on the middle name, sex and birth country where the booking carries them — with its kin
    (``kin``) when together at most ``KIN_MAX`` — none when more than ``MAX_NAMESAKES`` agree, and None (a crowd)
    when more than ``CROWD`` do. One indexed lookup per booking
    (``regkey_given_last``), reading at most one row past the larger bound; ``own``: the booking's own subject,
    never its namesake."""
    out: list[list[tuple[int, Rec]] | None] = []
    cols = ["subject_id", *REC_COLUMNS]
    for k, mine in zip(keys, own, strict=True):
        if k.dob is not None or not k.first_canon or not k.last_norm:
            out.append([])
            continue
        found = matching(k)
        if mine is not None:
            found = found.exclude(subject_id=mine)
        rows = list(found.values_list(*cols)[: max(MAX_NAMESAKES, CROWD) + 1])
        if len(rows) > CROWD:
            out.append(None)
            continue
        if len(rows) > MAX_NAMESAKES:
            out.append([])
            continue
        # ... and the records its names fit as a feed shortens them, when all of them together stay few (else
        # the namesakes alone, as before: the crowd is counted on the exact names only)
        more = kin(k) if KIN else None
        if more is not None:
            if mine is not None:
                more = more.exclude(subject_id=mine)
            extra = list(more.values_list(*cols)[: max(0, KIN_MAX - len(rows)) + 1])
            if len(rows) + len(extra) <= KIN_MAX:
                rows += extra
        out.append([(r[0], record_of(r[1:])) for r in rows])
    return out


def in_crowd(booking: Rec, record: Rec) -> bool:
    """Whether ``record`` agrees with the dateless ``booking`` on every field ``matching`` compares: one of its
    namesakes, which nothing on the booking tells apart from the others — unless an identifier ties it to the
    booking (``tied``)."""
    return (
        all(record[i] == booking[i] for _, i in _SHARED)
        and all(record[i] == booking[i] for _, i in _CARRIED if booking[i])
        and not tied(booking, record)
    )


def exact(booking: Rec, record: Rec) -> bool:
    """Whether ``record`` bears the dateless ``booking``'s names as written (a namesake ``matching`` finds), not
    only as a feed shortens them (``kin``)."""
    return all(record[i] == booking[i] for _, i in _SHARED)


def tied(booking: Rec, record: Rec) -> bool:
    """An identifier on both that agrees tells this namesake apart from the others (ADR 0063): an FBI number at
    most a keying slip away (a "Jose Vásquez" among 277, at 0.97), or the same A-number."""
    if booking[F_FBI] and record[F_FBI] and not fbi_conflict(booking, record):
        return True
    return bool(booking[F_ANUM] and booking[F_ANUM] == record[F_ANUM])


def separated(booking: Rec, record: Rec) -> bool:
    """An identifier on both that disagrees tells this namesake apart from the booked person: an FBI number more
    than a keying slip away, or another A-number."""
    return fbi_conflict(booking, record) or bool(
        booking[F_ANUM] and record[F_ANUM] and booking[F_ANUM] != record[F_ANUM]
    )
