"""The ``holdtrack`` console script: Django's manage.py under the project's own name.

``holdtrack migrate``, ``holdtrack demo``, ``holdtrack simulate --days 30`` … all run against the
database that ``DATABASE_URL`` names (an embedded SQLite file by default).
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

    execute_from_command_line(["holdtrack", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
