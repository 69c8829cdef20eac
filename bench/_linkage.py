"""Helpers shared by the linkage benchmarks that run holdtrack and splink in one script (``screening_febrl4.py``,
``screening_hard.py``): the machine line, the throwaway database, the bench agency, splink's weights, and the
precision / recall / F1 figures."""

from __future__ import annotations

import math
import os
import platform
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95)
REVIEW = 0.2  # holdtrack's default review threshold
Pair = tuple[str, str]  # (booking number, registry key)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    mem = "RAM unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    import duckdb
    import splink

    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem}, Python {platform.python_version()}, "
        f"splink {splink.__version__}, DuckDB {duckdb.__version__}; load average {load:.1f} at start"
    )


def recreate_database(url: str, marker: str) -> None:
    """DROP and CREATE the bench's own database (its name must contain ``marker``): a fresh state per run."""
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if marker not in name:
        sys.exit(f"refusing to drop database {name!r}: give a throwaway database whose name contains {marker!r}")
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def bench_agency(ori: str, facility: str, label: str) -> Any:
    """The bench's one agency and jail (Django must be set up); returns the agency."""
    from holdtrack.jurisdictions.models import AreaOfResponsibility, Facility, Jurisdiction, LawEnforcementAgency

    aor, _ = AreaOfResponsibility.objects.get_or_create(name="Bench AOR")
    county, _ = Jurisdiction.objects.get_or_create(
        fips="99901", defaults={"level": "COUNTY", "name": "Bench County", "state_abbr": "ZZ", "aor": aor}
    )
    lea, _ = LawEnforcementAgency.objects.get_or_create(
        ori=ori, defaults={"name": f"{label} County Sheriff", "agency_type": "SHERIFF", "jurisdiction": county}
    )
    Facility.objects.get_or_create(
        code=facility, defaults={"name": f"{label} County Jail", "operator": lea, "timezone": "America/New_York"}
    )
    return lea


def compared_as_screened(bookings: list[Any], keys: list[Any]) -> tuple[list[list[tuple[int, None]]], int]:
    """Each booking's candidates as screening compares them: every registry record any stage scored (the four
    blocking stages, the identifier probes and slips, the namesakes) or matched by FBI number, from a second run
    of ``stages.decide`` with the active model (``KEEP_COMPARED``). Returns them as (subject id, None) and how
    many bookings the wide rules probed."""
    from holdtrack.screening import stages

    model = stages.active_model()
    kept, stages.KEEP_COMPARED = stages.KEEP_COMPARED, True
    out: list[list[tuple[int, None]]] = []
    wide = 0
    try:
        for start in range(0, len(bookings), 2000):
            part = range(start, min(start + 2000, len(bookings)))
            booked = [
                stages.Booked(keys[j], bookings[j].fbi_number.strip(), bookings[j].a_number, bookings[j].subject_id)
                for j in part
            ]
            for d in stages.decide(booked, model):
                out.append([(sid, None) for sid in sorted(d.compared)])
                wide += d.wide
    finally:
        stages.KEEP_COMPARED = kept
    return out, wide


def splink_weights(linker: Any) -> dict[str, dict[str, float]]:
    """splink's estimated weights (bits) per comparison level, to set beside holdtrack's."""
    weights: dict[str, dict[str, float]] = {}
    for comp in linker.misc.save_model_to_json()["comparisons"]:
        levels = weights.setdefault(comp["output_column_name"], {})
        for lv in comp["comparison_levels"]:
            m, u = lv.get("m_probability"), lv.get("u_probability")
            if not lv.get("is_null_level") and isinstance(m, float) and isinstance(u, float) and m > 0 and u > 0:
                levels[lv.get("label_for_charts", "?")] = round(math.log2(m / u), 2)
    return weights


def splink_pairs(df: Any) -> list[list[Any]]:
    """splink's predictions as [booking, registry key, probability, "SPLINK"] (datasets "registry"/"bookings")."""
    pairs = []
    for ul, ur, p, sl, sr in zip(
        df["unique_id_l"], df["unique_id_r"], df["match_probability"],
        df["source_dataset_l"], df["source_dataset_r"], strict=True,
    ):  # fmt: skip
        if sl == sr:
            raise RuntimeError("link_only predicted a pair within one table")
        booking, reg = (ur, ul) if sl == "registry" else (ul, ur)
        pairs.append([str(booking), str(reg), float(p), "SPLINK"])
    return pairs


def prf(pred: set[Pair], truth: set[Pair]) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(truth) if truth else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def figures(
    proposals: list[list[Any]],
    truth: set[Pair],
    ids: dict[str, str],
    conflict_distance: int | None,
    floor: float = 0.0,
) -> dict[str, Any]:
    """P/R/F1 by threshold, best F1, recall at the review threshold and over all proposals, and the links at or
    above the review threshold across conflicting identifiers (``ids``: booking number or registry key → its
    identifier; conflicting = both present and more than ``conflict_distance`` characters apart; None: not
    counted). ``floor``: the lowest score the system keeps (holdtrack stores no proposal below its review
    threshold, so a threshold under it selects the same pairs; the best F1 is taken from ``floor`` up)."""
    from rapidfuzz.distance import Levenshtein

    scored = [(n, o, float(p)) for n, o, p, _ in proposals if p is not None]
    out: dict[str, Any] = {"sweep": {}}
    for th in THRESHOLDS:
        out["sweep"][th] = prf({(n, o) for n, o, p in scored if p >= th}, truth)
    best = max((th for th in THRESHOLDS if th >= floor), key=lambda th: out["sweep"][th][2])
    out["best"] = (out["sweep"][best][2], best)
    out["recall_review"] = out["sweep"][REVIEW][1]
    out["recall_all"] = prf({(n, o) for n, o, _ in scored}, truth)[1]
    conflicting = [
        (n, o)
        for n, o, p in scored
        if conflict_distance is not None and p >= REVIEW and ids.get(n) and ids.get(o)
        and Levenshtein.distance(ids[n], ids[o]) > conflict_distance
    ]  # fmt: skip
    out["conflicts"] = (len(conflicting), sum(1 for c in conflicting if c not in truth))
    return out
