"""Cases: detainers with their warrants, notifications and outcomes; administrative subpoenas with their
responses; enforcement referrals; court cases and orders; work items raised by clocks.

State fields are protected django-fsm fields: they change only through ``cases.services``.

Rooms: ``detainers``, ``subpoenas``, ``court`` (each importing only those before it). Callers import from the
package.
"""

from __future__ import annotations

from holdtrack.cases.models.court import (
    CS,
    CourtCase,
    CourtOrder,
    CourtState,
    EnforcementReferral,
    OrderType,
    ReferralState,
)
from holdtrack.cases.models.detainers import (
    ACTIVE_STATES,
    ADMINISTRATIVE_WARRANTS,
    AGENCY_LIFT_REASONS,
    HOLD_SUPPORTING_WARRANTS,
    JUDICIAL_WARRANTS,
    LIFT_REASON_GROUP,
    NOTIFY_ONLY_FORMS,
    OPEN_LEA_STATES,
    TERMINAL_STATES,
    Box,
    ChargingDocument,
    Detainer,
    DetainerState,
    FormType,
    LeaDecision,
    LiftReason,
    Notification,
    NotificationKind,
    OutcomeGroup,
    PCBasis,
    RequestType,
    ReviewResult,
    S,
    ServiceMethod,
    Warrant,
    WarrantType,
    WorkItem,
    WorkItemKind,
)
from holdtrack.cases.models.subpoenas import (
    SS,
    SUBPOENA_NONCOMPLIANT,
    ItemCategory,
    ResponseType,
    Subpoena,
    SubpoenaResponse,
    SubpoenaState,
)

__all__ = [
    "ACTIVE_STATES",
    "ADMINISTRATIVE_WARRANTS",
    "AGENCY_LIFT_REASONS",
    "CS",
    "HOLD_SUPPORTING_WARRANTS",
    "JUDICIAL_WARRANTS",
    "LIFT_REASON_GROUP",
    "NOTIFY_ONLY_FORMS",
    "OPEN_LEA_STATES",
    "SS",
    "SUBPOENA_NONCOMPLIANT",
    "TERMINAL_STATES",
    "Box",
    "ChargingDocument",
    "CourtCase",
    "CourtOrder",
    "CourtState",
    "Detainer",
    "DetainerState",
    "EnforcementReferral",
    "FormType",
    "ItemCategory",
    "LeaDecision",
    "LiftReason",
    "Notification",
    "NotificationKind",
    "OrderType",
    "OutcomeGroup",
    "PCBasis",
    "ReferralState",
    "RequestType",
    "ResponseType",
    "ReviewResult",
    "S",
    "ServiceMethod",
    "Subpoena",
    "SubpoenaResponse",
    "SubpoenaState",
    "Warrant",
    "WarrantType",
    "WorkItem",
    "WorkItemKind",
]
