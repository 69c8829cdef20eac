"""Small-cell suppression for public tables (anchors.md 2.4 item 10).

A table is published with its row totals, column totals and grand total. Working on the table *with* its
margins — an (R+1)×(C+1) grid whose last row and column are the totals — every row and every column of the grid
is one linear equation ("the cells add up to the total"), and a total can be sensitive too.

1. Primary: every count with ``0 < n < threshold`` is suppressed (zeros too when ``suppress_zero``; by default
   a zero is published: it identifies no one).
2. Complementary: a line (row or column of the grid) holding exactly one suppressed cell would give it away by
   subtraction, so the next smallest cell of that line is suppressed too — the smallest non-zero cell that is not
   a total, else the smallest non-zero one, else the smallest. A line whose suppressed cells are all ones
   (``sum == count``) would give them away to anyone who knows that zeros are published, so it gets one more.
3. Repeat until no line changes (a fixed point; every pass only adds suppressions, so it ends).

What this protects against: recovering a suppressed count exactly by subtracting published numbers along rows
and columns (the property test in ``tests/reports/test_public.py`` attacks every table it generates that way).
It does not promise a minimum width of the interval in which a suppressed count must lie; that is what
interval-protection tools (τ-ARGUS and similar) add, and is noted in the codebook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Suppressed:
    """The grid with margins and a mask of the same shape (``True`` = not published)."""

    grid: list[list[int]]
    mask: list[list[bool]]

    @property
    def rows(self) -> int:
        return len(self.grid) - 1

    @property
    def cols(self) -> int:
        return len(self.grid[0]) - 1

    def published(self) -> list[list[int | None]]:
        return [
            [None if self.mask[i][j] else self.grid[i][j] for j in range(len(self.grid[0]))]
            for i in range(len(self.grid))
        ]


def with_margins(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """Interior R×C counts → the (R+1)×(C+1) grid with row totals, column totals and the grand total."""
    if not cells or not cells[0]:
        raise ValueError("a table needs at least one row and one column")
    width = len(cells[0])
    if any(len(r) != width for r in cells):
        raise ValueError("ragged table")
    grid = [[*map(int, r), sum(int(v) for v in r)] for r in cells]
    grid.append([sum(grid[i][j] for i in range(len(cells))) for j in range(width + 1)])
    return grid


def _lines(n_rows: int, n_cols: int) -> list[list[tuple[int, int]]]:
    """Every equation of the grid: each row (its cells and its total) and each column."""
    rows = [[(i, j) for j in range(n_cols)] for i in range(n_rows)]
    cols = [[(i, j) for i in range(n_rows)] for j in range(n_cols)]
    return rows + cols


def suppress(cells: Sequence[Sequence[int]], threshold: int, *, suppress_zero: bool = False) -> Suppressed:
    grid = with_margins(cells)
    n_rows, n_cols = len(grid), len(grid[0])

    def sensitive(v: int) -> bool:
        return v < threshold and (v > 0 or suppress_zero)

    mask = [[sensitive(grid[i][j]) for j in range(n_cols)] for i in range(n_rows)]
    lines = _lines(n_rows, n_cols)
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [(i, j) for i, j in line if mask[i][j]]
            if not hidden:
                continue
            total_of_hidden = sum(grid[i][j] for i, j in hidden)
            if len(hidden) != 1 and not (0 < total_of_hidden == len(hidden)):
                continue
            candidate = _complement(grid, mask, line)
            if candidate is not None:
                mask[candidate[0]][candidate[1]] = True
                changed = True
    return Suppressed(grid=grid, mask=mask)


def _complement(grid: list[list[int]], mask: list[list[bool]], line: list[tuple[int, int]]) -> tuple[int, int] | None:
    n_rows, n_cols = len(grid), len(grid[0])
    open_cells = [(i, j) for i, j in line if not mask[i][j]]
    if not open_cells:
        return None

    def is_total(cell: tuple[int, int]) -> bool:
        return cell[0] == n_rows - 1 or cell[1] == n_cols - 1

    for pool in (
        [c for c in open_cells if grid[c[0]][c[1]] > 0 and not is_total(c)],
        [c for c in open_cells if grid[c[0]][c[1]] > 0],
        open_cells,
    ):
        if pool:
            return min(pool, key=lambda c: (grid[c[0]][c[1]], c))
    return None


def recoverable(published: Sequence[Sequence[int | None]]) -> dict[tuple[int, int], int]:
    """What an attacker recovers by subtraction: repeatedly solve any row or column of the grid (with margins)
    that has exactly one unknown. Returns the recovered cells (originally hidden) and their values."""
    grid = [list(r) for r in published]
    n_rows, n_cols = len(grid), len(grid[0])
    recovered: dict[tuple[int, int], int] = {}
    changed = True
    while changed:
        changed = False
        for line in _lines(n_rows, n_cols):
            unknown = [(i, j) for i, j in line if grid[i][j] is None]
            if len(unknown) != 1:
                continue
            i, j = unknown[0]
            total_cell = line[-1]
            parts = sum(grid[a][b] or 0 for a, b in line[:-1])
            value = parts if (i, j) == total_cell else (grid[total_cell[0]][total_cell[1]] or 0) - parts
            grid[i][j] = value
            recovered[(i, j)] = value
            changed = True
    return recovered
