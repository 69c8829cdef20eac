"""``--set module.NAME=VALUE,…`` for the screening benches: a stage's or a blocking rule's setting changed for one
run, to measure what that part brings or costs. A bare NAME is a ``screening.stages`` setting."""

from __future__ import annotations


def apply(spec: str) -> None:
    """Set each named setting (booleans from 0/false/off or anything else; other types by their own
    constructor) and print it. An unknown module or name fails."""
    from holdtrack.screening import bounds, candidates, fs_model, namesakes, stages

    modules = {
        "stages": stages,
        "candidates": candidates,
        "bounds": bounds,
        "namesakes": namesakes,
        "fs_model": fs_model,
    }
    for item in filter(None, spec.split(",")):
        name, value = item.split("=")
        module_name, _, attr = name.rpartition(".")
        module = modules[module_name or "stages"]
        kept = getattr(module, attr)  # an unknown name fails here
        setattr(module, attr, value not in ("0", "false", "off") if isinstance(kept, bool) else type(kept)(value))
        print(f"{module.__name__}.{attr} = {getattr(module, attr)!r}")
