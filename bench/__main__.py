"""`make bench`: every benchmark, each figure printed beside its baseline measured in the same run."""
import importlib
import sys
import time

MODULES = ["bench_documents", "bench_finalise", "bench_seal", "bench_liveness", "bench_pages", "bench_api", "bench_batch"]


def main() -> int:
    wanted = sys.argv[1:] or MODULES
    failed = []
    for name in wanted:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one broken bench must not hide the others' figures
            failed.append(name)
            print(f"!! {name} failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
