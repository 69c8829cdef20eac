"""``holdtrack simulate``: a deterministic synthetic history, driven only through the services.

See ``holdtrack.simulation`` for the model and ``holdtrack.simulation.params`` for its calibration.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from holdtrack.accounts.services import system_user
from holdtrack.console.terminal import consoles, phase_bar, stage_progress
from holdtrack.custody.models import IdentifierType, SubjectIdentifier
from holdtrack.intake.registry import registry_import
from holdtrack.jurisdictions.models import Facility
from holdtrack.screening.training import screening_model_train
from holdtrack.simulation import hard, simulate
from holdtrack.simulation.calibration import calibration
from holdtrack.simulation.hard import hard_world, write_registry_csv
from holdtrack.simulation.registry import generate_bookings, registry_build, registry_sample_from_db, write_bookings
from holdtrack.simulation.training import synthetic_training_bookings


class Command(BaseCommand):
    help = (
        "Simulate the N days ending today (or --end) through the services: bookings, identity matches, "
        "detainers with their warrants, LEA decisions under local law, holds, releases and custody transfers, "
        "citizenship claims, subpoena campaigns and court enforcement. Deterministic for a seed; a seed already "
        "simulated in this database is skipped. --scale 1 is national volume (~700 detainers/day). "
        "Subcommands (each with its own --help): registry, bookings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # Without a subcommand: the case history. Its options sit on the command itself.
        parser.add_argument("--days", type=int, default=30, help="number of days to simulate (default 30)")
        parser.add_argument("--seed", type=int, default=1, help="random seed; also identifies the run (default 1)")
        parser.add_argument(
            "--scale", type=float, default=0.05, help="1 = national volume, ~700 detainers/day (default 0.05)"
        )
        parser.add_argument("--end", help="last simulated day, YYYY-MM-DD (default: today, UTC)")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON only")
        parser.add_argument(
            "--report",
            action="store_true",
            help="history: also print the run's figures against the domain targets (decline share, outcome mix, "
            "LEA concentration; domain.md Part D); with --json, the comparison as JSON",
        )
        sub = parser.add_subparsers(dest="what", metavar="{registry,bookings}")
        registry = sub.add_parser(
            "registry",
            help="A synthetic subject registry (--size), with a screening model trained on it.",
            description="A synthetic subject registry with A-numbers, FBI UCNs and screening keys; then a screening "
            "model trained with splink (unless --no-train).",
        )
        registry.add_argument("--size", type=int, default=10_000, help="number of subjects (default 10,000)")
        registry.add_argument("--no-train", action="store_true", help="do not train a screening model")
        registry.add_argument(
            "--hard",
            action="store_true",
            help="the harder synthetic set (issue 10 §3 a: near-miss people), imported through `import registry` "
            "(or written to --out)",
        )
        registry.add_argument("--out", help="--hard: write the registry CSV here instead of importing it")
        bookings = sub.add_parser(
            "bookings",
            help="A booking-feed file of registry people and of others, corrupted, with its ground truth (--count).",
            description="A booking-feed file (CSV or NDJSON) of registry people and of others, with corruption, and "
            "the ground truth (booking number → subject id).",
        )
        bookings.add_argument("--count", type=int, default=1000, help="number of booking rows (default 1,000)")
        bookings.add_argument("--out", help="output file (.csv, or .ndjson/.jsonl); required")
        bookings.add_argument("--truth", help="ground-truth JSON file (booking number → subject id)")
        bookings.add_argument("--in-registry-share", type=float, default=0.7, help="share of registry people")
        bookings.add_argument("--agency-ori", default="", help="agency ORI (default: the first LEA)")
        bookings.add_argument("--facility-code", default="", help="facility code (default: its first)")
        bookings.add_argument(
            "--hard",
            action="store_true",
            help="bookings of the harder registry, every corruption family, the truth naming the families; "
            "needs the registry's --size and --seed",
        )
        bookings.add_argument("--size", type=int, default=10_000, help="--hard: the registry's --size (default 10,000)")
        for command in (registry, bookings):
            # SUPPRESS: `simulate --seed 3 registry` keeps the command's --seed instead of this default.
            command.add_argument("--seed", type=int, default=argparse.SUPPRESS, help="random seed (default 1)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts.get("what") == "registry":
            return self.handle_registry(opts)
        if opts.get("what") == "bookings":
            return self.handle_bookings(opts)

        days, scale, seed = int(opts["days"]), float(opts["scale"]), int(opts["seed"])
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if not 0 < scale <= 5:
            raise CommandError("--scale must be above 0 and at most 5.")
        if seed < 0:
            raise CommandError("--seed must not be negative.")
        end = None
        if opts.get("end"):
            try:
                end = date.fromisoformat(opts["end"])
            except ValueError as exc:
                raise CommandError(f"--end: {exc}") from exc

        self.stdout.ending = ""  # rich writes its own newlines and redraws the bar in place
        console = Console(file=cast(IO[str], self.stdout), highlight=False)
        quiet = bool(opts.get("json"))
        with phase_bar(console, "simulated days", disable=quiet) as progress:
            try:
                result = simulate(seed=seed, days=days, scale=scale, end=end, progress=progress)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc

        rows = self.calibration(result) if opts.get("report") else None
        if quiet:
            doc = result.summary if rows is None else [r.as_dict() for r in rows]
            self.stdout.write(json.dumps(doc, sort_keys=True) + "\n")
            return
        if result.skipped:
            console.print(
                f"[yellow]Seed {seed} has already been simulated in this database (its bookings S{seed}-… exist); "
                "nothing was added. Use another --seed for a new run.[/yellow]"
            )
        else:
            console.print(
                f"Simulated {result.start:%Y-%m-%d %H:%M} → {result.horizon:%Y-%m-%d %H:%M} UTC, seed {seed}, "
                f"scale {scale}: {result.planned_detainers:,} detainers planned, "
                f"{result.stats.as_dict()['events_applied']:,} events applied, "
                f"{result.stats.campaigns} subpoena campaigns. LEA weights: the top 9% of LEAs carry "
                f"{result.top9_weight_share:.0%} of the expected volume."
            )
        self.print_summary(console, result)
        if rows is not None:
            self.print_calibration(console, rows)
        console.print(f"Elapsed: {result.elapsed_seconds:.1f} s")

    def calibration(self, result: Any) -> list[Any]:

        return calibration(result.seed, result.summary, result.top9_weight_share)

    def print_calibration(self, console: Console, rows: list[Any]) -> None:
        """Plain aligned lines, one per figure: never wrapped or cut, whatever the terminal's width."""
        cells = [("figure", "simulated", "target", "", "source")]
        for r in rows:
            tgt = r.target
            span = "—" if tgt.low is None else f"{tgt.low:.1%} – {tgt.high:.1%}"
            mark = {True: "within", False: "OUTSIDE", None: ""}[r.within]
            cells.append((tgt.label, f"{r.simulated:.1%}", span, mark, tgt.source))
        widths = [max(len(c[i]) for c in cells) for i in range(5)]
        console.print("Simulated against target (domain.md Part D)", soft_wrap=True)
        for c in cells:
            line = "  ".join(
                (v.rjust(w) if i in (1, 2) else v.ljust(w)) for i, (v, w) in enumerate(zip(c, widths, strict=True))
            )
            console.print(line.rstrip(), soft_wrap=True, markup=False)

    def print_summary(self, console: Console, result: Any) -> None:
        s = result.summary

        def table(title: str, rows: dict[str, Any], total: bool = False) -> None:
            t = Table(title=title, title_justify="left")
            t.add_column("")
            t.add_column("count", justify="right")
            if total:
                t.add_column("share", justify="right")
            n = sum(v for v in rows.values() if isinstance(v, int)) or 1
            for key, value in rows.items():
                cells = [key.replace("_", " "), f"{value:,}" if isinstance(value, int) else str(value)]
                if total:
                    cells.append(f"{value / n:.1%}")
                t.add_row(*cells)
            console.print(t)

        table("Cases", s["case_types"])
        table("Detainers by lifecycle state (top 10; not U.S. states)", s["detainer_states"], total=True)
        table("Detainers by outcome group", s["detainer_outcomes"], total=True)
        table("LEA decisions", s["lea_decisions"], total=True)
        if s["subpoena_states"]:
            table("Subpoenas by lifecycle state", s["subpoena_states"])
        if s["court_states"]:
            table("Court cases by lifecycle state", s["court_states"])
        table("Over-detention flags", s["over_detention"])
        table("Concentration", s["concentration"])
        if not result.skipped and result.stats.refusals:
            table("Service refusals (guards that stopped an action)", dict(result.stats.refusals.most_common()))

    def handle_registry(self, opts: dict[str, Any]) -> None:

        if opts.get("hard"):
            return self.handle_hard_registry(opts)

        size, seed = int(opts["size"]), int(opts["seed"])
        if size < 1:
            raise CommandError("--size must be at least 1.")
        err, out = consoles(self)
        started = time.monotonic()
        with stage_progress(err) as progress:
            registry_build(size=size, seed=seed, progress=progress)
        built = time.monotonic() - started
        out.print(
            f"Registry: {size:,} synthetic subjects with A-numbers, FBI UCNs and screening keys, seed {seed}, "
            f"in {built:.1f} s."
        )
        if opts.get("no_train"):
            return
        if size < 100:
            out.print("Registry too small to train a screening model (at least 100 subjects); skipped.")
            return

        err.print("Training the screening model with splink …")
        m = screening_model_train(
            synthetic_bookings=synthetic_training_bookings,
            actor=system_user(),
            seed=seed,
            sample=100_000,
            bookings=min(20_000, size),
        )
        state = "active" if m.active else f"NOT activated: {m.evaluations[-1]['reason']}"
        out.print(f"Screening model {m.version} stored, {state} ({m.notes}); {time.monotonic() - started:.1f} s.")

    def handle_bookings(self, opts: dict[str, Any]) -> None:

        if not opts.get("out"):
            raise CommandError("--out FILE is required (.csv, .ndjson or .jsonl).")
        count, seed = int(opts["count"]), int(opts["seed"])
        facility = None
        if opts.get("facility_code"):
            facility = Facility.objects.select_related("operator").filter(code=opts["facility_code"]).first()
        elif opts.get("agency_ori"):
            facility = Facility.objects.select_related("operator").filter(operator__ori=opts["agency_ori"]).first()
        else:
            facility = Facility.objects.select_related("operator").order_by("id").first()
        if facility is None:
            raise CommandError("No facility found: load the reference data first, or pass --facility-code.")
        if opts.get("hard"):
            return self.handle_hard_bookings(opts, facility)
        sample = registry_sample_from_db(max(count * 2, 1000), seed)
        if not sample:
            raise CommandError("The registry is empty: run `holdtrack simulate registry --size N` first.")
        gen = generate_bookings(
            registry_sample=sample,
            count=count,
            seed=seed,
            in_registry_share=float(opts["in_registry_share"]),
            agency_ori=facility.operator.ori,
            facility_code=facility.code,
        )
        out_path = Path(opts["out"])
        write_bookings(gen.rows, out_path)
        if opts.get("truth"):
            Path(opts["truth"]).write_text(
                json.dumps({"seed": seed, "truth": gen.truth, "corruptions": gen.corruptions}, indent=1)
            )
        in_reg = sum(1 for v in gen.truth.values() if v)
        self.stdout.write(f"Wrote {count:,} booking rows to {out_path} ({in_reg:,} of registry people).\n")

    def handle_hard_registry(self, opts: dict[str, Any]) -> None:

        size, seed = int(opts["size"]), int(opts["seed"])
        if size < 2:
            raise CommandError("--size must be at least 2.")
        err, out = consoles(self)
        started = time.monotonic()
        world = hard_world(size, seed)
        pairs = sum(1 for p in world.registry if p.relative)
        if opts.get("out"):
            write_registry_csv(world, Path(opts["out"]))
            out.print(
                f"Wrote the harder registry, {size:,} subjects ({pairs:,} in near-miss pairs), seed {seed}, to "
                f"{opts['out']}; load it with `holdtrack import registry {opts['out']}`."
            )
            return
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"hard-registry-{seed}.csv"
            write_registry_csv(world, path)
            with stage_progress(err) as progress:
                result = registry_import(actor=system_user(), path=path, synthetic=True, progress=progress)
        if result.problems:
            raise CommandError(f"The registry import refused the file: {result.problems}")
        out.print(
            f"Registry (harder set): {result.created:,} synthetic subjects imported ({pairs:,} in near-miss pairs, "
            f"{result.skipped_existing:,} already stored), seed {seed}, in {time.monotonic() - started:.1f} s."
        )
        if not opts.get("no_train") and size >= 100:
            err.print("Training the screening model with splink …")
            m = screening_model_train(
                synthetic_bookings=synthetic_training_bookings,
                actor=system_user(),
                seed=seed,
                sample=100_000,
                bookings=min(20_000, size),
            )
            out.print(f"Screening model {m.version} stored and active ({m.notes}).")

    def handle_hard_bookings(self, opts: dict[str, Any], facility: Any) -> None:

        count, seed, size = int(opts["count"]), int(opts["seed"]), int(opts["size"])
        world = hard.hard_world(size, seed)
        if not SubjectIdentifier.objects.filter(type=IdentifierType.AGENCY_KEY, value=world.registry[0].key).exists():
            self.stderr.write(
                f"Note: registry key {world.registry[0].key} is not in this database; the bookings are of the registry "
                f"`simulate registry --hard --size {size} --seed {seed}` makes.\n"
            )
        gen = hard.hard_bookings(
            world, count=count, seed=seed, agency_ori=facility.operator.ori, facility_code=facility.code
        )
        out_path = Path(opts["out"])
        write_bookings(gen.rows, out_path)
        if opts.get("truth"):
            rates = {"names": hard.NAME_RATES, "dob": hard.DOB_RATES, "habits": hard.HABIT_RATES,
                     "mix": dict(hard.BOOKING_MIX), "near_miss_kinds": dict(hard.NEAR_MISS_KINDS)}  # fmt: skip
            Path(opts["truth"]).write_text(
                json.dumps(
                    {
                        "seed": seed,
                        "size": size,
                        "hard": True,
                        "rates": rates,
                        "truth": gen.truth,
                        "families": gen.families,
                    },
                    indent=1,
                )
            )
        in_reg = sum(1 for v in gen.truth.values() if v)
        self.stdout.write(
            f"Wrote {count:,} booking rows (harder set) to {out_path} ({in_reg:,} of registry people; the truth "
            "names the registry's subject_id).\n"
        )
