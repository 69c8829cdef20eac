"""``holdtrack screening train|models|activate|rescreen|export``: estimate and store a new model version (m from
the officers' decisions with ``--labels``), list the versions, activate a stored version, screen stored bookings
again, export the proposals as CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.core.console import consoles, stage_progress


class Command(BaseCommand):
    help = (
        "Identity screening: train a new Fellegi–Sunter model with splink (train), list model versions (models), "
        "activate a stored version (activate VERSION), screen stored bookings again (rescreen), export the "
        "proposals (export)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["train", "models", "activate", "rescreen", "export"])
        parser.add_argument("version", nargs="?", default=None, help="activate: the model version")
        parser.add_argument(
            "--labels", action="store_true", help="train: estimate m from the officers' confirmed and rejected matches"
        )
        parser.add_argument("--sample", type=int, default=100_000, help="registry subjects sampled (default 100k)")
        parser.add_argument("--bookings", type=int, default=20_000, help="unlabelled bookings used (default 20k)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--threshold", type=float, default=None, help="review threshold (match probability)")
        parser.add_argument("--since", type=date.fromisoformat, default=None, help="rescreen: booked on or after")
        parser.add_argument("--model", default=None, help="rescreen: this model version instead of the active one")
        parser.add_argument("--out", type=Path, default=None, help="export: the CSV file to write")
        parser.add_argument("--as", dest="as_user", default=None, help="export: acting user (default: system)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from holdtrack.accounts.models import User
        from holdtrack.accounts.services import system_user
        from holdtrack.core.errors import NotPermitted, ValidationFailed
        from holdtrack.screening.learning import screening_model_activate
        from holdtrack.screening.models import ScreeningModel
        from holdtrack.screening.rescreen import bookings_rescreen, identity_matches_export
        from holdtrack.screening.services import DEFAULT_REVIEW_THRESHOLD
        from holdtrack.screening.training import screening_model_train

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
                if not opts["version"]:
                    raise CommandError("activate needs the model VERSION (`holdtrack screening models` lists them)")
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
