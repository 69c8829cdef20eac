"""``holdtrack serve``: gunicorn in front of the Django app.

Embedded scale (no REDIS_URL): one worker process with threads, and the task worker (huey, SQLite queue)
running inside it, so one command brings everything up. Distributed scale: several workers; run the task
worker separately with ``holdtrack run_huey``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from holdtrack.core.handlers import wsgi_application
from holdtrack.core.worker import start_in_process_worker, stop_in_process_worker


class Command(BaseCommand):
    help = "Serve holdtrack over HTTP (gunicorn); in embedded mode also runs the task worker in-process."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000", help="address:port to listen on")
        parser.add_argument("--workers", type=int, default=None, help="web worker processes")
        parser.add_argument("--threads", type=int, default=4, help="threads per web worker")
        parser.add_argument("--no-task-worker", action="store_true", help="do not start the in-process task worker")

    def handle(self, *args: Any, **opts: Any) -> None:
        from gunicorn.app.base import BaseApplication  # noqa: PLC0415 - heavy library, imported only on this path

        embedded = not settings.REDIS_URL
        workers = opts["workers"] or (1 if embedded else 2)
        in_process = embedded and not opts["no_task_worker"]
        # Collect before the WSGI app exists: WhiteNoise indexes STATIC_ROOT when it is created.
        call_command("collectstatic", interactive=False, verbosity=0)
        # The settings are loaded already (this is a command): the same application config.wsgi builds for gunicorn.
        application = wsgi_application()

        def post_worker_init(worker: Any) -> None:
            if in_process:
                start_in_process_worker()

        def worker_exit(server: Any, worker: Any) -> None:
            if in_process:
                stop_in_process_worker()

        class App(BaseApplication):
            def load_config(self) -> None:
                cfg = {
                    "bind": opts["bind"],
                    "workers": workers,
                    "threads": opts["threads"],
                    "worker_class": "holdtrack.core.gworker.BalancedThreadWorker",
                    "accesslog": "-",
                    "post_worker_init": post_worker_init,
                    "worker_exit": worker_exit,
                    "timeout": 120,
                }
                for key, value in cfg.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        mode = "embedded (SQLite, in-process task worker)" if in_process else "distributed"
        self.stdout.write(self.style.SUCCESS(f"holdtrack serving at http://{opts['bind']}  [{mode}]"))
        App().run()
