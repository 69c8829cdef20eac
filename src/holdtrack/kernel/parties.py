"""One party model (issue 11, ADR 0019): a declarative table of every write action and the check that reads it.

Each app declares the rules of its own actions beside its models (``cases/rules.py``, ``custody/rules.py``) and
how to find the parties of its objects (``register_parties``). A service asks ``authorize(actor, service, obj)``
under its row lock, before any guard; the answer is an ``Authorization`` that the step machinery
(``kernel.steps``) requires for every step a person takes, so a service cannot skip the table.

This module imports no app: roles and channels are plain strings, the actor is anything shaped like a user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any, Protocol

from holdtrack.core.errors import DomainError, NotPermitted, ValidationFailed
from holdtrack.core.memo import once

SYSTEM_ROLE = "SYSTEM"
STAFF_RECORDED = "STAFF_RECORDED"  # audit.models.Channel.STAFF_RECORDED


class Relation(StrEnum):
    """What the actor's organisation must be to the object acted on."""

    ISSUING_OFFICE = "issuing office"
    CASE_LEA = "addressed LEA"
    REFERRAL_DOJ = "DOJ office on the referral"
    AREA_OFFICE = "field office of the booking's area"
    FIELD_OFFICE = "any field office"
    OWN_ORGANISATION = "the organisation it belongs to"
    ANYONE = "any organisation"


# How a refusal names the relation that was missing.
_ONLY = {
    Relation.ISSUING_OFFICE: "the issuing office",
    Relation.CASE_LEA: "the addressed law enforcement agency",
    Relation.REFERRAL_DOJ: "the DOJ office that received the referral",
    Relation.AREA_OFFICE: "the field office responsible for the booking's jail",
    Relation.FIELD_OFFICE: "an officer of an agency field office",
    Relation.OWN_ORGANISATION: "the organisation it belongs to",
    Relation.ANYONE: "a party",
}
# How a staff-recorded refusal names the counterpart and the side whose act is recorded.
_STAFF_OF = {
    Relation.ISSUING_OFFICE: "the issuing office on this case",
    Relation.CASE_LEA: "the law enforcement agency this case is addressed to",
    Relation.AREA_OFFICE: "the field office whose area holds the jail",
}
_ACT_OF = {
    Relation.ISSUING_OFFICE: "the issuing office's",
    Relation.CASE_LEA: "the law enforcement agency's",
    Relation.AREA_OFFICE: "the field office's",
}


class Org(Protocol):
    pk: Any
    kind: str
    lea_id: int | None
    aor_id: int | None


class Actor(Protocol):
    pk: Any
    role: str
    is_active: bool
    organization_id: int | None

    @property
    def organization(self) -> Any: ...

    def get_full_name(self) -> str: ...

    def get_role_display(self) -> str: ...


@dataclass(frozen=True)
class Parties:
    """The organisations party to one object, as ids: offices, LEAs, DOJ offices, the areas (AOR ids) whose
    field offices answer for its bookings, and the organisations that own it."""

    issuing_office_ids: frozenset[int] = frozenset()
    lea_ids: frozenset[int] = frozenset()
    doj_office_ids: frozenset[int] = frozenset()
    area_ids: frozenset[int] = frozenset()
    organization_ids: frozenset[int] = frozenset()  # owners of an organisation's own things (API clients, …)


NO_PARTIES = Parties()


@dataclass(frozen=True)
class Party:
    """Users of these roles whose organisation has ``relation`` to the object."""

    roles: frozenset[str]
    relation: Relation


@dataclass(frozen=True)
class ActionRule:
    """Who may take one write action. ``service`` is the service's name (``<entity>_<action>``); ``text`` reads
    in a refusal ("approve a detainer"). ``recorded_by`` is the counterpart whose staff may record the act from
    the acting side's document (channel STAFF_RECORDED); None means nobody records it for that side."""

    service: str
    text: str
    parties: tuple[Party, ...]
    recorded_by: Party | None = None
    system: bool = True  # the system account (rules, sweeps, imports) may take it
    named: bool = False  # the actor must have a name on record (a decision only a person makes)
    refusal: type[DomainError] = NotPermitted  # raised when the relation (not the role) is missing
    refusal_rule: str = ""
    notes: str = ""

    @property
    def roles(self) -> frozenset[str]:
        return frozenset().union(*(p.roles for p in self.parties))


