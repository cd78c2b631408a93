"""Make the UI screenshots in docs/pages/img/ from a real server and real runs.

    .venv/bin/python docs/make_screenshots.py [--out docs/pages/img] [--chromium /usr/bin/chromium]

Starts ``headwater server start`` over a fresh HEADWATER_HOME (SQLite), records a
few real flow runs in subprocesses (a 40-task flow with dependencies and a
failure, a flow with logs and artifacts, and a few quick ones), then opens each
page of :data:`PAGES` in headless Chromium (Debian's, never a downloaded build)
and writes ``<name>.png``. Nothing is loaded from the internet.

To add a page, append to :data:`PAGES` a ``(name, path, setup)`` entry: ``path``
may name recorded runs as ``{big_run}`` / ``{report_run}`` (and anything a setup
puts into ``ctx.ids``); ``setup`` is ``None`` or a function called with the
:class:`Shot` context before the page is opened (e.g. to save a block with
``ctx.run_python(...)``), returning nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent


@dataclass
class Shot:
    """What a page's setup gets: the server's URL and environment, and the recorded runs."""

    url: str
    env: dict[str, str]
    home: Path
    ids: dict[str, str] = field(default_factory=dict)

    def run_python(self, code: str) -> str:
        """Run ``code`` in a fresh interpreter against the server's store; its stdout."""
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"setup code failed:\n{done.stderr}")
        return done.stdout


Setup = Callable[[Shot], None] | None


def _save_blocks(shot: Shot) -> None:
    """A few saved blocks (example values, not real credentials) for the blocks pages."""
    shot.run_python(
        textwrap.dedent(
            """
            from headwater.blocks import LocalFileSystem, Secret
            from headwater_blocks import SlackWebhook, SmtpEmail, SqlAlchemyConnector

            SmtpEmail(smtp_server="smtp.example.com", smtp_port=587, smtp_type="STARTTLS",
                      username="robot", password="example-password",
                      to_addresses=["ops@example.com", "data@example.com"]
                      ).save("alerts-mail", overwrite=True)
            SlackWebhook(url="env://SLACK_WEBHOOK_URL").save("data-team", overwrite=True)
            SqlAlchemyConnector(url="postgresql+psycopg://etl@db.internal:5432/warehouse",
                                password="env://PGPASSWORD").save("warehouse", overwrite=True)
            Secret(value={"user": "svc", "token": "example-token"}).save("api-login", overwrite=True)
            LocalFileSystem(basepath="/srv/results").save("results", overwrite=True)
            """
        )
    )


def _save_variables_and_limits(shot: Shot) -> None:
    shot.run_python(
        textwrap.dedent(
            """
            from headwater._store import get_store
            from headwater.variables import Variable

            Variable.set("batch-size", 500, overwrite=True, tags=["etl"])
            Variable.set("regions", ["eu-west", "us-east"], overwrite=True)
            Variable.set("thresholds", {"late_files": 2, "error_rate": 0.01}, overwrite=True)
            get_store().create_concurrency_limit("warehouse", 4)
            get_store().create_concurrency_limit("api-calls", 10)
            """
        )
    )


def _find_report_artifact(shot: Shot) -> None:
    shot.ids["report_artifact"] = shot.run_python(
        "from headwater._store import get_store\n"
        "print(get_store().read_latest_artifact('daily-revenue').id)"
    ).strip()


# (name, path, setup): one PNG each, in this order. Other pages append here.
PAGES: list[tuple[str, str, Setup]] = [
    ("dashboard", "/", None),
    ("flow-runs", "/flow-runs", None),
    ("flow-run", "/flow-runs/{big_run}", None),
    ("flow-run-timeline", "/flow-runs/{big_run}#timeline", None),
    ("flow-run-graph", "/flow-runs/{big_run}#graph", None),
    ("flow-run-logs", "/flow-runs/{report_run}#logs-panel", None),
    ("blocks", "/blocks", _save_blocks),
    ("block-form", "/blocks/smtp-email/alerts-mail/edit", None),
    ("variables", "/variables", _save_variables_and_limits),
    ("concurrency-limits", "/concurrency-limits", None),
    ("artifacts", "/artifacts", None),
    ("artifact", "/artifacts/{report_artifact}", _find_report_artifact),
]

