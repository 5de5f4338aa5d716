"""One printed line per benchmark figure: ours beside the baseline measured in the same run."""


def row(what: str, ours: float, baseline: float | None, unit: str, target: str = "") -> None:
    """Print a figure, its baseline and the ratio, so noise on a shared machine cancels out."""
    if baseline:
        ratio = f"{ours / baseline:6.2f}x"
        base = f"{baseline:10.2f} {unit}"
    else:
        ratio, base = "      -", f"{'-':>10} {' ' * len(unit)}"
    print(f"{what:<58} {ours:10.2f} {unit}   baseline {base}   ratio {ratio}   target {target}", flush=True)
