"""The Fellegi–Sunter model: its comparisons (as splink settings), and our scorer that applies the parameters
splink estimated to candidate pairs with rapidfuzz.

Each comparison is written twice: once as splink/DuckDB SQL (used for training and by splink's own scoring)
and once as a Python function returning the same level index. The parity test
(``tests/screening/test_parity.py``) holds the two to the same match weight within 1e-9 over thousands of pairs.
splink scores without term-frequency adjustments (the parity test compares that weight); our scorer adds them
for exact given names and surnames when it is handed the registry's name frequencies (``TermFrequencies``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

from holdtrack.screening.keys import phonetic

# A record as our scorer sees it; empty string = missing (splink receives NULL for it).
# (first_norm, first_canon, middle_norm, last_norm, last_tok1, last_tok2, dob_iso, sex, country, fbi, a_number)
Rec = tuple[str, str, str, str, str, str, str, str, str, str, str]
F_FIRST, F_CANON, F_MIDDLE, F_LAST, F_TOK1, F_TOK2, F_DOB, F_SEX, F_COUNTRY, F_FBI, F_ANUM = range(11)

JW_HIGH = 0.92
JW_LOW = 0.80
# "Month off by one" also holds two month-end days (31 March one month on is kept as 30 April, 28 February as
# 31 January or March): both days from the 28th on.
MONTH_END = "28"
NOT_OBSERVED = "level not observed in training dataset"


def _null(col: str) -> str:
    return f'"{col}_l" IS NULL OR "{col}_r" IS NULL'


def _level(sql: str, label: str, *, null: bool = False) -> dict[str, Any]:
    d: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        d["is_null_level"] = True
    return d


def _jw(col: str, t: float) -> str:
    return f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {t}'


def _jw_between(a: str, b: str) -> str:
    return f'jaro_winkler_similarity("{a}", "{b}") >= {JW_LOW}'


def _shares(first: str, other_first: str, other_middle: str) -> str:
    """SQL: a token of one given name is among the other record's given names (first and middle)."""
    return (
        f"list_has_any(string_split(\"{first}\", ' '), "
        f"string_split(concat_ws(' ', \"{other_first}\", \"{other_middle}\"), ' '))"
    )


# SQL: a middle name that is the other record's given name or one of its surnames; one of its surnames only.
_MIDDLE_ELSEWHERE = (
    '("middle_norm_l" IN ("first_norm_r", "last_tok1_r", "last_tok2_r") '
    'OR "middle_norm_r" IN ("first_norm_l", "last_tok1_l", "last_tok2_l"))'
)
_MIDDLE_A_SURNAME = (
    '("middle_norm_l" IN ("last_tok1_r", "last_tok2_r") OR "middle_norm_r" IN ("last_tok1_l", "last_tok2_l"))'
)

# The surnames agree once a middle name is counted, or only their order differs: "García / Flores" against
# "García Flores" (a second surname moved into the middle name), "Rivera López" against "López Rivera".
SURNAMES_MOVED = "same surnames, reordered or one in the middle name"
# "García" against "García Flores": the second surname dropped, as feeds often do (ADR 0055). Apart from two
# compound surnames sharing one ("García Flores", "García López": cousins, namesakes), which random pairs often do.
SECOND_DROPPED = "the first surname of a compound name, the second dropped"
# "Garsía Jiménez" against "García Jiménez": one surname of two the same, the other one letter off (a typo). The
# broad level below would take it, which two compound surnames sharing one often reach between different people.
COMPOUND_SLIP = "a compound surname with one letter off in one of its surnames"
# "Vazquez" against "Vásquez Ríos": the second surname dropped and the first spelt another way (ADR 0066), which
# the broad levels below took as a near or different surname.
SLIP_DROPPED = "the first surname of a compound name with one letter off, the second dropped"


