"""``S3Bucket`` and the S3 tasks.

Paths
-----
Every path a method takes is *relative to* ``bucket_folder``, always; the S3
key is ``bucket_folder/path`` (or ``path`` when the block has no folder).
The rules are the core's (:mod:`headwater.blocks.paths`), and so are the folder
transfers (:class:`~headwater.blocks.ObjectStorageBlock`). Paths are normalised like POSIX paths (``a//b`` and ``a/./b`` are ``a/b``;
``a/../b`` is ``b``). These are refused with a ValueError naming the path:

- a leading ``/`` or a URL (``s3://...``): paths are relative, never absolute;
- a ``..`` that climbs out of ``bucket_folder``;
- ``""`` (or ``.``) where an object is meant: it is only allowed for folder
  operations (``list_objects``, ``list_paths``, folder transfers, recursive
  ``delete_object``), where it means ``bucket_folder`` itself;
- a trailing ``/`` where an object is meant.

A folder ``f`` covers the keys under ``bucket_folder/f/`` (not ``f2/...``).

What comes back: ``write_path``, the uploads, ``copy_object`` and
``move_object`` return the full S3 key; ``list_objects`` returns S3's object
dictionaries (``Key`` is the full key, with ``Size``, ``LastModified``,
``ETag``...) plus ``Path``, the key relative to ``bucket_folder``;
``list_paths`` returns those relative paths, which ``read_path`` and the
downloads accept.

Every AWS call is wrapped by :func:`~headwater_aws.errors.translate_errors`, so
a missing bucket or key is a :class:`~headwater_aws.errors.ResourceNotFoundError`
naming ``s3://bucket/key``, refused credentials an
:class:`~headwater_aws.errors.AccessDeniedError`, and so on.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from pydantic import Field, PrivateAttr, field_validator

from headwater import task
from headwater.blocks import CheckResult, ObjectStorageBlock, WritableFileSystem
from headwater.blocks.transfers import download_target
from headwater_aws.credentials import AwsCredentials
from headwater_aws.errors import (
    ResourceNotFoundError,
    error_class_for,
    translate_errors,
)
from headwater_aws.s3_paths import (
    DELETE_BATCH,
    MAX_PART,
    MIB,
    MIN_PART,
    SECRET_EXTRA_ARGS,
    allowed_copy_args,
    allowed_download_args,
    allowed_upload_args,
    check_args,
    validate_bucket_name,
)

if TYPE_CHECKING:
    from boto3.s3.transfer import TransferConfig
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import PaginatorConfigTypeDef

__all__ = [
    "S3Bucket",
    "s3_copy",
    "s3_delete",
    "s3_download",
    "s3_list_objects",
    "s3_move",
    "s3_upload",
]


class S3Bucket(WritableFileSystem, ObjectStorageBlock):
    """An S3 bucket, or a folder of one: read, write, upload, download, list, copy,
    move and delete objects, with managed multipart transfers. Usable as
    ``result_storage``.

    Paths are relative to ``bucket_folder`` (see :mod:`headwater_aws.s3`).
    ``upload_extra_args`` (for example ``{"ServerSideEncryption": "aws:kms",
    "SSEKMSKeyId": "..."}``) apply to every object this block writes or copies in.

    Example:
        ```python
        from headwater_aws import S3Bucket

        bucket = S3Bucket.load("BLOCK_NAME")
        key = bucket.write_path("reports/today.csv", b"day,total\\n1,42\\n")
        data = bucket.read_path("reports/today.csv")
        ```
    """

    _block_schema_version = 1
    _documentation_url = "https://headwater.dev/integrations/aws/#s3bucket"

    bucket_name: str = Field(description="Name of the bucket.")
    credentials: AwsCredentials = Field(
        default_factory=AwsCredentials,
        description="How to reach AWS (empty: boto3's default credential chain).",
    )
    bucket_folder: str = Field(
        default="",
        description="A folder of the bucket every path is relative to (empty: the whole bucket).",
    )
    upload_extra_args: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Extra arguments of every upload and copy (boto3 ExtraArgs), e.g. "
            '{"ServerSideEncryption": "AES256", "ContentType": "text/csv"}.'
        ),
    )
    multipart_threshold: int = Field(
        default=8 * MIB,
        description="Objects of at least this many bytes are transferred in parts.",
        json_schema_extra={"minimum": 1},
    )
    multipart_chunksize: int = Field(
        default=8 * MIB,
        description="Size of each part in bytes (S3 needs at least 5 MiB).",
        json_schema_extra={"minimum": MIN_PART, "maximum": MAX_PART},
    )
    max_concurrency: int = Field(
        default=10,
        description="Threads per transfer, and files transferred at once by folder operations.",
        json_schema_extra={"minimum": 1},
    )

    _transfer: tuple[tuple[int, int, int], Any] | None = PrivateAttr(default=None)

    # -- validation ------------------------------------------------------------------

    @field_validator("bucket_name")
    @classmethod
    def _check_bucket_name(cls, value: str) -> str:
        return validate_bucket_name(value)

    @field_validator("bucket_folder")
    @classmethod
    def _check_folder(cls, value: str) -> str:
        folder = value.strip("/")
        if not folder:
            return ""
        parts = folder.split("/")
        if any(part in ("", ".", "..") for part in parts) or "://" in value:
            raise ValueError(
                f"bucket_folder {value!r} must be a plain folder like 'data/raw' "
                "(no '//', '.', '..' or URL)"
            )
        return folder

    @field_validator("upload_extra_args")
    @classmethod
    def _check_extra_args(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_args("upload_extra_args", value, allowed_upload_args())
        secret = sorted(SECRET_EXTRA_ARGS & set(value))
        if secret:
            raise ValueError(
                f"upload_extra_args: {secret[0]!r} is a secret and would be stored in clear; "
                "pass it per call (upload_from_path(..., SSECustomerKey=...)) instead"
            )
        return value

    @field_validator("multipart_threshold")
    @classmethod
    def _check_threshold(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"multipart_threshold must be at least 1 byte (got {value})")
        return value

    @field_validator("multipart_chunksize")
    @classmethod
    def _check_chunksize(cls, value: int) -> int:
        if not MIN_PART <= value <= MAX_PART:
            raise ValueError(
                f"multipart_chunksize must be between 5 MiB ({MIN_PART} bytes) and 5 GiB: "
                f"S3 refuses other part sizes (got {value})"
            )
        return value

    @field_validator("max_concurrency")
    @classmethod
    def _check_concurrency(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"max_concurrency must be at least 1 (got {value})")
        return value

    def __getstate__(self) -> dict[Any, Any]:
        # The transfer configuration is a cache: never pickle it.
        state = super().__getstate__()
        private = dict(state.get("__pydantic_private__") or {})
        private["_transfer"] = None
        state["__pydantic_private__"] = private
        return state

    # -- helpers ---------------------------------------------------------------------

    @property
    def client(self) -> S3Client:
        """The S3 client of ``credentials`` (shared, thread-safe)."""
        return self.credentials.get_s3_client()

    @property
    def transfer_config(self) -> TransferConfig:
        """The boto3 ``TransferConfig`` of this block (rebuilt only when a setting changes)."""
        wanted = (self.multipart_threshold, self.multipart_chunksize, self.max_concurrency)
        cached = self._transfer
        if cached is not None and cached[0] == wanted:
            return cached[1]  # type: ignore[no-any-return]
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=wanted[0],
            multipart_chunksize=wanted[1],
            max_concurrency=wanted[2],
            use_threads=True,
        )
        self._transfer = (wanted, config)
        return config

    def _relative(self, path: str, *, folder: bool = False, what: str = "path") -> str:
        return self.object_path(path, what=what, folder=folder)

    def _join(self, relative: str) -> str:
        if not self.bucket_folder:
            return relative
        return f"{self.bucket_folder}/{relative}" if relative else self.bucket_folder

    def _key(self, path: str, *, what: str = "path") -> str:
        """The full key of the object at ``path``."""
        return self._join(self._relative(path, what=what))

    def _folder_prefix(self, folder: str) -> str:
        """The key prefix (``""`` or ending in ``/``) of the objects under ``folder``."""
        key = self._join(self._relative(folder, folder=True, what="folder"))
        return f"{key}/" if key else ""

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket_name}/{key}"

    def _path_of(self, key: str) -> str:
        """``key`` relative to ``bucket_folder``."""
        if self.bucket_folder and key.startswith(self.bucket_folder + "/"):
            return key[len(self.bucket_folder) + 1 :]
        return key

    def _extra_args(self, overrides: dict[str, Any]) -> dict[str, Any]:
        check_args("upload arguments", overrides, allowed_upload_args())
        return {**self.upload_extra_args, **overrides}

    # -- WritableFileSystem ----------------------------------------------------------

    def read_path(self, path: str) -> bytes:
        """The bytes of the object at ``path``; ResourceNotFoundError (a FileNotFoundError)
        naming ``s3://bucket/key`` when it is missing."""
        key = self._key(path)
        with translate_errors("read", self._url(key)):
            response = self.client.get_object(Bucket=self.bucket_name, Key=key)
            with response["Body"] as body:
                return body.read()

    def read_head(self, path: str, size: int) -> bytes:
        """The first ``size`` bytes of the object at ``path`` (one ranged GET)."""
        key = self._key(path)
        if size <= 0:
            return b""
        from botocore.exceptions import ClientError

        with translate_errors("read", self._url(key)):
            try:
                response = self.client.get_object(
                    Bucket=self.bucket_name, Key=key, Range=f"bytes=0-{size - 1}"
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""  # an empty object has no byte 0
                raise
            with response["Body"] as body:
                return body.read()

    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` as the object at ``path`` (with ``upload_extra_args``);
        returns its key."""
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError(
                f"S3Bucket.write_path: content must be bytes, not {type(content).__name__}"
            )
        data = bytes(content)
        if len(data) >= self.multipart_threshold:
            return self.upload_from_file_object(io.BytesIO(data), path)
        key = self._key(path)
        with translate_errors("write", self._url(key)):
            self.client.put_object(
                Bucket=self.bucket_name, Key=key, Body=data, **self.upload_extra_args
            )
        return key

    def exists(self, path: str) -> bool:
        """Whether an object is at ``path`` (False also when the bucket is missing)."""
        key = self._key(path)
        try:
            with translate_errors("look up", self._url(key)):
                self.client.head_object(Bucket=self.bucket_name, Key=key)
        except ResourceNotFoundError:
            return False
        return True

    # -- objects ---------------------------------------------------------------------

    def upload_from_file_object(
        self, from_file_object: BinaryIO, to_path: str, **upload_kwargs: Any
    ) -> str:
        """Upload the rest of ``from_file_object`` to ``to_path`` (in parts when large);
        ``upload_kwargs`` are boto3 ExtraArgs on top of ``upload_extra_args``. Returns the key."""
        key = self._key(to_path, what="to_path")
        extra = self._extra_args(upload_kwargs)
        with translate_errors("upload to", self._url(key)):
            self.client.upload_fileobj(
                from_file_object,
                self.bucket_name,
                key,
                ExtraArgs=extra or None,
                Config=self.transfer_config,
            )
        return key

    def upload_from_path(
        self, from_path: str | os.PathLike[str], to_path: str | None = None, **upload_kwargs: Any
    ) -> str:
        """Upload the file ``from_path`` to ``to_path`` (default: the file's name);
        ``upload_kwargs`` are boto3 ExtraArgs. Returns the key."""
        source = Path(from_path)
        if not source.is_file():
            raise FileNotFoundError(f"{source} is not a file")
        key = self._key(source.name if to_path is None else to_path, what="to_path")
        extra = self._extra_args(upload_kwargs)
        with translate_errors("upload to", self._url(key)):
            self.client.upload_file(
                str(source),
                self.bucket_name,
                key,
                ExtraArgs=extra or None,
                Config=self.transfer_config,
            )
        return key

    def download_object_to_file_object(
        self, from_path: str, to_file_object: BinaryIO, **download_kwargs: Any
    ) -> BinaryIO:
        """Write the object at ``from_path`` into ``to_file_object`` (in parts when large);
        ``download_kwargs`` are boto3 ExtraArgs (``VersionId``...). Returns the file object."""
        key = self._key(from_path, what="from_path")
        check_args("download arguments", download_kwargs, allowed_download_args())
        with translate_errors("download", self._url(key)):
            self.client.download_fileobj(
                self.bucket_name,
                key,
                to_file_object,
                ExtraArgs=download_kwargs or None,
                Config=self.transfer_config,
            )
        return to_file_object

    def download_object_to_path(
        self, from_path: str, to_path: str | os.PathLike[str], **download_kwargs: Any
    ) -> Path:
        """Download the object at ``from_path`` to the file ``to_path`` (parent folders are
        created). The file appears only once complete: a failed download leaves nothing."""
        key = self._key(from_path, what="from_path")
        check_args("download arguments", download_kwargs, allowed_download_args())
        with download_target(to_path) as target, translate_errors("download", self._url(key)):
            self.client.download_file(
                self.bucket_name,
                key,
                str(target),
                ExtraArgs=download_kwargs or None,
                Config=self.transfer_config,
            )
        return target

    # -- hooks of the core's folder transfers ----------------------------------------

    def check_upload_kwargs(self, upload_kwargs: dict[str, Any]) -> None:
        """Refuse arguments boto3 would refuse, before a folder upload starts."""
        self._extra_args(upload_kwargs)

    def check_download_kwargs(self, download_kwargs: dict[str, Any]) -> None:
        """Refuse arguments boto3 would refuse, before a folder download starts."""
        check_args("download arguments", download_kwargs, allowed_download_args())

    def folder_location(self, folder: str) -> str:
        """The key prefix of ``folder`` (with ``bucket_folder``)."""
        return self._join(folder)

    # -- listing ---------------------------------------------------------------------

    def list_objects(
        self,
        folder: str = "",
        delimiter: str = "",
        page_size: int | None = None,
        max_items: int | None = None,
        *,
        prefix: str = "",
    ) -> list[dict[str, Any]]:
        """S3's dictionaries of the objects under ``folder`` (``Key``, ``Size``,
        ``LastModified``, ``ETag``... plus ``Path``, relative to ``bucket_folder``).

        ``delimiter="/"`` lists only the objects directly in ``folder``;
        ``page_size`` is the number of keys per request and ``max_items`` the most
        returned; ``prefix`` keeps keys starting with ``folder/prefix`` (a raw key
        prefix, not a folder: ``"2024-"`` matches ``2024-01.csv``).
        """
        for name, value in (("page_size", page_size), ("max_items", max_items)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (got {value})")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a string, not {type(prefix).__name__}")
        full_prefix = self._folder_prefix(folder) + prefix
        kwargs: dict[str, Any] = {"Bucket": self.bucket_name, "Prefix": full_prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        pagination: PaginatorConfigTypeDef = {}
        if page_size is not None:
            pagination["PageSize"] = page_size
        if max_items is not None:
            pagination["MaxItems"] = max_items
        objects: list[dict[str, Any]] = []
        with translate_errors("list", self._url(full_prefix)):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                **kwargs, PaginationConfig=pagination
            )
            for page in pages:
                for item in page.get("Contents", []):
                    entry: dict[str, Any] = dict(item)
                    entry["Path"] = self._path_of(item["Key"])
                    objects.append(entry)
                    if max_items is not None and len(objects) >= max_items:
                        return objects
        return objects

    def list_paths(self, folder: str = "") -> list[str]:
        """Paths (relative to ``bucket_folder``) of every object under ``folder``,
        recursively, sorted; folder markers (keys ending in ``/``) are left out."""
        return sorted(
            item["Path"] for item in self.list_objects(folder) if not item["Key"].endswith("/")
        )

    # -- copy, move, delete ----------------------------------------------------------

    def _destination(
        self, to_path: str, to_bucket: S3Bucket | str | None
    ) -> tuple[S3Client, str, str]:
        """(client, bucket name, key) of a copy's destination."""
        if to_bucket is None:
            return self.client, self.bucket_name, self._key(to_path, what="to_path")
        if isinstance(to_bucket, S3Bucket):
            return to_bucket.client, to_bucket.bucket_name, to_bucket._key(to_path, what="to_path")
        if isinstance(to_bucket, str):
            validate_bucket_name(to_bucket)
            return self.client, to_bucket, self.object_path(to_path, what="to_path")
        raise TypeError(
            f"to_bucket must be an S3Bucket, a bucket name or None, not {type(to_bucket).__name__}"
        )

    def copy_object(
        self,
        from_path: str,
        to_path: str,
        to_bucket: S3Bucket | str | None = None,
        **copy_kwargs: Any,
    ) -> str:
        """Copy the object at ``from_path`` to ``to_path`` (server side, in parts when large).

        ``to_bucket``: ``None`` for this block (``to_path`` relative to its folder), another
        ``S3Bucket`` (relative to *its* folder, copied with its client) or a bucket name
        (``to_path`` is then the full key). The destination block's ``upload_extra_args``
        apply, then ``copy_kwargs`` (boto3 copy ExtraArgs). Returns the target key.
        """
        source_key = self._key(from_path, what="from_path")
        check_args("copy arguments", copy_kwargs, allowed_copy_args())
        client, bucket, key = self._destination(to_path, to_bucket)
        defaults = (
            self.upload_extra_args
            if to_bucket is None
            else to_bucket.upload_extra_args
            if isinstance(to_bucket, S3Bucket)
            else {}
        )
        extra = {**defaults, **copy_kwargs}
        source_url = self._url(source_key)
        with translate_errors("copy", source_url):
            self.client.head_object(Bucket=self.bucket_name, Key=source_key)
        with translate_errors("copy", f"{source_url} to s3://{bucket}/{key}"):
            client.copy(
                {"Bucket": self.bucket_name, "Key": source_key},
                bucket,
                key,
                ExtraArgs=extra or None,
                SourceClient=self.client,
                Config=self.transfer_config,
            )
        return key

    def move_object(
        self, from_path: str, to_path: str, to_bucket: S3Bucket | str | None = None
    ) -> str:
        """Copy the object at ``from_path`` to ``to_path`` (as :meth:`copy_object`), then
        delete the source. Returns the target key."""
        source_key = self._key(from_path, what="from_path")
        _, bucket, key = self._destination(to_path, to_bucket)
        if bucket == self.bucket_name and key == source_key:
            raise ValueError(f"cannot move {self._url(key)} onto itself")
        target = self.copy_object(from_path, to_path, to_bucket)
        with translate_errors("delete", self._url(source_key)):
            self.client.delete_object(Bucket=self.bucket_name, Key=source_key)
        return target

    def delete_object(self, path: str, *, recursive: bool = False) -> int:
        """Delete the object at ``path``; returns how many objects were deleted.

        A missing object is a ResourceNotFoundError. ``recursive=True`` deletes
        ``path`` and every object under the folder ``path`` (``""``: all of
        ``bucket_folder``), 1,000 per request; keys S3 refused to delete are named
        in an AwsError raised after the others were deleted.
        """
        if recursive:
            return self._delete_tree(path)
        key = self._key(path)
        url = self._url(key)
        if not self.exists(path):
            hint = ""
            if self.list_objects(path.rstrip("/"), max_items=1):
                hint = "; it is a folder: pass recursive=True to delete what is under it"
            raise ResourceNotFoundError(
                f"delete {url}: no such object{hint}", code="NoSuchKey", resource=url
            )
        with translate_errors("delete", url):
            self.client.delete_object(Bucket=self.bucket_name, Key=key)
        return 1

    def _delete_tree(self, path: str) -> int:
        relative = self._relative(path, folder=True, what="path")
        key = self._join(relative)
        prefix = f"{key}/" if key else ""
        keys: list[str] = []
        with translate_errors("list", self._url(prefix)):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket_name, Prefix=key
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"]
                    if not key or name == key or name.startswith(prefix):
                        keys.append(name)
        deleted = 0
        failed: list[tuple[str, str, str]] = []
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            with translate_errors("delete under", self._url(prefix)):
                response = self.client.delete_objects(
                    Bucket=self.bucket_name,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
            errors = response.get("Errors", [])
            failed.extend(
                (e.get("Key", "?"), e.get("Code", "Unknown"), e.get("Message", "")) for e in errors
            )
            deleted += len(batch) - len(errors)
        if failed:
            shown = ", ".join(f"{k} ({code})" for k, code, _ in failed[:10])
            more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
            code = failed[0][1]
            raise error_class_for(code)(
                f"delete under {self._url(prefix)}: {len(failed)} object(s) could not be "
                f"deleted ({deleted} were): {shown}{more}",
                code=code,
                resource=self._url(prefix),
            )
        return deleted

    # -- health ----------------------------------------------------------------------

    def check(self) -> CheckResult:
        """Whether the bucket is reachable with these credentials (``HeadBucket``);
        never raises."""
        where = f"s3://{self.bucket_name}" + (
            f"/{self.bucket_folder}" if self.bucket_folder else ""
        )
        try:
            with translate_errors("check", f"bucket {self.bucket_name!r}"):
                self.client.head_bucket(Bucket=self.bucket_name)
        except Exception as exc:
            return CheckResult(False, str(exc) or f"{type(exc).__name__} checking {where}")
        return CheckResult(True, f"bucket {self.bucket_name!r} is reachable ({where})")


# -- tasks ---------------------------------------------------------------------------


@task
def s3_upload(
    data: bytes,
    key: str,
    bucket: str,
    aws_credentials: AwsCredentials,
    extra_args: dict[str, Any] | None = None,
) -> str:
    """Upload ``data`` as ``key`` in ``bucket`` (``extra_args``: boto3 ExtraArgs);
    returns the key."""
    block = S3Bucket(bucket_name=bucket, credentials=aws_credentials)
    return block.upload_from_file_object(io.BytesIO(data), key, **(extra_args or {}))


@task
def s3_download(bucket: str, key: str, aws_credentials: AwsCredentials) -> bytes:
    """The bytes of ``key`` in ``bucket``."""
    block = S3Bucket(bucket_name=bucket, credentials=aws_credentials)
    buffer = io.BytesIO()
    block.download_object_to_file_object(key, buffer)
    return buffer.getvalue()


@task
def s3_list_objects(
    bucket: str,
    aws_credentials: AwsCredentials,
    prefix: str = "",
    delimiter: str = "",
    page_size: int | None = None,
    max_items: int | None = None,
) -> list[dict[str, Any]]:
    """S3's dictionaries of the objects of ``bucket`` whose keys start with ``prefix``."""
    block = S3Bucket(bucket_name=bucket, credentials=aws_credentials)
    return block.list_objects(
        delimiter=delimiter, page_size=page_size, max_items=max_items, prefix=prefix
    )


@task
def s3_copy(
    source_path: str,
    target_path: str,
    source_bucket_name: str,
    aws_credentials: AwsCredentials,
    target_bucket_name: str | None = None,
    **copy_kwargs: Any,
) -> str:
    """Copy ``source_path`` of ``source_bucket_name`` to ``target_path`` of
    ``target_bucket_name`` (default: the same bucket); returns the target key."""
    block = S3Bucket(bucket_name=source_bucket_name, credentials=aws_credentials)
    return block.copy_object(source_path, target_path, target_bucket_name, **copy_kwargs)


@task
def s3_move(
    source_path: str,
    target_path: str,
    source_bucket_name: str,
    aws_credentials: AwsCredentials,
    target_bucket_name: str | None = None,
) -> str:
    """Move ``source_path`` of ``source_bucket_name`` to ``target_path`` of
    ``target_bucket_name`` (default: the same bucket); returns the target key."""
    block = S3Bucket(bucket_name=source_bucket_name, credentials=aws_credentials)
    return block.move_object(source_path, target_path, target_bucket_name)


@task
def s3_delete(bucket: str, key: str, aws_credentials: AwsCredentials) -> str:
    """Delete ``key`` from ``bucket`` (ResourceNotFoundError when it is missing);
    returns the key."""
    block = S3Bucket(bucket_name=bucket, credentials=aws_credentials)
    block.delete_object(key)
    return key
