"""Context builders of the enforcement documents: the clock history, the noncompliance record and the
referral memo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from holdtrack.audit.export import recorded_text
from holdtrack.audit.models import CaseType, Transition
from holdtrack.cases import clocks
from holdtrack.cases.models import (
    CourtCase,
    EnforcementReferral,
    Subpoena,
    SubpoenaState,
)
from holdtrack.documents.render.fields import ENFORCEMENT_BASIS, item_labels, last_transition, person, when
from holdtrack.documents.render.subpoena_forms import subpoena_common

# ------------------------------------------------------------------------------ clock history, record


CASE_LABEL: dict[str, str] = {
    CaseType.SUBPOENA: "Subpoena",
    CaseType.REFERRAL: "Referral",
    CaseType.COURT_CASE: "Court case",
}


def _rule_ids(data: dict[str, Any]) -> list[str]:
    rules = [c.get("rule", "") for c in data.get("clocks", []) if isinstance(c, dict)]
    if data.get("rule"):
        rules.append(str(data["rule"]))
    rules += [str(r) for r in data.get("policy_rules", [])]
    return [r for r in dict.fromkeys(rules) if r]


def enforcement_records(s: Subpoena) -> list[tuple[str, int]]:
    records: list[tuple[str, int]] = [(CaseType.SUBPOENA, s.pk)]
    referral = EnforcementReferral.objects.filter(subpoena=s).first()
    if referral is not None:
        records.append((CaseType.REFERRAL, referral.pk))
        case = CourtCase.objects.filter(referral=referral).first()
        if case is not None:
            records.append((CaseType.COURT_CASE, case.pk))
    return records


def clock_history(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = subpoena_common(s)
    tz = ctx["tz"]
    rows: list[dict[str, Any]] = []
    last_at = s.drafted_at
    for case_type, case_id in enforcement_records(s):
        for t in Transition.objects.filter(case_type=case_type, case_id=case_id).select_related("actor__organization"):
            data = t.data or {}
            rows.append(
                {
                    "sort": (t.at, t.pk),
                    "at": when(t.at, tz),
                    "record": f"{CASE_LABEL[case_type]} {case_id}",
                    "seq": t.seq,
                    "event": t.name.replace("_", " "),
                    "change": f"{t.source or '—'} → {t.target}" if t.source != t.target else f"{t.target} (no change)",
                    "role": t.actor_role.replace("_", " ").lower(),
                    "channel": recorded_text(t) or t.channel.replace("_", " ").lower(),
                    "rules": ", ".join(_rule_ids(data)),
                    "due": ", ".join(
                        f"{c.get('name', '').replace('_', ' ')} due {when(_parse(c.get('due_at')), tz)}"
                        for c in data.get("clocks", [])
                        if isinstance(c, dict) and c.get("due_at")
                    ),
                }
            )
            last_at = max(last_at, t.at)
    rows.sort(key=lambda r: r["sort"])
    current = []
    for c in clocks.subpoena_clocks(s):
        current.append({"label": c.label, "due": when(c.due_at, tz), "rule": c.rule, "why": c.explanation})
    for case_type, case_id in enforcement_records(s):
        if case_type == CaseType.COURT_CASE:
            for c in clocks.court_clocks(CourtCase.objects.get(pk=case_id)):
                current.append({"label": c.label, "due": when(c.due_at, tz), "rule": c.rule, "why": c.explanation})
    ctx.update(
        title=f"Clock history — subpoena {s.pk}",
        template="documents/parts/clock_history.html",
        as_of=last_at,
        transition=last_transition(CaseType.SUBPOENA, s.pk),
        rows=rows,
        current=current,
        fields={
            "Subpoena": str(s.pk),
            **{f"Rule {r['rule']}": r["rule"] for r in current},
        },
    )
    return ctx


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


NONCOMPLIANT_EVENTS = {
    "lapse": "No response by the return date",
    "decline": "Declined",
    "object": "Objected",
    "comply_partially": "Complied in part",
    "record_noncompliance": "Court comply-by date passed without compliance",
    "move_for_contempt": "Contempt motion",
    "find_contempt": "Civil contempt found",
}


def noncompliance_record(s: Subpoena, lang: str, **kw: Any) -> dict[str, Any]:
    ctx = subpoena_common(s)
    tz = ctx["tz"]
    events: list[dict[str, Any]] = []
    last_at = s.issued_at or s.drafted_at
    for case_type, case_id in enforcement_records(s):
        for t in Transition.objects.filter(case_type=case_type, case_id=case_id, name__in=list(NONCOMPLIANT_EVENTS)):
            data = t.data or {}
            events.append(
                {
                    "sort": (t.at, t.pk),
                    "at": when(t.at, tz),
                    "record": f"{CASE_LABEL[case_type]} {case_id}",
                    "what": NONCOMPLIANT_EVENTS[t.name],
                    "rule": data.get("rule", ""),
                    "detail": t.reason,
                }
            )
            last_at = max(last_at, t.at)
    events.sort(key=lambda e: e["sort"])
    responses = []
    for r in s.responses.order_by("sent_at", "pk"):
        responses.append(
            {
                "type": r.get_response_type_display(),
                "sent": when(r.sent_at, tz),
                "produced": item_labels(r.produced_items),
                "withheld": item_labels([i for i in s.items if i not in r.produced_items]),
                "grounds": r.grounds,
                "legal_basis": r.legal_basis,
                "late": bool(s.return_due_at and r.sent_at > s.return_due_at),
            }
        )
        last_at = max(last_at, r.sent_at)
    compliant = s.state in (SubpoenaState.COMPLIED, SubpoenaState.COMPLIED_UNDER_ORDER)
    ctx.update(
        title=f"Non-compliance record — subpoena {s.pk}",
        template="documents/parts/noncompliance_record.html",
        as_of=last_at,
        transition=last_transition(CaseType.SUBPOENA, s.pk),
        events=events,
        responses=responses,
        state=s.get_state_display(),
        compliant=compliant,
        fields={
            "Subpoena": str(s.pk),
            "State": s.get_state_display(),
            "Return date": ctx["return_due"],
            **{f"Event {i + 1}": e["what"] for i, e in enumerate(events)},
            **{f"Grounds {i + 1}": r["grounds"] for i, r in enumerate(responses) if r["grounds"]},
        },
    )
    return ctx


def referral_memo(ref: EnforcementReferral, lang: str, **kw: Any) -> dict[str, Any]:
    s = ref.subpoena
    ctx = subpoena_common(s)
    tz = ctx["tz"]
    record = noncompliance_record(s, lang)
    ctx.update(
        title=f"Referral memorandum — enforcement of administrative subpoena {s.pk}",
        template="documents/parts/referral_memo.html",
        as_of=ref.referred_at,
        transition=last_transition(CaseType.REFERRAL, ref.pk, "refer"),
        ref=ref,
        doj_office=ref.doj_office.name,
        district=ref.usao_district,
        referred_at=when(ref.referred_at, tz),
        referred_by=person(ref.referred_by),
        memo=ref.memo,
        events=record["events"],
        responses=record["responses"],
        state=s.get_state_display(),
        related_detainer=s.related_detainer_id,
        fields={
            "Referral": str(ref.pk),
            "Subpoena": str(s.pk),
            "To": ref.doj_office.name,
            "District": ref.usao_district,
            "Referred by": person(ref.referred_by),
            "Statutory basis": s.statutory_basis,
            "Enforcement basis": ENFORCEMENT_BASIS,
            "Issuing official": ctx["issued_by_name"],
            "Served at": ctx["served_at"],
            "Return date": ctx["return_due"],
            "Subject name": s.subject.display_name,
        },
    )
    return ctx
