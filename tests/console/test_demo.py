"""The demo: refused in production; a small demo puts work on every role's desk, prints its logins whole and
adds nothing when run again."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from holdtrack.accounts.models import User
from holdtrack.audit.models import AuditEvent, Transition
from holdtrack.cases.models import Subpoena
from holdtrack.console.management.commands.demo import logins_text
from holdtrack.custody.models import Booking
from holdtrack.desks.queues import queues_for

# Queues each demo desk shows with work on the first visit (issue 14): matches, a detainer to approve, a hold
# counting down, subpoenas to sign and past their return date, a referral, a court case, a citizenship claim.
LIVE = {
    "officer": {"matches", "prepared", "holds"},
    "supervisor": {"to-approve", "claims", "to-sign", "to-refer", "referrals", "holds"},
    "agency-counsel": {"to-refer", "referrals", "court-cases"},
    "doj-attorney": {"referrals", "court-cases"},
    "lea-booking": {"to-receive", "holds"},
    "lea-counsel": {"subpoenas-due", "court-cases"},
}


@pytest.mark.smoke
@pytest.mark.django_db
def test_demo_refuses_a_production_configuration(settings):
    settings.HOLDTRACK_PRODUCTION = True
    with pytest.raises(CommandError, match="never built in production"):
        call_command("demo", no_serve=True)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_small_demo_has_work_on_every_desk_and_a_rerun_adds_nothing(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", days=2, scale=0.01, no_serve=True, stdout=out)

    now = timezone.now()
    for username, expected in LIVE.items():
        counts = {q.key: q.count for q in queues_for(User.objects.get(username=username), now)}
        empty = sorted(k for k in expected if not counts.get(k))
        assert not empty, f"{username}: empty queues {empty} ({counts})"

    keys = [line.split()[-1] for line in (tmp_path / "demo-users.txt").read_text().splitlines() if "  " in line][2:]
    assert len(keys) == 9 and all(len(k) == 32 for k in keys)  # every TOTP key whole
    assert all(k in out.getvalue() for k in keys)

    models = (Transition, AuditEvent, Booking, Subpoena)
    counts = [m.objects.count() for m in models]
    call_command("demo", days=2, scale=0.01, no_serve=True, stdout=io.StringIO())
    assert [m.objects.count() for m in models] == counts


def test_the_logins_table_keeps_every_cell_whole():
    key = "XHOFWJNKYMC73UHTEXHOFWJNKYMC73UH"
    text = logins_text([("officer", "Agency officer", "A field office with a long name " * 3, key)])
    row = next(line for line in text.splitlines() if line.startswith("officer"))
    # One line per user, whatever its length: the organization and the key are never wrapped or cut.
    assert len(row) > 120 and row.endswith(key) and ("A field office with a long name " * 3).strip() in row
