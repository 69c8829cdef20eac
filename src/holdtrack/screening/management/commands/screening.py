"""``holdtrack screening train`` (estimate and store a new model version) and ``holdtrack screening models``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.core.console import consoles


class Command(BaseCommand):
    help = "Identity screening: train a new Fellegi–Sunter model with splink (train) or list model versions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["train", "models"])
        parser.add_argument("--sample", type=int, default=100_000, help="registry subjects sampled (default 100k)")
        parser.add_argument("--bookings", type=int, default=20_000, help="unlabelled bookings used (default 20k)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--threshold", type=float, default=None, help="review threshold (match probability)")

    def handle(self, *args: Any, **opts: Any) -> None:
        from holdtrack.accounts.services import system_user
        from holdtrack.core.errors import ValidationFailed
        from holdtrack.screening.models import ScreeningModel
        from holdtrack.screening.services import DEFAULT_REVIEW_THRESHOLD
        from holdtrack.screening.training import screening_model_train

        err, out = consoles(self)
        if opts["action"] == "models":
            for m in ScreeningModel.objects.order_by("-trained_at"):
                out.print(
                    f"{m.version}  {'active ' if m.active else 'inactive'}  threshold {m.review_threshold}  "
                    f"registry {m.registry_size:,}  trained {m.trained_at:%Y-%m-%d %H:%M} UTC  {m.notes}"
                )
            return
        threshold = opts["threshold"] if opts["threshold"] is not None else DEFAULT_REVIEW_THRESHOLD
        err.print("Training with splink (DuckDB): prior, u by random sampling, m by EM …")
        try:
            m = screening_model_train(
                actor=system_user(),
                sample=opts["sample"],
                bookings=opts["bookings"],
                seed=opts["seed"],
                review_threshold=threshold,
            )
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        out.print(f"Stored screening model {m.version} (active; review threshold {m.review_threshold}; {m.notes}).")
