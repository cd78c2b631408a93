"""Secret flow parameters: the flow gets the real value, the recorded run ``********``."""

from __future__ import annotations

from pydantic import SecretStr

from headwater import flow
from headwater.testing.reader import latest_flow_run


@flow
def sync(api_key: SecretStr, table: str) -> int:
    key = api_key.get_secret_value()  # the real key, to call the service with
    return len(key)


if __name__ == "__main__":
    assert sync("sk-live-0123456789", "orders") == 18
    recorded = latest_flow_run().parameters
    print(recorded)  # {'api_key': '********', 'table': 'orders'}
    assert recorded == {"api_key": "********", "table": "orders"}
