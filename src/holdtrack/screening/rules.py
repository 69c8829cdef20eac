"""Who may write the registry and the screening models, and run screening (ADR 0019). The registry and the
models are the agency's, shared by its field offices: agency roles of any office, or the system account.
Screening a booking also runs for the jail that records it; the matches it proposes are checked per booking
by ``identity_match_propose``."""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES
from holdtrack.kernel.parties import ActionRule, Party, register_rules
from holdtrack.kernel.parties import Relation as R

AGENCY = (Party(AGENCY_ROLES, R.ANYONE),)
SCREENERS = (Party(AGENCY_ROLES | LEA_ROLES, R.ANYONE),)

RULES = (
    ActionRule("registry_subject_add", "add a subject to the registry", AGENCY),
    ActionRule("screening_model_store", "store a screening model", AGENCY),
    ActionRule("screening_model_activate", "activate a screening model", AGENCY),
    ActionRule("screening_model_train", "train a screening model", AGENCY),
    ActionRule("train_and_store", "train a screening model", AGENCY),
    ActionRule(
        "labelled_pairs",
        "read the officers' decisions to train a screening model",
        AGENCY,
        notes="a read of reviewed matches, gated as the training it feeds",
    ),
    ActionRule("bookings_rescreen", "re-screen bookings", AGENCY),
    ActionRule(
        "identity_matches_export",
        "export identity matches",
        AGENCY,
        notes="personal data of the agency's registry",
    ),
    ActionRule("screen_bookings", "screen bookings", SCREENERS),
    ActionRule("screen_booking", "screen bookings", SCREENERS),
)

register_rules(RULES)
