"""Who may run the intakes (ADR 0019). ``IntakeConfig.ready`` registers these.
A booking intake is open to the jail's and the agency's roles because each booking it records goes through
``booking_create``, whose row asks for the jail (or the area's field office recording from its document)."""

from __future__ import annotations

from holdtrack.accounts.models import AGENCY_ROLES, LEA_ROLES
from holdtrack.kernel.parties import ActionRule, Party, register_rules
from holdtrack.kernel.parties import Relation as R

BOOKERS = (Party(AGENCY_ROLES | LEA_ROLES, R.ANYONE),)

RULES = (
    ActionRule("registry_import", "import a subject registry", (Party(AGENCY_ROLES, R.ANYONE),)),
    ActionRule("bookings_intake", "record bookings", BOOKERS, notes="each booking is then checked by `booking_create`"),
    ActionRule("booking_intake", "record bookings", BOOKERS, notes="each booking is then checked by `booking_create`"),
)

register_rules(RULES)
