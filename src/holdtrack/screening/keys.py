"""Normalisation and blocking keys, shared by the registry index, the booking side and the splink input.

The same function computes the columns for both sides of a comparison, so our candidate retrieval, our
scoring and splink's scoring all see identical strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import jellyfish

from holdtrack.core.text import norm as norm  # re-exported: the keys' callers compare through it

# Given-name families: a canonical form and the nicknames, diminutives and other languages' forms that booking
# feeds write for it (Pancho for Francisco, George for Jorge, Bill for William, Joãozinho for João). Compared as
# the "nickname or variant" level and probed by the blocking rules on the canonical form. A general vocabulary of
# English, Spanish, Portuguese, French and Arabic given names, not a list of people; a name in two families
# (Beto: Roberto, Alberto, Humberto) is kept in the commonest, and two-letter forms that begin other names'
# spellings (Al, Mo) are left out. A given name's transliterations (Mohamed / Muhammad, Ahmad / Ahmed) are in it
# too: the phonetic level scores them alike, but the blocking rules probe the canonical form.
GIVEN_NAME_FAMILIES: dict[str, tuple[str, ...]] = {
    # Spanish and Portuguese given names with their English, French and Arabic forms
    "jose": ("pepe", "pepito", "chepe", "cheo", "joseph", "joe", "joey", "josef", "giuseppe", "ze", "zezinho",
             "youssef", "yousef", "yusuf", "yusef", "yousif", "youssouf"),
    "francisco": ("paco", "pancho", "kiko", "quico", "curro", "frank", "frankie", "francis", "chico"),
    "luis": ("lucho", "louis", "luiz", "luigi"),
    "ignacio": ("nacho", "ignatius"),
    "jesus": ("chuy", "chucho"),
    "roberto": ("beto", "robert", "bob", "bobby", "rob", "robbie"),
    "eduardo": ("lalo", "eddie", "eddy", "ed", "edward"),
    "guillermo": ("memo", "willy", "william", "bill", "billy", "will", "willie", "guilherme"),
    "antonio": ("tono", "tony", "anthony", "antoine", "toninho", "tonho"),
    "alejandro": ("alex", "ale", "alexander", "alexandre"),
    "javier": ("javi", "xavier"),
    "fernando": ("fer", "nando", "ferdinand"),
    "daniel": ("dani", "danny", "dan"),
    "ricardo": ("ricky", "rick", "richi", "richard", "rich", "richie", "dick"),
    "victor": ("vico",),
    "miguel": ("miguelito", "michael", "mike", "mikey", "mick", "michel"),
    "jaime": ("james", "jim", "jimmy", "jamie"),
    "david": ("dave", "davey"),
    "juan": ("juanito", "juancho", "john", "johnny", "jon", "jack", "joao", "joaozinho"),
    "carlos": ("carlitos", "charles", "charlie", "chuck", "carl", "carlo"),
    "jorge": ("jorgito", "george", "georges", "jorginho"),
    "pedro": ("pedrito", "peter", "pete"),
    "pablo": ("pablito", "paul", "paulo"),
    "andres": ("andrew", "andy", "andre"),
    "esteban": ("steven", "stephen", "steve", "estevao"),
    "enrique": ("quique", "kike", "henry", "hank", "henrique", "henri"),
    "manuel": ("manny", "manolo", "manolito", "emmanuel", "emanuel", "manoel"),
    "rafael": ("rafa", "rafi", "raphael"),
    "gustavo": ("tavo", "gus"),
    "gerardo": ("jerry", "gerry", "gerald"),
    "ernesto": ("neto", "ernest", "ernie"),
    "rodrigo": ("rigo",),
    "salvador": ("chava", "chavo", "salva"),
    "santiago": ("santi", "chago"),
    "alberto": ("albert",),
    "tomas": ("thomas", "tom", "tommy"),
    "mateo": ("matthew", "matt", "mateus"),
    "marcos": ("marco", "mark", "marc", "marcus"),
    "lucas": ("luke",),
    "vicente": ("chente", "vincent", "vince"),
    "lorenzo": ("lencho", "lawrence", "larry", "laurence"),
    "samuel": ("sam", "sammy"),
    "benjamin": ("ben", "benny", "benji"),
    "gabriel": ("gabe",),
    "nicolas": ("nico", "nicholas", "nick"),
    "gregorio": ("goyo", "gregory", "greg"),
    "ramon": ("moncho",),
    "alfonso": ("poncho", "alphonse"),
    "adolfo": ("fito",),
    "joaquin": ("quino", "joaquim"),
    "ibrahim": ("ebrahim", "ibraheem", "ibrahem", "abraham"),
    "maria": ("mari", "mary", "marie"),
    "guadalupe": ("lupe", "lupita"),
    "rosa": ("rosi", "rosita", "rose"),
    "carmen": ("carmencita",),
    "patricia": ("pati", "paty", "patty", "tricia"),
    "veronica": ("vero",),
    "sofia": ("sofi", "sophia", "sophie"),
    "isabel": ("chabela", "chavela", "isa", "elizabeth", "liz", "beth"),
    "teresa": ("tere", "theresa"),
    "margarita": ("marga", "margaret", "maggie", "peggy"),
    "catalina": ("cata", "catherine", "katherine", "kathy", "cathy", "kate", "katie"),
    "elena": ("helen", "helena"),
    "ana": ("anita", "anna", "ann", "anne", "annie"),
    "juana": ("juanita",),
    "susana": ("susan", "sue", "susie"),
    "dolores": ("lola", "lolita"),
    "concepcion": ("concha", "conchita", "conchi"),
    "consuelo": ("chelo",),
    "rosario": ("charo", "chayo"),
    "pilar": ("pili",),
    "josefina": ("fina", "pepa", "pepita", "chepa", "josephine"),
    "beatriz": ("bea", "beatrice"),
    "cristina": ("cris", "christina", "christine"),
    "gabriela": ("gaby", "gabi"),
    "victoria": ("vicky",),
    # Arabic given names as feeds transliterate them: the blocking rules probe the canonical form
    "mohammed": ("muhammad", "muhammed", "mohamed", "mohammad", "mohamad", "muhamad"),
    "ahmed": ("ahmad", "ahmet"),
    "hussein": ("husain", "hussain", "husein", "hossein", "husayn"),
    "hassan": ("hasan",),
    "mahmoud": ("mahmud", "mahmood"),
    "mustafa": ("mostafa", "moustafa", "mustapha"),
    "abdullah": ("abdallah", "abdulla"),
    "khaled": ("khalid",),
    "omar": ("umar",),
    "karim": ("kareem",),
    "tariq": ("tarek", "tarik", "tareq"),
    "walid": ("waleed",),
    "saeed": ("said", "sayed", "saied"),
    "jamal": ("gamal",),
    "osama": ("usama",),
    "fatima": ("fatma", "fatimah"),
    "aisha": ("aicha", "ayesha", "aysha"),
    "khadija": ("khadijah",),
    "mariam": ("maryam",),
    "zainab": ("zaynab", "zeinab"),
    "nour": ("noor",),
    # English given names without a Spanish form above
    "kevin": ("kev",),
    "christopher": ("chris",),
    "timothy": ("tim",),
    "kenneth": ("ken", "kenny"),
    "ronald": ("ron", "ronnie"),
    "donald": ("don", "donnie"),
    "jeffrey": ("jeff",),
    "jonathan": ("jonny",),
    "frederick": ("fred", "freddie"),
    "theodore": ("ted", "teddy", "theo"),
    "jennifer": ("jen", "jenny"),
    "jessica": ("jess",),
    "rebecca": ("becky",),
    "deborah": ("deb", "debbie"),
    "abigail": ("abby",),
}  # fmt: skip

NICKNAMES: dict[str, str] = {v: canon for canon, variants in GIVEN_NAME_FAMILIES.items() for v in variants}

US_COUNTRY = {"united states", "usa", "us", "u s", "united states of america"}


@lru_cache(maxsize=262_144)
def norm_fbi(value: str | None) -> str:
    """An FBI number as compared: upper case, letters and digits only (feeds add spaces and hyphens)."""
    if not value:
        return ""
    if value.isalnum():  # the stored form already: no per-character pass (screening compares thousands a batch)
        return value.upper()
    return "".join(ch for ch in value.upper() if ch.isalnum())


def middle_given_sound(middle_norm: str) -> str:
    """The sound of a record's second given name (the first token of its middle name, nicknames resolved): a
    booking that uses it as its given name reaches the record through it (deep rules D12, D13)."""
    return sound(canon_first(middle_norm)) if middle_norm else ""


FBI_SEGMENT = 3  # characters a segment; a number shorter than two segments has none


def fbi_segments(fbi: str) -> tuple[str, str]:
    """The last two three-character segments of a (normalised) FBI number, ``(middle, tail)``: a number one keying
    slip away (a character changed, or two neighbours swapped within a segment or before both) keeps one of them
    whole, so the registry's numbers near a booking's are found through two indexed lookups instead of one per
    possible slip (``identifiers.by_fbi_slips``). ("", "") for a shorter number."""
    if len(fbi) < 2 * FBI_SEGMENT:
        return "", ""
    return fbi[-2 * FBI_SEGMENT : -FBI_SEGMENT], fbi[-FBI_SEGMENT:]


def canon_first(first_norm: str) -> str:
    token = first_norm.split(" ", 1)[0] if first_norm else ""
    return NICKNAMES.get(token, token)


@lru_cache(maxsize=65_536)
def sound(token: str) -> str:
    return jellyfish.soundex(token) if token else ""


@lru_cache(maxsize=262_144)
def phonetic(name_norm: str) -> str:
    """Metaphone of a normalised name with its spaces removed: transliterations such as Mohammed / Muhammad,
    Hussein / Husain or Huong / Hoang sound alike where their spelling differs."""
    return jellyfish.metaphone(name_norm.replace(" ", "")) if name_norm else ""


def compound_surnames(k: Keys) -> tuple[str | None, ...]:
    """D7 and D8's surnames for a booking without a DOB (``rln, lmn, mln, fln, fmn, lmr, mrl``): its two surnames
    reversed, its surname and (the last token of) its middle name joined either way, its given name (or given
    and middle names) as a compound surname, its surname and its middle name after the first token joined either
    way. Only compound ones (two tokens or more); None for the others."""

    def two(*parts: str) -> str | None:
        text = " ".join(p for p in parts if p)
        return text if " " in text else None

    last = k.last_norm.split(" ")
    reversed_ = two(*reversed(last)) if len(last) == 2 else None
    moved = k.middle_norm.rsplit(" ", 1)[-1]  # a surname moved into the middle name ends it
    # ... or is all of it after a second given name ("raul del valle"), when that is more than its last token
    rest = k.middle_norm.split(" ", 1)[1] if k.middle_norm.count(" ") >= 2 else ""
    return (
        reversed_,
        two(k.last_norm, moved) if moved else None,
        two(moved, k.last_norm) if moved else None,
        two(k.first_norm),
        two(k.first_norm, k.middle_norm) if k.middle_norm else None,
        two(k.last_norm, rest) if rest else None,
        two(rest, k.last_norm) if rest else None,
    )


def month_shifted(d: date | None, months: int) -> date | None:
    """The same day ``months`` months later (earlier), within the same year; None when no such date exists."""
    if d is None or not 1 <= d.month + months <= 12:
        return None
    try:
        return d.replace(month=d.month + months)
    except ValueError:
        return None


def dob_slips(d: date) -> tuple[date, ...]:
    """The dates a booking's DOB ``d`` is probed with in the deep blocking stage, besides itself: the month one
    earlier or later (a keying slip, 09 ↔ 10 across a digit) and 1 January of the year (the registry's default).
    A DOB that is itself 1 January is probed over its whole year instead (``candidates._DEEP_RULES``). Day and
    month swapped is left to the first stage's rules 3 and 4; every other one-digit slip (about 35 dates) was
    measured and left out for its cost (docs/benchmarks.md, "Deep blocking stage")."""
    near = (date(d.year, 1, 1), month_shifted(d, -1), month_shifted(d, 1), *month_end_slips(d))
    return tuple(sorted({x for x in near if x is not None and x != d}))


def month_digit_slips(d: date) -> tuple[date, ...]:
    """The dates one keyed digit of ``d``'s two-digit month away, the year and day kept ("09" for "02", "11" for
    "01"), where such a date exists; ``d`` itself and the month either side (``dob_slips``) excluded."""
    mm = f"{d.month:02d}"
    months = {int(mm[:n] + c + mm[n + 1 :]) for n in (0, 1) for c in "0123456789"}
    out = []
    for m in sorted(months - {0, d.month, d.month - 1, d.month + 1}):
        if m <= 12:
            try:
                out.append(d.replace(month=m))
            except ValueError:
                continue
    return tuple(out)


def month_end_slips(d: date) -> tuple[date, ...]:
    """A date on the last day of its month as a month slip from a later day of the next or previous month leaves
    it (31 March one month on is kept as 30 April): those later days. Empty for any other date."""
    if (d + timedelta(days=1)).month == d.month:
        return ()
    out = []
    for months in (-1, 1):
        first = month_shifted(d.replace(day=1), months)
        if first is None:
            continue
        day = d.day + 1
        while True:
            try:
                out.append(first.replace(day=day))
            except ValueError:
                break
            day += 1
    return tuple(out)


def month_later(d: date | None) -> date | None:
    return month_shifted(d, 1)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def swap_day_month(d: date | None) -> date | None:
    """The date with day and month exchanged, when that is a different valid date."""
    if d is None or d.day > 12 or d.day == d.month:
        return None
    return date(d.year, d.day, d.month)


@dataclass(frozen=True, slots=True)
class Keys:
    first_norm: str
    first_canon: str
    middle_norm: str
    last_norm: str
    last_tok1: str
    last_tok2: str
    first_sound: str
    last_sound: str
    dob: date | None
    sex: str
    country: str
    # Booking-side blocking only (not compared): the sound of a second surname — the last token of a double
    # surname ("Martínez Ruiz" → "Ruiz") — and of the middle name's last token, where feeds put the second
    # surname ("Juan Ruiz / Martínez"). Probed against the registry's first-surname sound.
    last2_sound: str = ""
    middle_sound: str = ""

    @property
    def dob_iso(self) -> str | None:
        return self.dob.isoformat() if self.dob else None

    @property
    def dob_ym(self) -> int | None:
        return self.dob.year * 100 + self.dob.month if self.dob else None

    @property
    def dob_md(self) -> int | None:
        return self.dob.month * 100 + self.dob.day if self.dob else None

    @property
    def dob_swapped(self) -> date | None:
        return swap_day_month(self.dob)


def keys_for(
    *,
    first_name: str,
    last_name: str,
    middle_name: str = "",
    second_last_name: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
    birth_country: str = "",
) -> Keys:
    first = norm(first_name)
    # A second surname kept in its own field is compared as part of the surname, as a double surname written
    # in one field is: both sides then agree whichever way a source stores it.
    last = " ".join(p for p in (norm(last_name), norm(second_last_name)) if p)
    tokens = last.split(" ") if last else [""]
    middle = norm(middle_name)
    middle_last = middle.rsplit(" ", 1)[-1] if middle else ""
    canon = canon_first(first)
    sx = (sex or "").upper()[:1]
    country = norm(birth_country)
    if country in US_COUNTRY:
        country = "united states"
    return Keys(
        first_norm=first,
        first_canon=canon,
        middle_norm=middle,
        last_norm=last,
        last_tok1=tokens[0],
        last_tok2=tokens[-1],
        first_sound=sound(canon),
        last_sound=sound(tokens[0]),
        dob=date_of_birth,
        sex=sx if sx in ("M", "F") else "",
        country=country,
        last2_sound=sound(tokens[-1]) if len(tokens) > 1 else "",
        middle_sound=sound(middle_last),
    )


def splink_record(uid: int | str, k: Keys, fbi: str = "", a_number: str = "") -> dict[str, object]:
    """One input row for splink: empty strings become NULL so splink's null levels match ours."""
    sw = k.dob_swapped
    return {
        "unique_id": uid,
        "first_norm": k.first_norm or None,
        "first_canon": k.first_canon or None,
        "middle_norm": k.middle_norm or None,
        "last_norm": k.last_norm or None,
        "last_tok1": k.last_tok1 or None,
        "last_tok2": k.last_tok2 or None,
        "first_sound": k.first_sound or None,
        "last_sound": k.last_sound or None,
        "last2_sound": k.last2_sound or None,
        "middle_sound": k.middle_sound or None,
        "first_ph": phonetic(k.first_norm) or None,
        "last_ph": phonetic(k.last_norm) or None,
        "dob": k.dob_iso,
        "dob_sw": sw.isoformat() if sw else None,
        "dob_mp": _iso(month_later(k.dob)),
        "dob_j1": _iso(date(k.dob.year, 1, 1)) if k.dob and (k.dob.month, k.dob.day) != (1, 1) else None,
        "dob_ym": k.dob_ym,
        "dob_md": k.dob_md,
        "sex": k.sex or None,
        "country": k.country or None,
        "fbi": norm_fbi(fbi) or None,
        "anum": a_number or None,
    }


SPLINK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_id", "VARCHAR"),
    ("first_norm", "VARCHAR"),
    ("first_canon", "VARCHAR"),
    ("middle_norm", "VARCHAR"),
    ("last_norm", "VARCHAR"),
    ("last_tok1", "VARCHAR"),
    ("last_tok2", "VARCHAR"),
    ("first_sound", "VARCHAR"),
    ("last_sound", "VARCHAR"),
    ("last2_sound", "VARCHAR"),
    ("middle_sound", "VARCHAR"),
    ("first_ph", "VARCHAR"),
    ("last_ph", "VARCHAR"),
    ("dob", "VARCHAR"),
    ("dob_sw", "VARCHAR"),
    ("dob_mp", "VARCHAR"),
    ("dob_j1", "VARCHAR"),
    ("dob_ym", "INTEGER"),
    ("dob_md", "INTEGER"),
    ("sex", "VARCHAR"),
    ("country", "VARCHAR"),
    ("fbi", "VARCHAR"),
    ("anum", "VARCHAR"),
)
