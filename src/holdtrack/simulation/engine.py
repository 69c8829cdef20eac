"""The discrete-event engine: applies a plan through the services, in time order.

Every story starts as one booking event; each handler calls a service at the event's simulated time and
schedules the story's next events on a heap ordered by (time, sequence number). The sweep runs at every clock
the engine sets (a hold's ceiling, a subpoena's return date, a court's comply-by date), so holds end at their
ceiling and subpoenas lapse at their return date exactly as in production, and every ``SWEEP_EVERY_HOURS``
simulated hours for the rest (closing finished cases, alerts, overdue reviews). Events at or after the horizon
are never applied: those cases simply stay open.

Only services write case data (``custody.services``, ``cases.services.detainers``, ``cases.services.subpoenas``,
``cases.services.sweep.sweep``); a service that refuses an action (a guard) is counted in the run statistics,
and the story continues as the refusal implies. Calls carry ``channel=SIMULATOR`` where the service takes a
channel. Each simulated day is one database transaction: that keeps SQLite fast and a failed day leaves no
partial day behind.

Determinism: the plan is fixed by the seed; dynamic choices (subpoena campaigns, late steps) use
``random.Random`` instances seeded from the seed and a story or campaign number, and events are applied in a
total order, so the same seed on the same reference data gives the same history (on SQLite and PostgreSQL).

Scenarios worth knowing:
- A detainer prepared without its I-200/I-205 is caught by the supervisor's approval guard (R-WARRANT-REQUIRED);
  the officer attaches the warrant and resubmits. The LEA-side "missing warrant" validation failure cannot be
  reached through the services (approval already requires the warrant), so validation failures are exercised
  through subjects released between transmission and receipt.
- Release eligibility is never earlier than six hours after the LEA's decision, nor earlier than a day after a
  citizenship claim is resolved: the simulator does not create holds on windows that already ran.
- Court compliance has a median of 10 days against a 14-day comply-by, so most respondents comply in time and
  a tail runs late into NONCOMPLIANCE (domain.md D7 gives a 14-day median; that would make half of them late).
- A superseding lift is recorded with its lift reason only: ``detainer_prepare`` cannot link a new detainer to
  the one it supersedes.
"""

from __future__ import annotations

from holdtrack.simulation.detainer_steps import DetainerSteps
from holdtrack.simulation.engine_base import ProgressCallback, Run, RunStats, SubRun
from holdtrack.simulation.subpoena_steps import SubpoenaSteps


class Engine(DetainerSteps, SubpoenaSteps):
    """A run: the machinery (``engine_base``) with the detainer and subpoena handlers; ``dispatch`` finds each
    event's ``on_<kind>`` handler on it."""


__all__ = ["Engine", "ProgressCallback", "Run", "RunStats", "SubRun"]
