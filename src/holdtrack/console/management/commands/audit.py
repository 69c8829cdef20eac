"""``holdtrack audit verify|chain|checkpoint|public-key``: the keyed audit chain (ADR 0015).

``verify`` exits 1 when a link, a position or the checkpoint does not fit; ``chain`` links pending events;
``checkpoint`` writes a signed checkpoint; ``public-key`` prints the key an auditor checks checkpoints with.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from holdtrack.audit.chain import audit_chain, follow
from holdtrack.audit.checkpoint import CheckpointError, load
from holdtrack.audit.checkpoint_store import checkpoint_dir, checkpoint_scheduled, checkpoint_write, resolve
from holdtrack.audit.keys import public_key_pem
from holdtrack.audit.services import audit_verify


class Command(BaseCommand):
    help = "The keyed audit chain: verify, chain, checkpoint, public-key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True, metavar="{verify,chain,checkpoint,public-key}")
        v = sub.add_parser("verify", help="Chain what is pending, then check every keyed link; exit code 1 if broken.")
        v.add_argument(
            "--checkpoint",
            type=Path,
            help="a signed checkpoint the chain must still reach, or a folder of them (its newest is used)",
        )
        v.add_argument("--public-key", type=Path, help="PEM public key to check the checkpoint with (default: ours)")
        v.add_argument("--no-chain", action="store_true", help="verify as stored; do not chain pending rows first")
        c = sub.add_parser("chain", help="Give pending events and transitions their position and keyed link.")
        c.add_argument("--follow", action="store_true", help="keep chaining every --interval seconds")
        c.add_argument("--interval", type=float, default=2.0)
        k = sub.add_parser("checkpoint", help="Verify, then write a checkpoint signed with the Ed25519 key.")
        where = k.add_mutually_exclusive_group(required=True)
        where.add_argument("--out", type=Path, help="write the checkpoint to this file")
        where.add_argument(
            "--dir",
            nargs="?",
            const="",
            help="write it as the hourly task does: into this folder (default: the configured checkpoint folder), "
            "with latest.json and the retention",
        )
        p = sub.add_parser("public-key", help="Print (or write) the public key that checks checkpoints.")
        p.add_argument("--out", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["what"].replace("-", "_"))(options)
        except ModuleNotFoundError as exc:
            if exc.name != "cryptography":
                raise
            raise CommandError("Checkpoints need the 'cryptography' package (Ed25519); it is not installed.") from exc

    def _verify(self, options: dict[str, Any]) -> None:

        checkpoint = None
        if options["checkpoint"] is not None:
            public = options["public_key"].read_text() if options["public_key"] is not None else None
            try:
                checkpoint = load(resolve(options["checkpoint"]).read_text(), public)
            except CheckpointError as exc:
                raise CommandError(f"Checkpoint REFUSED: {exc}.", returncode=1) from exc
        report = audit_verify(checkpoint=checkpoint, chain_first=not options["no_chain"])
        pending = f"; {report.unchained:,} not yet chained" if report.unchained else ""
        if not report.ok:
            where = f"{report.bad_table} {report.first_bad_id}" if report.first_bad_id is not None else "the tail"
            raise CommandError(
                f"Audit chain BROKEN at position {report.bad_seq} ({where}): {report.problem} "
                f"({report.checked:,} links verified before it{pending}).",
                returncode=1,
            )
        against = f", reaches checkpoint position {checkpoint.seq:,} of {checkpoint.at}" if checkpoint else ""
        self.stdout.write(
            f"Audit chain OK: {report.checked:,} links verified ({report.events:,} events, "
            f"{report.transitions:,} transitions){against}{pending}."
        )

    def _chain(self, options: dict[str, Any]) -> None:

        if options["follow"]:
            self.stdout.write(f"Chaining every {options['interval']} s (Ctrl-C stops).")
            stop = threading.Event()
            # SIGTERM (make stack-stop, systemd) ends the loop between batches instead of killing one mid-way.
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            try:
                follow(stop, interval=options["interval"])
            except KeyboardInterrupt:
                stop.set()
            return
        started = time.perf_counter()
        n = audit_chain()
        self.stdout.write(f"Chained {n:,} rows in {time.perf_counter() - started:.2f} s.")

    def _checkpoint(self, options: dict[str, Any]) -> None:

        if options["out"] is None:
            folder = Path(options["dir"]) if options["dir"] else checkpoint_dir()
            done = checkpoint_scheduled(folder)
            if not done.ok:
                raise CommandError(f"Refusing to sign: {done.skipped}.", returncode=1)
            what = f"{done.written} written" if done.written else f"nothing written ({done.skipped})"
            self.stdout.write(f"Checkpoint folder {folder}: {what}; {done.removed} old checkpoints removed.")
            return
        try:
            report = checkpoint_write(options["out"])
        except CheckpointError as exc:
            raise CommandError(f"{exc}.", returncode=1) from exc
        self.stdout.write(
            f"Checkpoint of {report.checked:,} links (head {report.head[:16]}…) written to {options['out']}."
        )

    def _public_key(self, options: dict[str, Any]) -> None:

        pem = public_key_pem()
        if options["out"] is not None:
            options["out"].write_text(pem)
            self.stdout.write(f"Public key written to {options['out']}.")
        else:
            self.stdout.write(pem, ending="")
