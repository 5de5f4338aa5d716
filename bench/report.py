"""One printed line per benchmark figure: ours beside the baseline measured in the same run."""
import statistics
import time
from collections.abc import Callable


def row(what: str, ours: float, baseline: float | None, unit: str, target: str = "") -> None:
    """Print a figure, its baseline and the ratio, so noise on a shared machine cancels out."""
    if baseline:
        ratio = f"{ours / baseline:6.2f}x"
        base = f"{baseline:10.2f} {unit}"
    else:
        ratio, base = "      -", f"{'-':>10} {' ' * len(unit)}"
    print(f"{what:<58} {ours:10.2f} {unit}   baseline {base}   ratio {ratio}   target {target}", flush=True)


def interleaved_medians_ms(*fns: Callable[[], object], runs: int = 5) -> list[float]:
    """Median time of each function; runs interleave so machine noise hits all of them alike."""
    for fn in fns:
        fn()  # warm: fonts, templates, keys
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, samples in zip(fns, times):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
    return [statistics.median(samples) for samples in times]
