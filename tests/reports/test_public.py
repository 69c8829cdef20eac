"""Public statistics: frozen snapshots whose page, CSV and an independent query agree, and small-cell
suppression that no subtraction along a row or column undoes."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from holdtrack.cases.models import Detainer
from holdtrack.reports import public
from holdtrack.reports.models import PublicSnapshot, SnapshotFrozenError
from holdtrack.reports.suppression import recoverable, suppress, with_margins
from tests.reports.conftest import History

PERIOD = "2026-02..2026-03"


def page_tables(html: str) -> dict[str, list[list[str]]]:
    """Each public table on the page as rows of cell texts (row key first, suppressed cells as the marker)."""
    out: dict[str, list[list[str]]] = {}
    for key, body in re.findall(r'data-table="([^"]+)".*?<table[^>]*>(.*?)</table>', html, re.S):
        rows = []
        for row_key, cells in re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', body, re.S):
            values = []
            for cell in re.findall(r'<td class="num">(.*?)</td>', cells, re.S):
                text = re.sub(r"<[^>]+>", "", cell)
                text = unescape(text).replace("(suppressed)", "").strip()
                values.append(text.replace(",", ""))
            rows.append([row_key, *values])
        out[key] = rows
    return out


def csv_rows(body: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(body.decode())))
    return [[r[0], *r[2:]] for r in rows[1:]]  # drop the header and the label column


@pytest.mark.smoke
@pytest.mark.django_db
def test_page_csv_and_an_independent_query_agree(client, history: History, settings) -> None:  # type: ignore[no-untyped-def]
    settings.HOLDTRACK_SUPPRESSION_THRESHOLD = 1  # nothing small to hide: compare every number
    call_command("report", "publish", "--period", PERIOD)
    snap = PublicSnapshot.objects.get()
    page = client.get(reverse("public:snapshot", args=[snap.version])).content.decode()
    tables = page_tables(page)
    assert set(tables) == {t["key"] for t in snap.data["tables"]}
    for key, rows in tables.items():
        body = client.get(reverse("public:table_csv", args=[snap.version, key])).content
        assert csv_rows(body) == rows, key
    # Independent query: detainers prepared in the period by the state of the receiving agency.
    expected = dict(
        Detainer.objects.filter(prepared_at__date__gte="2026-02-01", prepared_at__date__lt="2026-04-01")
        .values_list("addressed_lea__jurisdiction__state_abbr")
        .annotate(n=Count("pk"))
        .values_list("addressed_lea__jurisdiction__state_abbr", "n")
    )
    by_state_total = {row[0]: int(row[-1]) for row in tables["outcomes-by-state"] if row[0] != "TOTAL"}
    assert by_state_total == expected
    declines = {row[0]: int(row[-1]) for row in tables["declines-by-state-month"] if row[0] != "TOTAL"}
    assert declines == {"TX": 3, "CA": 1}  # by decline month: all four declines were recorded in March


@pytest.mark.django_db
def test_suppressed_page_and_csv_show_the_same_cells(client, history: History) -> None:  # type: ignore[no-untyped-def]
    snap = public.publish(PERIOD)
    assert snap.parameters["threshold"] == 10
    page = client.get(reverse("public:snapshot", args=[snap.version])).content.decode()
    tables = page_tables(page)
    for key, rows in tables.items():
        body = client.get(reverse("public:table_csv", args=[snap.version, key])).content
        assert csv_rows(body) == rows, key
    # Every count in this small history is below 10: nothing but zeros may be shown.
    for rows in tables.values():
        for row in rows:
            assert all(v in (public.SUPPRESSED, "0") for v in row[1:]), row


@pytest.mark.django_db
def test_snapshots_are_frozen_versioned_and_checksummed(client, history: History) -> None:  # type: ignore[no-untyped-def]
    first = public.publish(PERIOD)
    with pytest.raises(SnapshotFrozenError):
        first.save()
    with pytest.raises(SnapshotFrozenError):
        first.delete()
    second = public.publish("2026-03..2026-03", note="March only.")
    assert (first.version, second.version) == (1, 2)
    assert "Period changed" in second.change_log and "March only." in second.change_log
    body = client.get(reverse("public:snapshot_json", args=[2])).content
    assert hashlib.sha256(body).hexdigest() == second.sha256
    for url in (
        reverse("public:index"),
        reverse("public:changelog"),
        reverse("public:codebook", args=[1]),
        reverse("public:snapshot", args=[1]),
    ):
        r = client.get(url)  # no login
        assert r.status_code == 200, url
        assert "<h1>" in r.content.decode()
    assert "SUPPRESSION" in client.get(reverse("public:codebook", args=[1])).content.decode()
    assert client.get(reverse("public:snapshot", args=[9])).status_code == 404


@pytest.mark.django_db
def test_a_release_names_the_months_its_record_covers_only_in_part(client, history: History) -> None:  # type: ignore[no-untyped-def]
    first = Detainer.objects.order_by("prepared_at").values_list("prepared_at", flat=True).first()
    assert first is not None and (first.day, first.hour, first.minute) != (1, 0, 0)  # starts within its month
    start_month = f"{first:%Y-%m}"
    year, month = first.year + first.month // 12, first.month % 12 + 1  # the month after: covered in full
    period = f"{start_month}..{year}-{month:02d}"
    snap = public.publish(period)
    partial = {p["month"]: p["label"] for p in snap.data["coverage"]["partial_months"]}
    assert partial == {start_month: f"partial: the record starts {first:%Y-%m-%d}"}
    assert snap.data["schema"] == "holdtrack-public/2"
    page = client.get(reverse("public:snapshot", args=[snap.version])).content.decode()
    assert "Partial months in this period" in page and start_month in page
    codebook = client.get(reverse("public:codebook", args=[snap.version])).content.decode()
    assert "PARTIAL MONTHS" in codebook and f"{start_month} (partial: the record starts" in codebook

    later = public.publish(f"{year}-{month:02d}..{year}-{month:02d}")
    assert later.data["coverage"] == {"partial_months": [], "note": ""}
    assert "Every month of the period is covered in full." in later.codebook


# ------------------------------------------------------------------------------------ suppression


def test_suppression_example() -> None:
    # A row with one small cell gets a complementary cell; so does its column.
    s = suppress([[3, 40, 50], [20, 30, 60]], 10)
    hidden = {(i, j) for i, row in enumerate(s.mask) for j, m in enumerate(row) if m}
    assert (0, 0) in hidden and len(hidden) >= 4
    assert recoverable(s.published()) == {}


def test_cells_of_ones_are_not_left_to_add_up() -> None:
    s = suppress([[1, 1, 50], [30, 40, 60]], 10)
    row0 = [s.mask[0][j] for j in range(4)]
    assert sum(row0) >= 3  # 1 and 1 and a third cell: "2 split over two cells" would give both away


tables = st.integers(min_value=1, max_value=5).flatmap(
    lambda r: st.integers(min_value=1, max_value=5).flatmap(
        lambda c: st.lists(
            st.lists(st.one_of(st.integers(0, 12), st.integers(0, 200)), min_size=c, max_size=c),
            min_size=r,
            max_size=r,
        )
    )
)


@settings(max_examples=400, deadline=None)
@given(cells=tables, threshold=st.integers(min_value=2, max_value=15), zero=st.booleans())
def test_suppression_never_reveals_a_small_cell(cells: list[list[int]], threshold: int, zero: bool) -> None:
    s = suppress(cells, threshold, suppress_zero=zero)
    grid = with_margins(cells)
    published = s.published()

    def small(v: int) -> bool:
        return v < threshold and (v > 0 or zero)

    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if small(v):
                assert published[i][j] is None, "shown directly"
    recovered = recoverable(published)
    for (i, j), value in recovered.items():
        assert value == grid[i][j]
        assert not small(value), f"cell {(i, j)} = {value} recovered by subtraction"
