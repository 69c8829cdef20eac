"""The screening model page: the stored model versions, and for one the prior, m, u and weight of every comparison
level and the shadow comparisons on the officers' decisions (``screening.learning``).

Read from the stored splink JSON alone (not through this code's scorer), so a version stored before a comparison
or level was added still shows what it holds. No personal data: parameters and counts only. For supervisors (who
oversee the review queue and ask for a version's activation), auditors and administrators (oversight).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from holdtrack.accounts.models import Role
from holdtrack.accounts.scope import AnyUser, active_role
from holdtrack.screening.fs_model import NOT_OBSERVED
from holdtrack.screening.models import ScreeningModel

MODEL_PAGE_ROLES = frozenset({Role.AGENCY_SUPERVISOR, Role.AUDITOR, Role.ADMIN})
BAR_WIDTH = 240  # px of the SVG; half on each side of zero
BAR_CAP = 16.0  # bits shown at full half-width; larger weights are drawn at the cap (the number is exact)


def may_view_models(user: AnyUser) -> bool:
    return active_role(user) in MODEL_PAGE_ROLES


def model_versions() -> QuerySet[ScreeningModel]:
    return ScreeningModel.objects.defer("splink_model").order_by("-trained_at", "-id")


@dataclass
class Level:
    label: str
    is_null: bool
    m: float | None
    u: float | None
    weight: float | None
    fixed_m: bool
    labelled: int | None  # confirmed pairs at this level, when m came from labels
    bar_x: float = 0.0
    bar_w: float = 0.0

    @property
    def direction(self) -> str:
        return "for" if (self.weight or 0) >= 0 else "against"


@dataclass
class ComparisonView:
    name: str
    levels: list[Level] = field(default_factory=list)
    labelled_pairs: int | None = None


def _prob(value: Any) -> float | None:
    if value is None:
        return None
    return 1e-6 if value == NOT_OBSERVED else float(value)


def _bar(level: Level) -> None:
    half = BAR_WIDTH / 2
    if level.weight is None:
        level.bar_x, level.bar_w = half, 0.0
        return
    w = max(min(level.weight, BAR_CAP), -BAR_CAP) / BAR_CAP * half
    level.bar_x, level.bar_w = (half, w) if w >= 0 else (half + w, -w)


def comparisons(model: ScreeningModel) -> list[ComparisonView]:
    """Per comparison and level: m, u and the weight log2(m/u) (the null level is no evidence)."""
    used = next((e.get("labels_used") for e in model.evaluations if e.get("labels_used")), None) or {}
    out: list[ComparisonView] = []
    for comp in model.splink_model.get("comparisons", []):
        name = comp.get("output_column_name", "")
        counts = (used.get("comparisons") or {}).get(name) or {}
        view = ComparisonView(name, labelled_pairs=counts.get("pairs") if counts.get("estimated") else None)
        for lv in comp.get("comparison_levels", []):
            label = lv.get("label_for_charts", "")
            is_null = bool(lv.get("is_null_level"))
            m, u = (None, None) if is_null else (_prob(lv.get("m_probability")), _prob(lv.get("u_probability")))
            weight = 0.0 if is_null else (math.log2(m / u) if m and u else None)
            level = Level(
                label=label,
                is_null=is_null,
                m=m,
                u=u,
                weight=weight,
                fixed_m=bool(lv.get("fix_m_probability")),
                labelled=(counts.get("levels") or {}).get(label) if view.labelled_pairs is not None else None,
            )
            _bar(level)
            view.levels.append(level)
        out.append(view)
    return out


def prior(model: ScreeningModel) -> dict[str, float]:
    p = float(model.splink_model["probability_two_random_records_match"])
    return {"probability": p, "weight": math.log2(p / (1 - p)), "per_booking": p * model.registry_size}


def evaluations(model: ScreeningModel) -> list[dict[str, Any]]:
    """The shadow comparisons, newest first, with their time as shown (UTC, to the minute)."""
    return [{**e, "at_shown": str(e.get("at", ""))[:16].replace("T", " ")} for e in reversed(model.evaluations)]


def latest_recall(model: ScreeningModel) -> dict[str, Any] | None:
    """The newest shadow comparison's recall of this version and of the one active then (list page)."""
    if not model.evaluations:
        return None
    e = model.evaluations[-1]
    return {
        "recall": e["candidate"].get("recall"),
        "confirmed": e["candidate"].get("confirmed"),
        "against": (e.get("incumbent") or {}).get("version"),
        "against_recall": (e.get("incumbent") or {}).get("recall"),
        "m_from_labels": any(x.get("labels_used") for x in model.evaluations),
    }
