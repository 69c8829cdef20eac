"""What makes a warrant judicial: a court of record issued it and a judge signed it (issue 11).

Judicial-warrant-only laws (e.g. Washington's Keep Washington Working Act, RCW 10.93.160; New York City Local
Law 58 of 2014) let a jail hold a person for immigration purposes only on a warrant a *judge* signed. An
immigration officer's warrant (I-200, I-205) or an immigration judge's order is administrative: immigration
judges sit in the Executive Office for Immigration Review, part of the Department of Justice, not in a court of
record (8 CFR 1003.10). The agency records what it attaches; these word lists say what cannot be judicial, and
the receiving LEA's counsel confirms the classification before any policy relies on it.
"""

from __future__ import annotations

import re

# A judge's title contains one of these words …
JUDGE_WORDS = ("judge", "justice", "magistrate")
# … and none of these, which mark an immigration judge or an executive officer.
NOT_JUDGE = re.compile(
    r"\b(immigration|ij|officer|director|agent|deportation|detention|ice|ero|dhs|uscis|cbp|field office|sddo)\b"
)
# A court of record is named as a court …
COURT_WORDS = re.compile(r"\b(court|d\.\s?[a-z]|[nsew]\.d\.\s?[a-z])")
# … and is not an immigration court or an agency office.
NOT_COURT = re.compile(r"\b(immigration|eoir|ice|ero|dhs|uscis|cbp|field office|department of homeland security)\b")


def judicial_problem(signed_by_title: str, court: str) -> str | None:
    """Why a warrant recorded as judicial is not one, or None."""
    title, where = signed_by_title.strip().lower(), court.strip().lower()
    if not where:
        return "A judicial warrant names the Article III or state court that issued it."
    if "immigration judge" in title or re.search(r"\bij\b", title):
        return "An immigration judge is not a judicial officer for this purpose: the warrant is administrative."
    if not any(w in title for w in JUDGE_WORDS) or NOT_JUDGE.search(title):
        return f"'{signed_by_title}' is not the title of a judge: only a judge signs a judicial warrant."
    if not COURT_WORDS.search(where) or NOT_COURT.search(where):
        return (
            f"'{court}' is not a court of record: an immigration court or an agency office issues no judicial warrant."
        )
    return None