def _surnames_moved(a: str, b: str) -> str:
    """SQL: every surname of side ``a`` is among side ``b``'s, and every surname of ``b`` is among ``a``'s
    surnames and middle name."""
    return (
        f"(list_has_all(string_split(\"last_norm_{b}\", ' '), string_split(\"last_norm_{a}\", ' ')) AND "
        f"list_has_all(string_split(concat_ws(' ', \"last_norm_{a}\", \"middle_norm_{a}\"), ' '), "
        f"string_split(\"last_norm_{b}\", ' ')))"
    )


def _second_dropped(a: str, b: str) -> str:
    """SQL: side ``a``'s surname is one word, side ``b``'s first surname, ``b``'s being compound."""
    return (
        f"(strpos(\"last_norm_{a}\", ' ') = 0 AND strpos(\"last_norm_{b}\", ' ') > 0 "
        f'AND "last_norm_{a}" = "last_tok1_{b}")'
    )


def _slip_dropped(a: str, b: str) -> str:
    """SQL: side ``a``'s surname is one word, one edit from side ``b``'s first surname, ``b``'s being compound."""
    return (
        f"(strpos(\"last_norm_{a}\", ' ') = 0 AND strpos(\"last_norm_{b}\", ' ') > 0 "
        f'AND levenshtein("last_norm_{a}", "last_tok1_{b}") <= 1)'
    )


def _compound_slip() -> str:
    """SQL: both surnames compound, one of their surnames the same and the other one edit apart."""
    return (
        "(strpos(\"last_norm_l\", ' ') > 0 AND strpos(\"last_norm_r\", ' ') > 0 AND ("
        '("last_tok1_l" = "last_tok1_r" AND levenshtein("last_tok2_l", "last_tok2_r") <= 1) OR '
        '("last_tok2_l" = "last_tok2_r" AND levenshtein("last_tok1_l", "last_tok1_r") <= 1)))'
    )


def _fixed_m(level: dict[str, Any], m: float) -> dict[str, Any]:
    return {**level, "m_probability": m, "fix_m_probability": True}


# m of the FBI-number levels is not estimated by EM: an FBI number comes from fingerprints, so two records of
# one person carry the same number unless it was mis-keyed, and EM cannot tell a mis-keyed number from a
# namesake's. Training sets them from the keying errors its data shows (``splink_io.apply_identifier_errors``);
# these values stand when it has too few pairs to measure them. "Different" (more than two characters) is then
# 1e-10, about -33 bits: it outweighs names, DOB and the rest agreeing, as a namesake born on the same day with
# another fingerprint record is another person. u is estimated from random pairs like every other comparison.
# A pair more than one character apart carries the identifier-conflict flag, so only a supervisor confirms it.
FBI_M_EXACT, FBI_M_TYPO, FBI_M_TWO, FBI_M_DIFFERENT = 0.9599, 0.03, 0.01, 1e-10


COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "first_name",
        "comparison_levels": [
            _level(_null("first_norm"), "null", null=True),
            _level('"first_norm_l" = "first_norm_r"', "exact"),
            _level('"first_canon_l" = "first_canon_r"', "nickname or variant"),
            _level(
                '("first_norm_l" = "last_norm_r" OR "last_norm_l" = "first_norm_r") '
                'AND "last_norm_l" IS DISTINCT FROM "last_norm_r"',
                "swapped with surname",
            ),
            _level(
                f"{_shares('first_norm_l', 'first_norm_r', 'middle_norm_r')} "
                f"OR {_shares('first_norm_r', 'first_norm_l', 'middle_norm_l')}",
                "given names shared (first and middle as a set)",
            ),
            _level(_jw("first_norm", JW_HIGH), f"Jaro-Winkler >= {JW_HIGH}"),
            _level('"first_ph_l" = "first_ph_r"', "same sound (Metaphone)"),
            _level(_jw("first_norm", JW_LOW), f"Jaro-Winkler >= {JW_LOW}"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "last_name",
        "comparison_levels": [
            _level(_null("last_norm"), "null", null=True),
            _level('"last_norm_l" = "last_norm_r"', "exact"),
            # one name equal to the other record's name of the other kind, and the two left alike: a swap, the
            # given name's level having read the first half (ADR 0064)
            _level(
                f'(("last_norm_l" = "first_norm_r" AND {_jw_between("first_norm_l", "last_norm_r")}) '
                f'OR ("first_norm_l" = "last_norm_r" AND {_jw_between("last_norm_l", "first_norm_r")})) '
                'AND "first_norm_l" IS DISTINCT FROM "first_norm_r"',
                "swapped with given name",
            ),
            _level(f"{_surnames_moved('l', 'r')} OR {_surnames_moved('r', 'l')}", SURNAMES_MOVED),
            _level(f"{_second_dropped('l', 'r')} OR {_second_dropped('r', 'l')}", SECOND_DROPPED),
            _level(_compound_slip(), COMPOUND_SLIP),
            _level(f"{_slip_dropped('l', 'r')} OR {_slip_dropped('r', 'l')}", SLIP_DROPPED),
            _level(
                '"last_tok1_l" = "last_tok1_r" OR "last_tok1_l" = "last_tok2_r" '
                'OR "last_tok2_l" = "last_tok1_r" OR "last_tok2_l" = "last_tok2_r"',
                "one surname of a compound name",
            ),
            _level(_jw("last_norm", JW_HIGH), f"Jaro-Winkler >= {JW_HIGH}"),
            _level('"last_ph_l" = "last_ph_r"', "same sound (Metaphone)"),
            _level(_jw("last_norm", JW_LOW), f"Jaro-Winkler >= {JW_LOW}"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "middle_name",
        "comparison_levels": [
            # a middle name that is one of the other's surnames counts even where the other has none (not one that
            # is its given name: the first name's level reads that; ADR 0063)
            _level(f"({_null('middle_norm')}) AND NOT coalesce({_MIDDLE_A_SURNAME}, false)", "null", null=True),
            _level('"middle_norm_l" = "middle_norm_r"', "exact"),
            _level(_MIDDLE_ELSEWHERE, "another name of the other record"),
            _level('substr("middle_norm_l", 1, 1) = substr("middle_norm_r", 1, 1)', "same initial"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "date_of_birth",
        "comparison_levels": [
            _level(_null("dob"), "null", null=True),
            _level('"dob_l" = "dob_r"', "exact"),
            # a 1 January DOB (a year alone) is as near every day of its year, before any slip (ADR 0063)
            _level(
                'substr("dob_l", 1, 4) = substr("dob_r", 1, 4) '
                "AND (substr(\"dob_l\", 6, 5) = '01-01' OR substr(\"dob_r\", 6, 5) = '01-01')",
                "1 January on one side (a default), same year",
            ),
            _level(
                'substr("dob_l", 1, 4) = substr("dob_r", 1, 4) AND substr("dob_l", 6, 2) = substr("dob_r", 9, 2) '
                'AND substr("dob_l", 9, 2) = substr("dob_r", 6, 2)',
                "day and month swapped",
            ),
            _level('levenshtein("dob_l", "dob_r") <= 1', "one digit different"),
            _level(
                'substr("dob_l", 1, 4) = substr("dob_r", 1, 4) AND (substr("dob_l", 9, 2) = substr("dob_r", 9, 2) '
                f'OR least(substr("dob_l", 9, 2), substr("dob_r", 9, 2)) >= \'{MONTH_END}\') '
                'AND abs(CAST(substr("dob_l", 6, 2) AS INTEGER) - CAST(substr("dob_r", 6, 2) AS INTEGER)) = 1',
                "month off by one",
            ),
            _level('substr("dob_l", 1, 4) = substr("dob_r", 1, 4)', "same year"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_levels": [
            _level(_null("sex"), "null", null=True),
            _level('"sex_l" = "sex_r"', "exact"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "birth_country",
        "comparison_levels": [
            _level(_null("country"), "null", null=True),
            _level('"country_l" = "country_r"', "exact"),
            _level("ELSE", "different"),
        ],
    },
    {
        "output_column_name": "fbi_number",
        "comparison_levels": [
            _level(_null("fbi"), "null", null=True),
            _fixed_m(_level('"fbi_l" = "fbi_r"', "exact"), FBI_M_EXACT),
            _fixed_m(_level('damerau_levenshtein("fbi_l", "fbi_r") <= 1', "one character different"), FBI_M_TYPO),
            _fixed_m(_level('damerau_levenshtein("fbi_l", "fbi_r") <= 2', "two characters different"), FBI_M_TWO),
            _fixed_m(_level("ELSE", "different"), FBI_M_DIFFERENT),
        ],
    },
    # The A-number is keyed by hand and assigned by an agency: one person may hold two before the files are
    # consolidated, and a number may be mis-keyed in any digit. So, unlike the FBI number, m of every level is
    # estimated by EM from the data, as for names and DOB: how often one person's two records carry another
    # number is measured, not assumed near-impossible. u from random pairs. No identifier-conflict flag.
    {
        "output_column_name": "a_number",
        "comparison_levels": [
            _level(_null("anum"), "null", null=True),
            _level('"anum_l" = "anum_r"', "exact"),
            _level('damerau_levenshtein("anum_l", "anum_r") <= 1', "one character different"),
            _level('damerau_levenshtein("anum_l", "anum_r") <= 2', "two characters different"),
            _level("ELSE", "different"),
        ],
    },
]
# Levels added after models were already stored, and the level that took their pairs before: a stored model
# without them still scores (the pairs weigh what they weighed), and a retrained model learns them.
LEVEL_FALLBACK = {
    "given names shared (first and middle as a set)": "different",
    "same sound (Metaphone)": "different",
    "another name of the other record": "different",
    "month off by one": "same year",
    "1 January on one side (a default), same year": "same year",
    "two characters different": "different",
    SURNAMES_MOVED: "one surname of a compound name",
    SECOND_DROPPED: "one surname of a compound name",
    COMPOUND_SLIP: "one surname of a compound name",
    SLIP_DROPPED: f"Jaro-Winkler >= {JW_LOW}",
}
# Comparisons added after models were already stored: a stored model without one scores it as 0 (ignored).
OPTIONAL_COMPARISONS = frozenset({"fbi_number", "a_number"})
# The identifier comparisons: one character apart never counts more than equal, two never more than one
# (``splink_io.settle_unseen_levels``).
IDENTIFIER_COMPARISONS = ("fbi_number", "a_number")

# ------------------------------------------------------------------------------------------- our levels
# Each returns the level index within the comparison, in the order above (0 = null level).


def _shares_given(a: Rec, b: Rec) -> bool:
    """A token of one record's given name is among the other's given names (first and middle as a set)."""
    fa, fb = a[F_FIRST].split(" "), b[F_FIRST].split(" ")
    names_b = {*fb, *b[F_MIDDLE].split(" ")} - {""}
    names_a = {*fa, *a[F_MIDDLE].split(" ")} - {""}
    return any(t in names_b for t in fa) or any(t in names_a for t in fb)


def _first(a: Rec, b: Rec) -> int:
    fa, fb = a[F_FIRST], b[F_FIRST]
    if not fa or not fb:
        return 0
    if fa == fb:
        return 1
    if a[F_CANON] and a[F_CANON] == b[F_CANON]:
        return 2
    # a swap, unless the surnames agree: "Ali Ali" against "Roberto Ali" shares one word, counted by the surname
    if ((b[F_LAST] and fa == b[F_LAST]) or (a[F_LAST] and a[F_LAST] == fb)) and a[F_LAST] != b[F_LAST]:
        return 3
    if _shares_given(a, b):
        return 4
    jw = JaroWinkler.similarity(fa, fb)
    if jw >= JW_HIGH:
        return 5
    pa = phonetic(fa)
    if pa and pa == phonetic(fb):
        return 6
    if jw >= JW_LOW:
        return 7
    return 8


def _last(a: Rec, b: Rec) -> int:
    la, lb = a[F_LAST], b[F_LAST]
    if not la or not lb:
        return 0
    if la == lb:
        return 1
    fa, fb = a[F_FIRST], b[F_FIRST]
    if (
        (fb and la == fb and JaroWinkler.similarity(fa, lb) >= JW_LOW)
        or (fa and fa == lb and JaroWinkler.similarity(la, fb) >= JW_LOW)
    ) and fa != fb:
        return 2
    sa, sb = set(la.split(" ")), set(lb.split(" "))
    if (sa <= sb and sb <= sa | set(a[F_MIDDLE].split(" "))) or (sb <= sa and sa <= sb | set(b[F_MIDDLE].split(" "))):
        return 3
    a1, a2, b1, b2 = a[F_TOK1], a[F_TOK2], b[F_TOK1], b[F_TOK2]
    if (" " not in la and " " in lb and la == b1) or (" " not in lb and " " in la and lb == a1):
        return 4
    if (
        " " in la
        and " " in lb
        and (
            (a1 == b1 and Levenshtein.distance(a2, b2, score_cutoff=1) <= 1)
            or (a2 == b2 and Levenshtein.distance(a1, b1, score_cutoff=1) <= 1)
        )
    ):
        return 5
    if (" " not in la and " " in lb and Levenshtein.distance(la, b1, score_cutoff=1) <= 1) or (
        " " not in lb and " " in la and Levenshtein.distance(lb, a1, score_cutoff=1) <= 1
    ):
        return 6
    if a1 in (b1, b2) or a2 in (b1, b2):
        return 7
    jw = JaroWinkler.similarity(la, lb)
    if jw >= JW_HIGH:
        return 8
    pa = phonetic(la)
    if pa and pa == phonetic(lb):
        return 9
    if jw >= JW_LOW:
        return 10
    return 11


def _middle(a: Rec, b: Rec) -> int:
    ma, mb = a[F_MIDDLE], b[F_MIDDLE]
    if not ma or not mb:
        # one middle name alone: another name of the other record when it is one of its surnames (ADR 0063)
        return 2 if (ma and ma in (b[F_TOK1], b[F_TOK2])) or (mb and mb in (a[F_TOK1], a[F_TOK2])) else 0
    if ma == mb:
        return 1
    if ma in (b[F_FIRST], b[F_TOK1], b[F_TOK2]) or mb in (a[F_FIRST], a[F_TOK1], a[F_TOK2]):
        return 2
    if ma[0] == mb[0]:
        return 3
    return 4


def _dob(a: Rec, b: Rec) -> int:
    da, db = a[F_DOB], b[F_DOB]
    if not da or not db:
        return 0
    if da == db:
        return 1
    same_year = da[:4] == db[:4]
    if same_year and (da[5:] == "01-01" or db[5:] == "01-01"):
        return 2
    if same_year and da[5:7] == db[8:10] and da[8:10] == db[5:7]:
        return 3
    if Levenshtein.distance(da, db, score_cutoff=1) <= 1:
        return 4
    if not same_year:
        return 7
    if abs(int(da[5:7]) - int(db[5:7])) == 1 and (da[8:10] == db[8:10] or min(da[8:10], db[8:10]) >= MONTH_END):
        return 5
    return 6


def _identifier(i: int) -> Callable[[Rec, Rec], int]:
    """An identifier's levels (the FBI number, the A-number): equal, one character apart, two, more."""

    def level(a: Rec, b: Rec) -> int:
        x, y = a[i], b[i]
        if not x or not y:
            return 0
        if x == y:
            return 1
        d = DamerauLevenshtein.distance(x, y, score_cutoff=2)
        return 2 if d <= 1 else 3 if d <= 2 else 4

    return level


_fbi, _anum = _identifier(F_FBI), _identifier(F_ANUM)


def fbi_conflict(a: Rec, b: Rec) -> bool:
    """Both records carry an FBI number and they are more than one character apart."""
    return _fbi(a, b) >= 3


def _eq(i: int) -> Callable[[Rec, Rec], int]:
    def level(a: Rec, b: Rec) -> int:
        x, y = a[i], b[i]
        if not x or not y:
            return 0
        return 1 if x == y else 2

    return level


LEVEL_FUNCS: tuple[Callable[[Rec, Rec], int], ...] = (
    _first, _last, _middle, _dob, _eq(F_SEX), _eq(F_COUNTRY), _fbi, _anum,
)  # fmt: skip
# The values shown in an explanation for each comparison.
SHOWN_FIELDS: tuple[tuple[int, ...], ...] = (
    (F_FIRST,), (F_LAST,), (F_MIDDLE,), (F_DOB,), (F_SEX,), (F_COUNTRY,), (F_FBI,), (F_ANUM,),
)  # fmt: skip


def _resolve(value: Any) -> float | None:
    if value == NOT_OBSERVED:
        return 1e-6  # what splink substitutes for a level unseen in training
    return None if value is None else float(value)


@dataclass(frozen=True)
class Comparison:
    name: str
    labels: tuple[str, ...]
    weights: tuple[float, ...]  # log2(m/u) per level; 0 for the null level
    u_exact: float = 0.0  # u of the exact level: the base of the term-frequency adjustment
    tf_floor: float = -math.inf  # the least an exact agreement weighs once adjusted (TF_FLOOR_LEVEL's weight)


# Term-frequency adjustments (splink's recipe, applied by our code): an exact agreement on a name counts
# log2(u_exact / tf(name)) more, where tf is the name's share of the registry (a rare surname says more than a
# common one), bounded so that a name seen once in a small registry cannot outweigh a date of birth ...
TF_FIELDS = {"first_name": F_FIRST, "last_name": F_LAST}
TF_MAX_BITS = 6.0
EXACT_LEVEL = 1
# ... never below the same name one letter off ("Juan" weighs no less against "Juan" than "Jun"; ADR 0063)
TF_FLOOR_LEVEL = f"Jaro-Winkler >= {JW_HIGH}"


@dataclass(frozen=True)
class TermFrequencies:
    """How many registry records carry each name (per comparison), and the registry size."""

    total: int
    counts: dict[tuple[str, str], int]

    def adjustment(self, comparison: str, value: str, u_exact: float) -> float:
        n = self.counts.get((comparison, value), 0)
        if n <= 0 or self.total <= 0 or u_exact <= 0:
            return 0.0
        return max(-TF_MAX_BITS, min(TF_MAX_BITS, math.log2(u_exact * self.total / n)))


@dataclass(frozen=True)
class Scorer:
    """The stored splink parameters in a form our code applies (prior + Σ log2 m/u)."""

    prior: float
    prior_weight: float
    comparisons: tuple[Comparison, ...]

    @classmethod
    def from_splink(cls, model: dict[str, Any], *, complete: bool = False) -> Scorer:
        """The scorer of a stored model. A model stored before an optional comparison existed lacks it and
        scores it as 0 (ignored); ``complete`` refuses such a model (a new model must have them all)."""
        prior = float(model["probability_two_random_records_match"])
        stored_by_name = {c.get("output_column_name"): c for c in model["comparisons"]}
        ours = [spec["output_column_name"] for spec in COMPARISONS]
        theirs = [c.get("output_column_name") for c in model["comparisons"]]
        if theirs != [n for n in ours if n in theirs] or not set(ours) - OPTIONAL_COMPARISONS <= set(theirs):
            raise ValueError("The stored model's comparisons do not match this code's comparisons.")
        if complete and set(theirs) != set(ours):
            raise ValueError(f"The model lacks the comparisons {sorted(set(ours) - set(theirs))}.")
        comps = []
        for spec in COMPARISONS:
            labels = [lv["label_for_charts"] for lv in spec["comparison_levels"]]
            stored = stored_by_name.get(spec["output_column_name"])
            if stored is None:
                comps.append(Comparison(spec["output_column_name"], tuple(labels), (0.0,) * len(labels)))
                continue
            by_label = {lv.get("label_for_charts", ""): lv for lv in stored["comparison_levels"]}
            u_exact = _resolve(by_label.get("exact", {}).get("u_probability")) or 0.0
            weights = []
            for level_spec in spec["comparison_levels"]:
                label = level_spec["label_for_charts"]
                # A model stored before a level existed scores that level as the one that took it before.
                level = by_label.get(label) or by_label.get(LEVEL_FALLBACK.get(label, ""))
                if level is None or (complete and label not in by_label):
                    raise ValueError(f"Comparison {spec['output_column_name']!r} has other levels than this code's.")
                if level.get("is_null_level"):
                    weights.append(0.0)
                    continue
                m, u = _resolve(level.get("m_probability")), _resolve(level.get("u_probability"))
                if m is None or u is None:
                    raise ValueError(f"Comparison {spec['output_column_name']!r} has an untrained level.")
                weights.append(math.inf if u == 0 else math.log2(m / u))
            floor = weights[labels.index(TF_FLOOR_LEVEL)] if TF_FLOOR_LEVEL in labels else -math.inf
            comps.append(Comparison(spec["output_column_name"], tuple(labels), tuple(weights), u_exact, floor))
        return cls(prior, math.log2(prior / (1 - prior)), tuple(comps))

    @cached_property
    def _plan(self) -> tuple[tuple[Callable[[Rec, Rec], int], tuple[float, ...], int, str, float, float], ...]:
        """Per comparison: its level function, weights, the field of its term-frequency adjustment (-1 for none)
        and the adjustment's bounds — resolved once, as ``weight`` runs for every candidate pair."""
        return tuple(
            (f, c.weights, TF_FIELDS.get(c.name, -1), c.name, c.u_exact, c.tf_floor - c.weights[EXACT_LEVEL])
            for f, c in zip(LEVEL_FUNCS, self.comparisons, strict=True)
        )

    def weight(self, a: Rec, b: Rec, tf: TermFrequencies | None = None) -> float:
        w = self.prior_weight
        for f, weights, tf_field, name, u_exact, least in self._plan:
            lv = f(a, b)
            w += weights[lv]
            if lv == EXACT_LEVEL and tf_field >= 0 and tf is not None:
                w += max(least, tf.adjustment(name, b[tf_field], u_exact))
        return w

    def levels(self, a: Rec, b: Rec) -> list[int]:
        return [f(a, b) for f in LEVEL_FUNCS]

    def explain(self, a: Rec, b: Rec, tf: TermFrequencies | None = None) -> tuple[float, list[dict[str, Any]]]:
        """(total weight, per-comparison terms) for the booking record ``a`` and the registry record ``b``.
        A term's weight includes its term-frequency adjustment, shown apart as ``tf_adjustment``."""
        total = self.prior_weight
        terms: list[dict[str, Any]] = []
        for f, comp, shown in zip(LEVEL_FUNCS, self.comparisons, SHOWN_FIELDS, strict=True):
            lv = f(a, b)
            w = comp.weights[lv]
            term: dict[str, Any] = {
                "comparison": comp.name,
                "level": comp.labels[lv],
                "booking": " ".join(a[i] for i in shown) or None,
                "registry": " ".join(b[i] for i in shown) or None,
            }
            if tf is not None and lv == EXACT_LEVEL and comp.name in TF_FIELDS:
                adj = max(comp.tf_floor - w, tf.adjustment(comp.name, b[TF_FIELDS[comp.name]], comp.u_exact))
                term["tf_adjustment"] = round(adj, 6)
                w += adj
            total += w
            term["weight"] = round(w, 6)
            terms.append(term)
        return total, terms


def probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    if weight < -60:
        return 0.0
    odds = 2.0**weight
    return odds / (1.0 + odds)


def weight_for_probability(p: float) -> float:
    return math.log2(p / (1.0 - p))
