"""Define a block, save it once, load it by name in a flow; its secret is a reference."""

from __future__ import annotations

import os

from pydantic import SecretStr

from headwater import flow, get_run_logger
from headwater.blocks import Block, CheckResult, CredentialsBlock


class WarehouseCredentials(CredentialsBlock):
    """Credentials for the team's data warehouse.

    Example:
        from blocks_custom import WarehouseCredentials

        creds = WarehouseCredentials.load("BLOCK_NAME")
    """

    host: str
    user: str
    password: SecretStr

    def get_client(self) -> dict[str, str]:
        # A real block returns a driver connection; the password is resolved here.
        return {"host": self.host, "user": self.user, "password": self.password.get_secret_value()}

    def check(self) -> CheckResult:
        return CheckResult(ok=bool(self.get_client()["password"]), message="password resolves")


# Once, e.g. in a setup script: the password is stored as a reference, not a value.
os.environ.setdefault("WAREHOUSE_PASSWORD", "correct-horse-battery")
WarehouseCredentials(
    host="warehouse.internal", user="etl", password="env://WAREHOUSE_PASSWORD"
).save("prod", overwrite=True)


@flow(log_prints=True)
def nightly_load() -> str:
    creds = WarehouseCredentials.load("prod")  # or Block.load("warehouse-credentials/prod")
    client = creds.get_client()
    # The resolved password is masked in run logs and captured prints.
    get_run_logger().info("connecting as %s with %s", client["user"], client["password"])
    print(repr(creds))  # WarehouseCredentials(..., password=SecretStr('**********'))
    return client["host"]


if __name__ == "__main__":
    assert nightly_load() == "warehouse.internal"
    assert WarehouseCredentials.load("prod").check().ok
    print([doc.reference for doc in Block.list_documents()])
