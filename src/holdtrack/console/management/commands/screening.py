"""``holdtrack screening train|models|activate|rescreen|export``: estimate and store a new model version (m from
the officers' decisions with ``--labels``), list the versions, activate a stored version, screen stored bookings
again, export the proposals as CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.accounts.models import User
from holdtrack.accounts.services import system_user
from holdtrack.console.terminal import consoles, stage_progress
from holdtrack.core.errors import NotPermitted, ValidationFailed
from holdtrack.screening.learning import screening_model_activate
from holdtrack.screening.models import ScreeningModel
from holdtrack.screening.rescreen import bookings_rescreen, identity_matches_export
from holdtrack.screening.services import DEFAULT_REVIEW_THRESHOLD
from holdtrack.screening.training import screening_model_train
from holdtrack.simulation.training import synthetic_training_bookings


class Command(BaseCommand):
    help = (
        "Identity screening: train a new Fellegi–Sunter model with splink (train), list model versions (models), "
        "activate a stored version (activate VERSION), screen stored bookings again (rescreen), export the "
        "proposals (export)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{train,models,activate,rescreen,export}")
        train = sub.add_parser(
            "train",
            help="Estimate a new model with splink from the registry; stored only if plausible.",
            description="Estimate a new Fellegi–Sunter model with splink 5: u by random sampling, m by EM (or from "
            "the officers' decisions with --labels), prior from deterministic rules. Refused if implausible; "
            "activated only if it loses no recall on the decided matches.",
        )
        train.add_argument(
            "--labels", action="store_true", help="estimate m from the officers' confirmed and rejected matches"
        )
        train.add_argument("--sample", type=int, default=100_000, help="registry subjects sampled (default 100k)")
        train.add_argument("--bookings", type=int, default=20_000, help="unlabelled bookings used (default 20k)")
        train.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        train.add_argument("--threshold", type=float, default=None, help="review threshold (match probability)")
        sub.add_parser("models", help="List the stored model versions.", description="List the stored model versions.")
        activate = sub.add_parser(
            "activate",
            help="Activate a stored model version (sanity gates and shadow comparison again).",
            description="Activate a stored model version: sanity gates and the shadow comparison on the decided "
            "matches again; refused on a recall loss.",
        )
        activate.add_argument("version", help="the model version (`holdtrack screening models` lists them)")
        rescreen = sub.add_parser(
            "rescreen",
            help="Screen stored bookings again (no duplicate proposals; decisions untouched).",
            description="Screen stored bookings again: no duplicate proposals, decisions untouched, one audit event.",
        )
        rescreen.add_argument("--since", type=date.fromisoformat, default=None, help="booked on or after (YYYY-MM-DD)")
        rescreen.add_argument("--model", default=None, help="this model version instead of the active one")
        export = sub.add_parser(
            "export",
            help="The proposals as CSV with the agency's subject key (an access event).",
            description="The identity-match proposals as CSV with the agency's subject key (agency roles; one "
            "access event).",
        )
        export.add_argument("--out", type=Path, default=None, help="the CSV file to write (required)")
        export.add_argument("--as", dest="as_user", default=None, help="acting user (default: system)")

    def handle(self, *args: Any, **opts: Any) -> None:

        err, out = consoles(self)
        action = opts["action"]
        if action == "models":
            for m in ScreeningModel.objects.order_by("-trained_at"):
                last = m.evaluations[-1] if m.evaluations else {}
                shadow = f"  shadow: {last['reason']}" if last else ""
                out.print(
                    f"{m.version}  {'active ' if m.active else 'inactive'}  threshold {m.review_threshold}  "
                    f"registry {m.registry_size:,}  trained {m.trained_at:%Y-%m-%d %H:%M} UTC  {m.notes}{shadow}"
                )
            return
        try:
            if action == "activate":
                m = screening_model_activate(actor=system_user(), version=opts["version"])
                out.print(f"Activated screening model {m.version}: {m.evaluations[-1]['reason']}.")
                return
            if action == "rescreen":
                with stage_progress(err) as progress:
                    r = bookings_rescreen(
                        actor=system_user(), since=opts["since"], model_version=opts["model"], progress=progress
                    )
                out.print(r.summary() + ".")
                return
            if action == "export":
                if opts["out"] is None:
                    raise CommandError("export needs --out FILE.csv")
                actor = system_user()
                if opts["as_user"]:
                    found = User.objects.filter(username=opts["as_user"]).first()
                    if found is None:
                        raise CommandError(f"No user {opts['as_user']!r}.")
                    actor = found
                n = identity_matches_export(actor=actor, out=opts["out"])
                out.print(f"Exported {n:,} proposals to {opts['out']} (one access event recorded).")
                return
            threshold = opts["threshold"] if opts["threshold"] is not None else DEFAULT_REVIEW_THRESHOLD
            err.print(
                "Training with splink (DuckDB): u by random sampling, "
                + ("m from the officers' decisions" if opts["labels"] else "m by EM")
                + ", prior from deterministic rules …"
            )
            # A model that fails the sanity gates is not stored at all: the command exits non-zero naming the
            # implausible parameters, and the active model stays active.
            m = screening_model_train(
                synthetic_bookings=synthetic_training_bookings,
                actor=system_user(),
                sample=opts["sample"],
                bookings=opts["bookings"],
                seed=opts["seed"],
                review_threshold=threshold,
                labels=opts["labels"],
            )
        except (ValidationFailed, NotPermitted) as exc:
            raise CommandError(str(exc)) from exc
        reason = m.evaluations[-1]["reason"] if m.evaluations else ""
        if m.active:
            out.print(
                f"Stored screening model {m.version} (active; review threshold {m.review_threshold}; {m.notes}). "
                f"Shadow comparison: {reason}."
            )
            return
        # Stored but not activated is an outcome, not an error (exit 0): the active model stays, and the new
        # version can be activated later if new decisions show it no longer loses recall.
        out.print(
            f"Stored screening model {m.version} but did NOT activate it: {reason}. The active model stays "
            f"active ({m.notes})."
        )