@dataclass(frozen=True)
class Authorization:
    """Proof that ``authorize`` let ``actor_id`` take ``rule.service`` on one object, and on what standing."""

    actor_id: Any
    rule: ActionRule
    standing: str  # the relation that allowed it, "counterpart: …" for staff recording, or "system"
    recorded_by_counterpart: bool = False
    document: str = ""  # the other side's document a counterpart recorded the act from


class UnauthorizedStep(RuntimeError):
    """A person's step reached the machinery without an authorization: a service forgot ``authorize``."""


# ------------------------------------------------------------------------------------------- registries

_RULES: dict[str, ActionRule] = {}
_RESOLVERS: dict[type, Callable[[Any], Parties]] = {}


def register_rules(rules: Iterable[ActionRule]) -> None:
    """Add an app's rules to the table. A service is declared once; a second, different rule is an error."""
    for rule in rules:
        known = _RULES.get(rule.service)
        if known is not None and known != rule:
            raise ValueError(f"Two rules for the service {rule.service!r}.")
        _RULES[rule.service] = rule


def rule_for(service: str) -> ActionRule:
    try:
        return _RULES[service]
    except KeyError:
        raise LookupError(f"No rule declares who may take {service!r}; add it to the app's rules.py.") from None


def all_rules() -> list[ActionRule]:
    return sorted(_RULES.values(), key=lambda r: r.service)


def register_parties(model: type, resolver: Callable[[Any], Parties]) -> None:
    """Tell the kernel how to find the parties of ``model``'s objects."""
    _RESOLVERS[model] = resolver


def parties_of(obj: Any) -> Parties:
    if obj is None:
        return NO_PARTIES
    for cls in type(obj).__mro__:
        if cls in _RESOLVERS:
            # A page asks about one object for several actions: its parties are resolved once for the page.
            return once(("kernel.parties", cls, getattr(obj, "pk", None) or id(obj)), partial(_RESOLVERS[cls], obj))
    raise LookupError(f"No parties resolver is registered for {type(obj).__name__}.")


# ------------------------------------------------------------------------------------------------ check


def holds(relation: Relation, org: Any, parties: Parties) -> bool:
    """Whether the organisation ``org`` stands in ``relation`` to an object with these parties."""
    if relation == Relation.ANYONE:
        return True
    if org is None:
        return False
    if relation == Relation.ISSUING_OFFICE:
        return bool(org.pk in parties.issuing_office_ids)
    if relation == Relation.CASE_LEA:
        return org.lea_id is not None and org.lea_id in parties.lea_ids
    if relation == Relation.REFERRAL_DOJ:
        return bool(org.pk in parties.doj_office_ids)
    if relation == Relation.AREA_OFFICE:
        return org.kind == "AGENCY_OFFICE" and org.aor_id is not None and org.aor_id in parties.area_ids
    if relation == Relation.FIELD_OFFICE:
        return bool(org.kind == "AGENCY_OFFICE")
    if relation == Relation.OWN_ORGANISATION:
        return bool(org.pk in parties.organization_ids)
    raise ValueError(f"Unknown relation {relation!r}.")


def _refuse(rule: ActionRule, message: str) -> DomainError:
    return rule.refusal(message, rule=rule.refusal_rule) if rule.refusal_rule else rule.refusal(message)