FLOWS = '''
import random
import sys
import time

from headwater import flow, get_run_logger, task
from headwater.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact


@task
def extract(table: str) -> list[int]:
    time.sleep(random.uniform(0.05, 0.4))
    return list(range(10))


@task
def transform(table: str, rows: list[int]) -> list[int]:
    time.sleep(random.uniform(0.05, 0.5))
    if table == "refunds":
        raise ValueError(f"column 'amount' of {table} has 3 negative values")
    return [r * 2 for r in rows]


@task
def validate(table: str, rows: list[int]) -> int:
    time.sleep(random.uniform(0.02, 0.2))
    return len(rows)


@task
def load(table: str, rows: list[int]) -> int:
    time.sleep(random.uniform(0.05, 0.3))
    return len(rows)


TABLES = ["orders", "customers", "invoices", "refunds", "products",
          "stores", "payments", "shipments", "returns", "suppliers"]


@flow(name="warehouse-sync", tags=["nightly", "warehouse"])
def warehouse_sync(tables: list[str] = TABLES) -> None:
    """40 task runs: extract -> transform -> validate and load per table; one transform fails."""
    log = get_run_logger()
    log.info("syncing %d tables", len(tables))
    futures = []
    for table in tables:
        rows = extract.submit(table)
        clean = transform.submit(table, rows)
        checked = validate.submit(table, clean)
        futures.append(load.submit(table, clean, wait_for=[checked]))
    loaded = [future.result() for future in futures]  # raises: the refunds transform failed
    log.info("loaded %d rows", sum(loaded))


@task
def query(region: str) -> dict:
    get_run_logger().info("querying orders for %s", region)
    time.sleep(random.uniform(0.05, 0.2))
    return {"region": region, "orders": random.randint(1000, 3000),
            "revenue": round(random.uniform(50000, 150000), 2)}


@flow(name="daily-report", tags=["reports"])
def daily_report(day: str = "2026-11-28", region: str = "eu-west") -> int:
    """Logs at several levels and publishes artifacts."""
    log = get_run_logger()
    log.info("building the %s report for %s", region, day)
    rows = [f.result() for f in (query.submit(region), query.submit("us-east"))]
    log.info("aggregated %d regions", len(rows))
    log.warning("2 late files for %s were skipped", day)
    create_markdown_artifact(
        f"# Daily report {day}\\n\\n* orders: **4045**\\n* revenue: **211,279.50**",
        key="daily-report", description="Orders and revenue per region")
    create_table_artifact(rows, key="daily-revenue", description="Revenue by region")
    create_link_artifact("https://example.com/dashboards/daily", link_text="BI dashboard",
                         key="daily-dashboard")
    log.info("report published")
    return len(rows)


@flow(name="hello")
def hello(name: str = "world") -> str:
    get_run_logger().info("hello %s", name)
    return name


if __name__ == "__main__":
    which = sys.argv[1]
    if which == "warehouse":
        warehouse_sync(return_state=True)
    elif which == "report":
        daily_report()
    else:
        hello(which)
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(home: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    env.update({"HEADWATER_HOME": str(home), "HEADWATER_PROGRESS": "false"})
    log = open(home / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    process = subprocess.Popen(
        [sys.executable, "-m", "headwater.cli", "server", "start", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError((home / "server.log").read_text())
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return process, url, env
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the server did not answer /api/health within 60 s")
        time.sleep(0.1)


def _record_runs(shot: Shot) -> None:
    script = shot.home / "example_flows.py"
    script.write_text(textwrap.dedent(FLOWS))
    for arg in ("ada", "grace", "warehouse", "report", "linus"):
        subprocess.run(
            [sys.executable, str(script), arg],
            env=shot.env,
            capture_output=True,
            check=False,
            timeout=300,
        )
    with httpx.Client(base_url=shot.url, timeout=30) as api:
        for role, flow_name in (("big_run", "warehouse-sync"), ("report_run", "daily-report")):
            runs = api.get("/api/flow_runs", params={"flow_name": flow_name}).json()
            shot.ids[role] = runs[0]["id"]


def make_screenshots(out: Path, chromium: str) -> list[Path]:
    """Record the runs, open every page of :data:`PAGES` and write the PNGs; their paths."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="hw-shots-") as tmp:
        home = Path(tmp)
        process, url, env = _start_server(home)
        try:
            shot = Shot(url=url, env=env, home=home)
            _record_runs(shot)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=chromium,
                    headless=True,
                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                )
                context = browser.new_context(viewport={"width": 1440, "height": 900})
                page: Any = context.new_page()
                for name, path, setup in PAGES:
                    if setup is not None:
                        setup(shot)
                    page.goto(url + path.format(**shot.ids))
                    page.wait_for_load_state("networkidle")
                    _, _, anchor = path.partition("#")
                    if anchor:
                        page.locator(f"#{anchor}").scroll_into_view_if_needed()
                        page.evaluate(f"document.getElementById('{anchor}').scrollIntoView()")
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target))
                    written.append(target)
                browser.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "pages" / "img")
    parser.add_argument(
        "--chromium", default=os.environ.get("HEADWATER_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    for path in make_screenshots(args.out, args.chromium):
        print(path)


if __name__ == "__main__":
    main()
