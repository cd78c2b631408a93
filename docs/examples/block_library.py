"""The standard block library (headwater-blocks) in one flow: files, SQL, shell, a webhook."""

from __future__ import annotations

import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from headwater import flow, task
from headwater_blocks import (
    CustomWebhook,
    RemoteFileSystem,
    ShellOperation,
    SqlAlchemyConnector,
    sqlalchemy_execute,
    sqlalchemy_query,
)

work = Path(tempfile.mkdtemp(prefix="headwater-blocks-example-"))


class Receiver(BaseHTTPRequestHandler):
    """Stands in for a chat service, so the example needs no network."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        print("webhook received:", body.decode())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()

# Blocks as code: save each once (a deploy script or `headwater block apply` does this).
RemoteFileSystem(basepath=(work / "lake").as_uri()).save("lake", overwrite=True)
SqlAlchemyConnector(url=f"sqlite:///{work / 'warehouse.db'}").save("warehouse", overwrite=True)
ShellOperation(commands=["echo rows: $ROWS", "date +%Y"], env={"ROWS": "3"}).save(
    "report", overwrite=True
)
CustomWebhook(
    url=f"http://127.0.0.1:{server.server_address[1]}/hooks/{{{{team}}}}",
    json_data={"title": "{{subject}}", "text": "{{body}}"},
    secrets={"team": "data-eng"},
    allow_private_urls=True,  # the receiver is on localhost; public services need no flag
).save("alerts", overwrite=True)


@task(persist_result=True, result_storage="remote-file-system/lake")
def extract() -> list[dict[str, object]]:
    return [{"id": 1, "city": "Oslo"}, {"id": 2, "city": "Lima"}, {"id": 3, "city": "Pune"}]


@flow(log_prints=True)
def nightly() -> int:
    rows = extract()
    db = SqlAlchemyConnector.load("warehouse")
    sqlalchemy_execute("CREATE TABLE IF NOT EXISTS cities (id INTEGER PRIMARY KEY, city TEXT)", db)
    sqlalchemy_execute("DELETE FROM cities", db)
    sqlalchemy_execute("INSERT INTO cities (id, city) VALUES (:id, :city)", db, rows)
    count = sqlalchemy_query("SELECT COUNT(*) FROM cities", db)[0][0]
    RemoteFileSystem.load("lake").write_path("reports/count.txt", str(count).encode())
    ShellOperation.load("report").run()  # each output line goes into the run log
    CustomWebhook.load("alerts").notify(f"{count} cities loaded", subject="nightly")
    return count


if __name__ == "__main__":
    assert nightly() == 3
    assert (work / "lake" / "reports" / "count.txt").read_text() == "3"
    server.shutdown()
