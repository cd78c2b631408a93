"""Run one benchmark workload in this process and print one JSON line.

Usage: python workload.py LIB MODE N
  LIB  headwater | prefect | raw | futures
  MODE one (import + a one-task flow) | direct | submit | map
The same flow code runs on Headwater and Prefect: only the module name differs.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time

T0 = time.perf_counter()


def noop(x: int) -> int:
    return x


def run_orchestrator(lib: str, mode: str, n: int) -> dict[str, float]:
    mod = importlib.import_module(lib)
    futures_mod = importlib.import_module(f"{lib}.futures")
    task = mod.task(noop, name="noop")

    @mod.flow(name=f"bench-{mode}")
    def bench(n: int) -> int:
        if mode == "direct" or mode == "one":
            total = 0
            for i in range(n):
                total += task(i)
            return total
        if mode == "submit":
            futs = [task.submit(i) for i in range(n)]
        else:
            futs = list(task.map(list(range(n))))
        futures_mod.wait(futs)
        return sum(f.result() for f in futs)

    if mode == "one":
        bench(1)
        return {"elapsed": time.perf_counter() - T0}

    @mod.flow(name="warmup")
    def warmup() -> None:
        task(0)

    warmup()  # first-run costs (store creation, Prefect's ephemeral server) stay out of the per-task number
    start = time.perf_counter()
    result = bench(n)
    elapsed = time.perf_counter() - start
    assert result == n * (n - 1) // 2, result
    return {"elapsed": elapsed}


def run_floor(lib: str, mode: str, n: int) -> dict[str, float]:
    start = time.perf_counter()
    if lib == "raw":
        total = sum(noop(i) for i in range(n))
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor() as pool:
            if mode == "map":
                total = sum(pool.map(noop, range(n)))
            else:
                total = sum(f.result() for f in [pool.submit(noop, i) for i in range(n)])
    elapsed = time.perf_counter() - start
    assert total == n * (n - 1) // 2
    return {"elapsed": elapsed}


def main() -> None:
    lib, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = run_floor(lib, mode, n) if lib in ("raw", "futures") else run_orchestrator(lib, mode, n)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu"] = usage.ru_utime + usage.ru_stime
    out["maxrss_mib"] = usage.ru_maxrss / 1024
    sys.stdout.write("BENCH " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
