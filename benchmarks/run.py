"""Run Headwater and Prefect 3 side by side on the same workloads and print a table.

Every workload runs in a fresh process with its own empty home folder, one
library after the other in the same run, so the ratios compare like with like
on a shared, noisy machine. A second table measures ingest over HTTP (see
``benchmarks/ingest.py``). ``--write`` records both tables in
docs/pages/benchmarks.md with the date and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import ingest
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).parent
WORKLOAD = HERE / "workload.py"


def run_one(python: str, lib: str, mode: str, n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="hw-bench-") as home:
        env = {
            **os.environ,
            "HEADWATER_HOME": home,
            "PREFECT_HOME": home,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # With no PREFECT_API_URL, Prefect 3 starts its ephemeral local server on first
            # use (what a user gets out of the box); on a loaded 2-core box that can take
            # longer than its default 20 s startup timeout.
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "600",
            "DO_NOT_TRACK": "true",
        }
        env.pop("HEADWATER_DATABASE_URL", None)
        env.pop("PREFECT_API_URL", None)
        start = os.times()
        proc = subprocess.run(
            [python, str(WORKLOAD), lib, mode, str(n)],
            env=env,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        end = os.times()
    lines = [line for line in proc.stdout.splitlines() if line.startswith("BENCH ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"{lib} {mode} {n} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
        )
    out: dict[str, float] = json.loads(lines[-1][6:])
    out["process_cpu"] = (end.children_user - start.children_user) + (
        end.children_system - start.children_system
    )
    out["process_wall"] = end.elapsed - start.elapsed
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


NOTES = [
    "How to read it:",
    "",
    "- Every cell is one fresh process with an empty home folder; the libraries ran one",
    "  after the other in the same run, so compare within a row. The machine is shared",
    "  and noisy: quote the ratios, not the absolute numbers.",
    "- *Per task* is the wall time of one flow of N no-op tasks divided by N. For Headwater",
    "  it includes recording every task run (three states each) in the local SQLite store:",
    "  the flow call returns only after the final flush. A warm-up flow runs first in the",
    "  same process, so first-use costs (creating the database, Prefect's local server)",
    "  stay out of these rows.",
    "- *import + one-task flow* is the CPU and wall time of a whole `python` process that",
    "  imports the library and runs a flow with one task. With no `PREFECT_API_URL`,",
    "  Prefect 3 starts its temporary local server in that process, which is what a new",
    "  user gets; most of its time is that server starting.",
    "- The floor columns run the same no-op function: *raw Python* calls it in a loop,",
    "  *concurrent.futures* submits it to a `ThreadPoolExecutor` (the `map` rows use",
    "  `executor.map`; the `direct` rows also submit, since a pool has no direct call).",
]


INGEST_NOTES = [
    "## Ingest over HTTP",
    "",
    "`benchmarks/ingest.py` starts `headwater server start` on SQLite, points a client at",
    "it with `HEADWATER_API_URL` and pushes N task runs with three state changes each",
    "(Pending, Running, Completed) through the HTTP store, then flushes: the time runs",
    "until every batch is acknowledged, i.e. durable on the server. It then counts the",
    "states in the server's database file; *dropped* must be 0 (the script fails",
    f"otherwise). The target is at least {ingest.TARGET_PER_SECOND} state changes per second.",
]


def headwater_version() -> str:
    from importlib.metadata import version

    return version("headwater")


def prefect_version(python: str | None) -> str:
    if not python:
        return "not measured"
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('prefect'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out.stdout.strip() or "unknown"


def fmt_us(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:,.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--prefect-python", help="python of an environment with Prefect 3 installed"
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 tasks only; Prefect at 1,000 tasks"
    )
    parser.add_argument(
        "--write", action="store_true", help="write the table to docs/pages/benchmarks.md"
    )
    args = parser.parse_args()

    libs: list[tuple[str, str]] = [("headwater", sys.executable)]
    if args.prefect_python:
        libs.append(("prefect", args.prefect_python))
    sizes = [1_000] if args.quick else [1_000, 10_000]

    rows: list[tuple[str, ...]] = []
    headers = (
        "workload",
        *[name for name, _ in libs],
        "raw Python",
        "concurrent.futures",
        "ratio prefect/headwater",
    )

    # import + one-task flow: whole process, CPU time (user+sys) and wall time
    one = {
        name: min((run_one(py, name, "one", 1) for _ in range(3)), key=lambda r: r["process_cpu"])
        for name, py in libs
    }
    cells = [
        f"{one[n]['process_cpu']:.2f} s CPU / {one[n]['process_wall']:.2f} s wall" for n, _ in libs
    ]
    ratio = (
        f"{one['prefect']['process_wall'] / one['headwater']['process_wall']:.1f}x"
        if "prefect" in one
        else "-"
    )
    rows.append(("import + one-task flow (process)", *cells, "-", "-", ratio))

    peak: dict[str, float] = {}
    for n in sizes:
        for mode in ("direct", "submit", "map"):
            res = {name: run_one(py, name, mode, n) for name, py in libs}
            raw = run_one(sys.executable, "raw", mode, n)
            fut = run_one(sys.executable, "futures", mode, n)
            if n == 10_000 and mode == "direct":
                peak = {name: r["maxrss_mib"] for name, r in res.items()}
            cells = [fmt_us(res[name]["elapsed"], n) for name, _ in libs]
            ratio = (
                f"{res['prefect']['elapsed'] / res['headwater']['elapsed']:.0f}x"
                if "prefect" in res
                else "-"
            )
            rows.append(
                (
                    f"per task, {n:,} tasks, {mode}",
                    *cells,
                    fmt_us(raw["elapsed"], n),
                    fmt_us(fut["elapsed"], n),
                    ratio,
                )
            )
    if peak:
        cells = [f"{peak[name]:,.0f} MiB" for name, _ in libs]
        ratio = f"{peak['prefect'] / peak['headwater']:.1f}x" if "prefect" in peak else "-"
        rows.append(("peak memory, 10,000 tasks (direct)", *cells, "-", "-", ratio))

    table = Table(title="Headwater benchmarks")
    for h in headers:
        table.add_column(h)
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    ingested = ingest.run([2_000] if args.quick else [1_000, 10_000, 50_000])
    print(f"machine: {machine()}")

    if args.write:
        lines = [
            "# Benchmarks",
            "",
            f"Measured on {dt.date.today().isoformat()} on {machine()} with `nox -s bench`",
            f"(Headwater {headwater_version()}, Prefect {prefect_version(args.prefect_python)}).",
            "",
            *NOTES,
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "---|" * len(headers),
            *("| " + " | ".join(row) + " |" for row in rows),
            "",
            *INGEST_NOTES,
            "",
            "| " + " | ".join(ingest.HEADERS) + " |",
            "|" + "---|" * len(ingest.HEADERS),
            *("| " + " | ".join(row) + " |" for row in ingest.rows(ingested)),
            "",
        ]
        (HERE.parent / "docs" / "pages" / "benchmarks.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
