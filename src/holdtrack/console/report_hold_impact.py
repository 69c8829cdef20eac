"""``holdtrack report hold-impact [--format table|json|csv|md] [--suppress] [--bookings]``.

``json`` is the whole report as one document; ``csv`` is the same figures in long form (one number per line:
section, table, category, measure, value); ``md`` a Markdown document (headline, hold's own time, breakdowns,
regression, caveat). ``--suppress`` applies the public releases' small-cell rules to the breakdowns;
``--bookings`` prints instead the hold's own time per hold booking (booking number, times, detainer link).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any, cast

from rich.console import Console
from rich.table import Table

from holdtrack.reports.hold_impact import hold_impact
from holdtrack.reports.hold_impact.breakdowns import suppressed
from holdtrack.reports.hold_impact.facts import booking_facts
from holdtrack.reports.hold_impact.hold_time import hold_time_rows
from holdtrack.reports.public import threshold

FORMATS = ("table", "json", "csv", "md")
GROUP_LABELS = {"hold": "hold", "no_hold": "no hold"}


def add_subcommand(sub: Any, date_from: Any, date_to: Any) -> None:
    command = sub.add_parser(
        "hold-impact",
        help="Time in custody with and without an immigration hold (booking feeds): headline, the hold's own "
        "time, breakdowns, adjusted comparison.",
    )
    command.add_argument("--from", dest="date_from", type=date_from, metavar="DATE", help="Released on or after.")
    command.add_argument("--to", dest="date_to", type=date_to, metavar="DATE", help="Released on or before.")
    command.add_argument(
        "--charge-type", dest="charge_types", action="append", default=[], metavar="T", help="Only this (repeatable)."
    )
    command.add_argument(
        "--exclude-charge-type",
        dest="exclude_charge_types",
        action="append",
        default=[],
        metavar="T",
        help="Leave this out (repeatable). UWCHR's analysis sample is --exclude-charge-type other.",
    )
    command.add_argument("--format", choices=FORMATS, default="table")
    command.add_argument(
        "--suppress", action="store_true", help="Small cells of the breakdowns suppressed (public releases' rules)."
    )
    command.add_argument(
        "--bookings", action="store_true", help="The hold's own time per hold booking instead (json or csv)."
    )


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _share(value: Any) -> str:
    return "–" if value is None else f"{value:.1%}"


def long_rows(result: dict[str, Any]) -> Iterator[tuple[str, str, str, str, Any]]:
    """(section, table, category, measure, value) for every figure of the report."""
    for g in ("hold", "no_hold"):
        for k, v in result[g].items():
            yield ("headline", "all", "all charge types", f"{g}_{k}", v)
    for row in result["by_charge_type"]:
        for g in ("hold", "no_hold"):
            for k, v in row[g].items():
                yield ("headline", "charge-type", row["charge_type"], f"{g}_{k}", v)
    for k, v in result["hold_time"].items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                yield ("hold-time", "all", "hold bookings", f"{k}_{kk}", vv)
        else:
            yield ("hold-time", "all", "hold bookings", k, v)
    for t in result["breakdowns"]:
        for row in t["rows"]:
            for k, v in row.items():
                if k != "category":
                    yield ("breakdown", t["key"], row["category"], k, v)
    reg = result["regression"]
    for k in ("n", "hold_bookings", "multiplier", "ci_low", "ci_high", "p_value", "adj_r_squared"):
        if k in reg:
            yield ("regression", "hold", "hold", k, reg[k])
    for c in reg.get("coefficients", []):
        for k, v in c.items():
            if k != "term":
                yield ("regression", "coefficients", c["term"], k, v)


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Time in custody with and without an immigration hold", ""]
    lines += [f"> {note}" for note in result["sample_notes"]] + ([""] if result["sample_notes"] else [])
    lines += [
        "## Days in custody",
        "",
        "| charge type | hold n | hold mean | hold median | no hold n | no hold mean | no hold median |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in [("all", result), *((r["charge_type"], r) for r in result["by_charge_type"])]:
        cells = [_num(row[g][k]) for g in ("hold", "no_hold") for k in ("count", "mean_days", "median_days")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    ht = result["hold_time"]
    lines += [
        "",
        "## The hold's own time",
        "",
        f"- hold bookings: {ht['hold_bookings']:,}; with a release time for their other charges: "
        f"{ht['with_other_charge_release']:,}",
        f"- held past the other charges: {ht['held_past_other_charges']:,}; added hours: total "
        f"{_num(ht['added_hours']['total'])}, mean {_num(ht['added_hours']['mean'])}, median "
        f"{_num(ht['added_hours']['median'])}, longest {_num(ht['added_hours']['max'])}",
        f"- with a holdtrack detainer: {ht['with_detainer']:,}; left after the hold ceiling: "
        f"{ht['left_after_hold_ceiling']:,}; with over-detention flags: {ht['over_detention_flagged']:,} "
        f"{ht['over_detention_flags'] or ''}",
    ]
    for t in result["breakdowns"]:
        unit = t["unit"]
        lines += [
            "",
            f"## {t['title']}",
            "",
            f"| {t['label']} | hold {unit} | hold share | hold mean days | no hold {unit} | no hold share | "
            "no hold mean days |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in t["rows"]:
            cells = []
            for g in ("hold", "no_hold"):
                cells += [_num(row[f"{g}_bookings"]), _share(row[f"{g}_share"]), _num(row.get(f"{g}_mean_days"))]
            lines.append(f"| {row['category']} | " + " | ".join(cells) + " |")
    reg = result["regression"]
    lines += ["", "## Adjusted comparison (OLS of log days in custody)", ""]
    if reg.get("formula"):
        lines += [
            f"Hold multiplier {reg['multiplier']:.2f} (95 % CI {reg['ci_low']:.2f}–{reg['ci_high']:.2f}), "
            f"n = {reg['n']:,}, adjusted R² = {reg['adj_r_squared']:.3f}. Model: `{reg['formula']}`.",
            "",
            "| term | coefficient | std. error | p | multiplier | 95 % CI |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for c in reg["coefficients"]:
            lines.append(
                f"| {c['term']} | {c['coef']:.3f} | {c['std_err']:.3f} | {c['p']:.3g} | {c['multiplier']:.2f} | "
                f"{c['ci_low']:.3f} to {c['ci_high']:.3f} |"
            )
    else:
        lines.append(f"Not estimated: {reg.get('reason', '')}.")
    if reg.get("left_out"):
        lines += ["", "Left out: " + "; ".join(f"{k}: {v:,}" for k, v in reg["left_out"].items()) + "."]
    lines += ["", f"*{reg['caveat']}*", ""]
    if result["sample_notes"]:
        lines += ["*The bookings compared are not the whole jail population (note at the top).*", ""]
    return "\n".join(lines)


def handle(command: Any, options: dict[str, Any]) -> None:
    filters = {k: options[k] for k in ("date_from", "date_to", "charge_types", "exclude_charge_types")}
    out = cast(IO[str], command.stdout)
    fmt = options["format"]
    if options.get("bookings"):
        rows = hold_time_rows(booking_facts(**filters))
        if fmt == "csv":
            writer = csv.writer(out, lineterminator="\n")
            columns = list(rows[0]) if rows else ["booking_number"]
            writer.writerow(columns)
            writer.writerows([row.get(c) for c in columns] for row in rows)
        else:
            command.stdout.write(json.dumps(rows, default=str))
        return
    result = hold_impact(**filters, full=True)
    if options.get("suppress"):
        limit = threshold()
        result["breakdowns"] = [suppressed(t, limit) for t in result["breakdowns"]]
        result["suppression"] = {"threshold": limit}
    if fmt == "json":
        command.stdout.write(json.dumps(result, default=str))
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "table", "category", "measure", "value"])
        writer.writerows(["" if v is None else v for v in row] for row in long_rows(result))
    elif fmt == "md":
        command.stdout.write(markdown(result))
    else:
        _table(command, result)


def _table(command: Any, result: dict[str, Any]) -> None:
    def cells(stats: dict[str, Any]) -> list[str]:
        return [_num(stats["count"]), _num(stats["mean_days"]), _num(stats["median_days"])]

    table = Table(title="Days in custody with and without an immigration hold", title_justify="left")
    table.add_column("charge type")
    for column in ("hold n", "hold mean", "hold median", "no hold n", "no hold mean", "no hold median"):
        table.add_column(column, justify="right")
    table.add_row("all", *cells(result["hold"]), *cells(result["no_hold"]), style="bold")
    for row in result["by_charge_type"]:
        table.add_row(row["charge_type"], *cells(row["hold"]), *cells(row["no_hold"]))
    console = Console(file=cast(IO[str], command.stdout), highlight=False, soft_wrap=True)
    console.print(table)
    ht, reg = result["hold_time"], result["regression"]
    console.print(
        f"Held past the other charges: {ht['held_past_other_charges']:,} of {ht['hold_bookings']:,} hold bookings "
        f"(median {_num(ht['added_hours']['median'])} hours added)."
    )
    if reg.get("formula"):
        console.print(
            f"Adjusted: a hold multiplies days in custody by {reg['multiplier']:.2f} "
            f"(95 % CI {reg['ci_low']:.2f}–{reg['ci_high']:.2f}; n = {reg['n']:,}; adj. R² {reg['adj_r_squared']:.3f})."
        )
    for note in result["sample_notes"]:
        console.print(note)
    console.print("Breakdowns and the full regression: --format md or json.")