def authorize(actor: Actor, service: str, obj: Any = None, *, channel: str = "", document: str = "") -> Authorization:
    """Let ``actor`` take ``service`` on ``obj`` as the table says, or raise. Call it under the row lock, before
    any guard, so a foreign actor learns nothing of the case's state. The role is checked first (NotPermitted);
    then the account (active, named) and the organisation's relation (the rule's refusal). The counterpart
    recording the other side's act (channel STAFF_RECORDED) names the ``document`` it records from."""
    rule = rule_for(service)
    if actor.role == SYSTEM_ROLE:
        if rule.system:
            return Authorization(actor.pk, rule, "system")
        raise _refuse(rule, f"Only a named person may {rule.text}, never the system.")
    counterpart = rule.recorded_by
    if channel == STAFF_RECORDED and counterpart is not None and actor.role in counterpart.roles - rule.roles:
        _require_account(actor, rule)
        if holds(counterpart.relation, actor.organization, parties_of(obj)):
            if not document.strip():
                raise ValidationFailed(
                    f"Recording the other side's act to {rule.text} from its document: name the document "
                    "(form, number, date received)."
                )
            return Authorization(
                actor.pk, rule, f"counterpart: {counterpart.relation}", recorded_by_counterpart=True, document=document
            )
        acting = rule.parties[0].relation
        raise _refuse(
            rule,
            f"Only staff of {_STAFF_OF.get(counterpart.relation, counterpart.relation)} may record, from its "
            f"document, {_ACT_OF.get(acting, 'the other side’s')} act to {rule.text}.",
        )
    if actor.role not in rule.roles:
        raise NotPermitted(f"A {actor.get_role_display().lower()} may not {rule.text}.")
    _require_account(actor, rule)
    mine = [p for p in rule.parties if actor.role in p.roles]
    parties: Parties | None = None  # resolved only when a relation needs the object
    for p in mine:
        if parties is None and p.relation not in (Relation.ANYONE, Relation.FIELD_OFFICE):
            parties = parties_of(obj)
        if holds(p.relation, actor.organization, parties or NO_PARTIES):
            return Authorization(actor.pk, rule, str(p.relation))
    if len({p.relation for p in rule.parties}) > 1:
        raise _refuse(rule, f"Only a party to this case ({_party_list(rule)}) may {rule.text}.")
    raise _refuse(rule, f"Only {_ONLY[mine[0].relation]} may {rule.text}.")


def refusal(actor: Actor, service: str, obj: Any = None, *, channel: str = "") -> DomainError | None:
    """Why the table refuses ``actor`` the action on ``obj``, or None: for pages and queues that offer only the
    actions a user may take (they ask the table instead of restating roles). The staff-recorded document is
    not asked for here; the service asks for it when the act is recorded."""
    try:
        authorize(actor, service, obj, channel=channel, document="(asked by a page)")
    except DomainError as exc:
        return exc
    return None


def _require_account(actor: Actor, rule: ActionRule) -> None:
    if not actor.is_active:
        raise _refuse(rule, f"An inactive account may not {rule.text}.")
    if rule.named and not actor.get_full_name().strip():
        raise _refuse(rule, f"Only a person with a name on record may {rule.text}.")


def _party_list(rule: ActionRule) -> str:
    return ", ".join(dict.fromkeys(_ONLY[p.relation] for p in rule.parties))


ROLE_LABELS: dict[str, str] = {
    "AGENCY_OFFICER": "officer",
    "AGENCY_SUPERVISOR": "supervisor",
    "AGENCY_COUNSEL": "agency counsel",
    "DOJ_ATTORNEY": "DOJ attorney",
    "LEA_BOOKING": "LEA booking",
    "LEA_COUNSEL": "LEA counsel",
    "ANALYST": "analyst",
    "AUDITOR": "auditor",
    "ADMIN": "administrator",
}


def _who(p: Party) -> str:
    roles = ", ".join(ROLE_LABELS.get(r, r) for r in sorted(p.roles, key=lambda r: list(ROLE_LABELS).index(r)))
    return f"{roles} — {p.relation}"


def rules_markdown() -> str:
    """The table as markdown, one row per write service; docs/security.md embeds it and a test keeps it equal."""
    lines = [
        "| service | who may act (role — relation to the case) | staff recording from the other side's document "
        "| system | person named | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in all_rules():
        who = "<br>".join(_who(p) for p in r.parties)
        staff = _who(r.recorded_by) if r.recorded_by else "—"
        lines.append(
            f"| `{r.service}` | {who} | {staff} | {'yes' if r.system else 'no'} | {'yes' if r.named else 'no'} "
            f"| {r.notes} |"
        )
    return "\n".join(lines) + "\n"


__all__ = [
    "ActionRule",
    "Authorization",
    "Parties",
    "Party",
    "Relation",
    "UnauthorizedStep",
    "all_rules",
    "authorize",
    "holds",
    "parties_of",
    "refusal",
    "register_parties",
    "register_rules",
    "rule_for",
    "rules_markdown",
]
