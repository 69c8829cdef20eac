"""Who may sign an immigration subpoena: the officials 8 CFR 287.4(a)(1) names, held as versioned reference
data with the citation (issue 11). A signer is checked by title; an officer outside the list signs only under
an express delegation of the authority (8 CFR 2.1) recorded with the account.

Source: 8 CFR 287.4(a) (domain.md A2.1: https://checkoutapi.com/regulations/title8_chapterI_part287_section287.4);
the Assistant Field Office Director from the 2020 Oregon subpoenas, whose signer held that title
(https://patgarrettforsheriff.com/federal-subpoenas-for-records-and-following-the-law/). The list is
summarised, not verbatim (domain.md marks the text [?]): confirm against the current eCFR before relying on
a title missing here; a new version of the list gets a new ``VERSION``.
"""

from __future__ import annotations

import re

VERSION = "R-SUBPOENA-AUTHORITY v2"
CITATION = "8 CFR 287.4(a)(1); 8 CFR 2.1"

TITLES = (
    "field office director",
    "deputy field office director",
    "assistant field office director",
    "special agent in charge",
    "deputy special agent in charge",
    "associate special agent in charge",
    "assistant special agent in charge",
    "supervisory special agent",
    "chief patrol agent",
    "director of detention and removal",
)
# An express delegation names 8 CFR 2.1 (and, by convention, the delegation order).
DELEGATION = re.compile(r"\b(delegat\w*)\b.*\b2\.1\b|\b2\.1\b.*\bdelegat\w*\b", re.I)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]+", " ", text.lower()).split("(")[0].strip()


def authority_problem(title: str, authority: str) -> str | None:
    """Why this signer may not sign a subpoena, or None."""
    if not authority.strip():
        return "The account records no subpoena authority."
    name = " ".join(_norm(title or authority.split(",")[0]).split())
    if any(name == t or name.startswith(t + " ") for t in TITLES):
        return None
    if DELEGATION.search(authority):
        return None
    return (
        f"'{title or authority}' is not an official named in 8 CFR 287.4(a)(1), and no delegation under 8 CFR 2.1 "
        "is recorded."
    )
