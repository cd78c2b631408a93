"""Nested blocks are references (rotate once, every user sees it); old documents migrate."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from headwater import flow
from headwater.blocks import Block, migrate_documents


class ApiToken(Block):
    """An API token for the reporting service."""

    token: SecretStr


# -- Last month's code: version 1 stored one "url". ---------------------------------
class ReportDestination(Block):
    """Where reports go, and with which token."""

    url: str
    credentials: ApiToken


token = ApiToken(token="tok-2024-q1")
token.save("reporting", overwrite=True)  # saved first: parents store a reference to it
ReportDestination(url="https://reports.example.com/api/weekly", credentials=token).save(
    "weekly", overwrite=True
)


# -- Today's code: version 2 splits the URL; a migration upgrades old documents. -------
def split_url(data: dict[str, Any]) -> dict[str, Any]:
    base, _, path = data.pop("url").rpartition("/")
    return {**data, "base_url": base, "path": path}


class ReportDestination(Block):  # type: ignore[no-redef]
    """Where reports go, and with which token."""

    _block_schema_version = 2
    _block_migrations = {1: split_url}

    base_url: str
    path: str
    credentials: ApiToken


@flow
def publish() -> str:
    destination = ReportDestination.load("weekly")  # a version-1 document, migrated in memory
    return f"{destination.base_url}/{destination.path} {destination.credentials.token}"


if __name__ == "__main__":
    # Rotate the token once; every block that uses it sees the new value.
    ApiToken(token="tok-2024-q2").save("reporting", overwrite=True)
    loaded = ReportDestination.load("weekly")
    assert loaded.credentials.token.get_secret_value() == "tok-2024-q2"
    print(publish())  # the token prints as **********

    # Rewrite stored documents to version 2 (what `headwater block migrate` does).
    for report in migrate_documents(dry_run=True):
        print("would migrate", report.reference, report.changed_fields)
    reports = migrate_documents()
    assert [(r.reference, r.from_version, r.to_version) for r in reports] == [
        ("report-destination/weekly", 1, 2)
    ]
    assert migrate_documents() == []
