"""S3Bucket against a real moto server: paths, transfers, listing, copy/move/delete, errors."""

from __future__ import annotations

import io
import json
import pickle
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from headwater.blocks import ObjectStorageBlock, WritableFileSystem
from headwater.testing import ObjectStorageSuite, WritableFileSystemSuite
from headwater_aws import (
    AccessDeniedError,
    AwsCredentials,
    AwsError,
    ResourceNotFoundError,
    S3Bucket,
)

MIB = 1024 * 1024
OTHER = "headwater-other-bucket"


@pytest.fixture
def s3(bucket: str, aws_credentials: AwsCredentials) -> S3Bucket:
    return S3Bucket(bucket_name=bucket, credentials=aws_credentials)


@pytest.fixture
def s3_in_folder(bucket: str, aws_credentials: AwsCredentials) -> S3Bucket:
    return S3Bucket(bucket_name=bucket, credentials=aws_credentials, bucket_folder="/base/inner/")


@pytest.fixture
def other_bucket(aws_credentials: AwsCredentials) -> str:
    aws_credentials.get_s3_client().create_bucket(Bucket=OTHER)
    return OTHER


def raw_keys(credentials: AwsCredentials, bucket: str) -> list[str]:
    response = credentials.get_s3_client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in response.get("Contents", []))


def put_many(credentials: AwsCredentials, bucket: str, keys: list[str]) -> None:
    client = credentials.get_s3_client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))


# -- configuration -------------------------------------------------------------------------


def test_bucket_folder_is_normalised(s3_in_folder: S3Bucket) -> None:
    assert s3_in_folder.bucket_folder == "base/inner"
    assert S3Bucket(bucket_name="abc", bucket_folder="/").bucket_folder == ""


@pytest.mark.parametrize("folder", ["a//b", "a/../b", "./a", "s3://bucket/a"])
def test_bad_bucket_folder_is_refused(folder: str) -> None:
    with pytest.raises(ValidationError, match="bucket_folder"):
        S3Bucket(bucket_name="abc", bucket_folder=folder)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("My-Bucket", "lowercase"),
        ("-abc", "begin and end"),
        ("abc_def", "lowercase"),
        ("a..b", r"'\.\.'"),
        ("192.168.1.1", "IP address"),
        ("xn--abc", "reserves"),
    ],
)
def test_bad_bucket_names_are_refused_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        S3Bucket(bucket_name=name)


def test_good_bucket_names_are_accepted() -> None:
    for name in ("abc", "my.bucket-1", "a" * 63):
        assert S3Bucket(bucket_name=name).bucket_name == name


def test_bad_upload_extra_arg_is_refused_naming_it(s3: S3Bucket, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'ServerSideEncryptionn'"):
        S3Bucket(bucket_name="abc", upload_extra_args={"ServerSideEncryptionn": "AES256"})
    source = tmp_path / "f.txt"
    source.write_bytes(b"x")
    with pytest.raises(ValueError, match="'Bogus'"):
        s3.upload_from_path(source, "f.txt", Bogus=1)
    with pytest.raises(ValueError, match="'Bogus'"):
        s3.upload_from_folder(tmp_path, "dir", Bogus=1)
    with pytest.raises(ValueError, match="'Range'"):
        s3.download_object_to_file_object("f.txt", io.BytesIO(), Range="bytes=0-1")
    assert raw_keys(s3.credentials, s3.bucket_name) == []  # nothing was uploaded


def test_customer_key_may_not_be_stored_in_the_block() -> None:
    with pytest.raises(ValidationError, match="SSECustomerKey"):
        S3Bucket(bucket_name="abc", upload_extra_args={"SSECustomerKey": "k" * 32})


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("multipart_chunksize", 5 * MIB - 1, "5 MiB"),
        ("multipart_threshold", 0, "at least 1"),
        ("max_concurrency", 0, "at least 1"),
    ],
)
def test_transfer_settings_are_validated(field: str, value: int, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        S3Bucket(bucket_name="abc", **{field: value})


def test_transfer_config_follows_the_settings(s3: S3Bucket) -> None:
    config = s3.transfer_config
    assert s3.transfer_config is config  # cached
    assert (config.multipart_threshold, config.max_request_concurrency) == (8 * MIB, 10)
    s3.max_concurrency = 3
    assert s3.transfer_config is not config
    assert s3.transfer_config.max_request_concurrency == 3


# -- path semantics --------------------------------------------------------------------------

PATHS = [
    # (bucket_folder, path given, key expected, Path listed)
    ("", "a.txt", "a.txt", "a.txt"),
    ("", "d/e/f.txt", "d/e/f.txt", "d/e/f.txt"),
    ("", "d//e/./f.txt", "d/e/f.txt", "d/e/f.txt"),
    ("", "d/x/../f.txt", "d/f.txt", "d/f.txt"),
    ("base", "a.txt", "base/a.txt", "a.txt"),
    ("/base/", "d/e/f.txt", "base/d/e/f.txt", "d/e/f.txt"),
    ("base/inner", "d/../a.txt", "base/inner/a.txt", "a.txt"),
]


@pytest.mark.parametrize(("folder", "path", "key", "listed"), PATHS)
def test_path_semantics(
    bucket: str, aws_credentials: AwsCredentials, folder: str, path: str, key: str, listed: str
) -> None:
    block = S3Bucket(bucket_name=bucket, credentials=aws_credentials, bucket_folder=folder)
    assert block.write_path(path, b"data") == key
    assert raw_keys(aws_credentials, bucket) == [key]
    assert block.read_path(path) == b"data"
    (obj,) = block.list_objects()
    assert (obj["Key"], obj["Path"], obj["Size"]) == (key, listed, 4)
    assert {"LastModified", "ETag"} <= set(obj)
    assert block.list_paths() == [listed]
    assert block.read_path(listed) == b"data"  # what list_paths returns is accepted back


@pytest.mark.parametrize(
    "path", ["/a.txt", "..", "../a.txt", "a/../../b", "", ".", "d/", "s3://b/k"]
)
def test_bad_object_paths_are_refused_naming_them(s3_in_folder: S3Bucket, path: str) -> None:
    with pytest.raises(ValueError, match="path") as info:
        s3_in_folder.write_path(path, b"x")
    if path not in ("", "."):
        assert repr(path) in str(info.value)
    assert raw_keys(s3_in_folder.credentials, s3_in_folder.bucket_name) == []


@pytest.mark.parametrize("folder", ["/x", "..", "../x", "x/../.."])
def test_bad_folders_are_refused(s3_in_folder: S3Bucket, folder: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(folder))):
        s3_in_folder.list_objects(folder)
    with pytest.raises(ValueError, match=re.escape(repr(folder))):
        s3_in_folder.delete_object(folder, recursive=True)


def test_folders_are_relative_to_bucket_folder(
    s3_in_folder: S3Bucket, aws_credentials: AwsCredentials, bucket: str
) -> None:
    put_many(
        aws_credentials,
        bucket,
        ["outside.txt", "base/inner/a.txt", "base/inner/sub/b.txt", "base/inner/sub2/c.txt"],
    )
    assert s3_in_folder.list_paths() == ["a.txt", "sub/b.txt", "sub2/c.txt"]
    assert s3_in_folder.list_paths(".") == ["a.txt", "sub/b.txt", "sub2/c.txt"]
    assert s3_in_folder.list_paths("sub") == ["sub/b.txt"]  # a folder, not a key prefix
    assert s3_in_folder.list_paths("sub/") == ["sub/b.txt"]
    assert [o["Key"] for o in s3_in_folder.list_objects("sub")] == ["base/inner/sub/b.txt"]
    assert [o["Path"] for o in s3_in_folder.list_objects(prefix="sub")] == [
        "sub/b.txt",
        "sub2/c.txt",
    ]


def test_folder_markers_are_listed_but_not_paths(s3: S3Bucket) -> None:
    s3.client.put_object(Bucket=s3.bucket_name, Key="dir/", Body=b"")
    s3.write_path("dir/file.txt", b"f")
    assert [o["Key"] for o in s3.list_objects()] == ["dir/", "dir/file.txt"]
    assert s3.list_paths() == ["dir/file.txt"]


# -- reading and writing ---------------------------------------------------------------------


def test_read_write_head_exists(s3_in_folder: S3Bucket) -> None:
    assert not s3_in_folder.exists("r/x.bin")
    assert s3_in_folder.write_path("r/x.bin", b"\x00header-and-payload") == "base/inner/r/x.bin"
    assert s3_in_folder.exists("r/x.bin")
    assert s3_in_folder.read_path("r/x.bin") == b"\x00header-and-payload"
    assert s3_in_folder.read_head("r/x.bin", 7) == b"\x00header"
    assert s3_in_folder.read_head("r/x.bin", 1000) == b"\x00header-and-payload"
    s3_in_folder.write_path("r/x.bin", bytearray(b"new"))
    assert s3_in_folder.read_path("r/x.bin") == b"new"
    s3_in_folder.write_path("empty", b"")
    assert s3_in_folder.read_head("empty", 10) == b""
    assert s3_in_folder.read_path("empty") == b""
    with pytest.raises(TypeError, match="bytes"):
        s3_in_folder.write_path("s", "text")  # type: ignore[arg-type]


def test_uploads_return_keys_and_pass_extra_args(s3_in_folder: S3Bucket, tmp_path: Path) -> None:
    """Round trips are the ObjectStorageSuite's; here what is S3's own."""
    assert s3_in_folder.upload_from_file_object(io.BytesIO(b"m"), "m/obj") == "base/inner/m/obj"
    source = tmp_path / "source.csv"
    source.write_bytes(b"a,b\n1,2\n")
    assert s3_in_folder.upload_from_path(source) == "base/inner/source.csv"
    key = s3_in_folder.upload_from_path(source, "csv/copy.csv", ContentType="text/csv")
    head = s3_in_folder.client.head_object(Bucket=s3_in_folder.bucket_name, Key=key)
    assert head["ContentType"] == "text/csv"
    with pytest.raises(IsADirectoryError):
        s3_in_folder.download_object_to_path("csv/copy.csv", tmp_path)


def test_upload_from_folder_returns_the_key_prefix(s3_in_folder: S3Bucket, tmp_path: Path) -> None:
    (tmp_path / "src" / "a").mkdir(parents=True)
    (tmp_path / "src" / "a" / "f.txt").write_bytes(b"f")
    s3_in_folder.max_concurrency = 3
    assert s3_in_folder.upload_from_folder(tmp_path / "src", "tree", progress=True) == (
        "base/inner/tree"
    )
    assert raw_keys(s3_in_folder.credentials, s3_in_folder.bucket_name) == [
        "base/inner/tree/a/f.txt"
    ]


def test_progress_draws_nothing_when_stderr_is_not_a_terminal(
    s3: S3Bucket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "f1").write_bytes(b"1")
    (tmp_path / "f2").write_bytes(b"2")
    s3.upload_from_folder(tmp_path, "p")
    s3.download_folder_to_path("p", tmp_path / "back")
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")
    assert (tmp_path / "back" / "f2").read_bytes() == b"2"


def test_folder_download_refuses_objects_escaping_the_target(s3: S3Bucket, tmp_path: Path) -> None:
    s3.client.put_object(Bucket=s3.bucket_name, Key="dl/fine.txt", Body=b"ok")
    s3.client.put_object(Bucket=s3.bucket_name, Key="dl/../../evil.txt", Body=b"evil")
    target = tmp_path / "inside" / "target"
    with pytest.raises(ValueError, match="outside"):
        s3.download_folder_to_path("dl", target)
    assert not (tmp_path / "evil.txt").exists()
    assert not (target / "fine.txt").exists()  # refused before anything was downloaded


# -- multipart and extra arguments -----------------------------------------------------------


def test_large_objects_go_in_parts(s3: S3Bucket, tmp_path: Path) -> None:
    s3.multipart_threshold = s3.multipart_chunksize = 5 * MIB
    payload = bytes(range(256)) * (12 * MIB // 256)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    s3.upload_from_path(source, "big/file.bin")
    etag = s3.client.head_object(Bucket=s3.bucket_name, Key="big/file.bin")["ETag"]
    assert etag.strip('"').endswith("-3"), etag
    s3.write_path("big/written.bin", payload)  # write_path goes multipart too
    etag = s3.client.head_object(Bucket=s3.bucket_name, Key="big/written.bin")["ETag"]
    assert etag.strip('"').endswith("-3"), etag
    target = tmp_path / "back.bin"
    s3.download_object_to_path("big/file.bin", target)
    assert target.read_bytes() == payload
    assert s3.read_path("big/written.bin") == payload
    s3.copy_object("big/file.bin", "big/copy.bin")
    assert s3.read_path("big/copy.bin") == payload


def test_server_side_encryption_aes256(s3: S3Bucket, tmp_path: Path) -> None:
    s3.upload_extra_args = {"ServerSideEncryption": "AES256", "Metadata": {"team": "data"}}
    s3.write_path("enc/w.txt", b"w")
    s3.upload_from_file_object(io.BytesIO(b"u"), "enc/u.txt")
    for key in ("enc/w.txt", "enc/u.txt"):
        head = s3.client.head_object(Bucket=s3.bucket_name, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["Metadata"] == {"team": "data"}
    s3.upload_from_file_object(io.BytesIO(b"o"), "enc/o.txt", Metadata={"team": "ops"})
    head = s3.client.head_object(Bucket=s3.bucket_name, Key="enc/o.txt")
    assert head["Metadata"] == {"team": "ops"}  # per-call arguments win


def test_server_side_encryption_with_kms(s3: S3Bucket, aws_credentials: AwsCredentials) -> None:
    key_id = aws_credentials.get_client("kms").create_key()["KeyMetadata"]["KeyId"]
    s3.upload_extra_args = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_id}
    s3.write_path("kms.txt", b"secret data")
    head = s3.client.head_object(Bucket=s3.bucket_name, Key="kms.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert key_id in head["SSEKMSKeyId"]
    assert s3.read_path("kms.txt") == b"secret data"


def test_acl_public_read(s3: S3Bucket, tmp_path: Path) -> None:
    source = tmp_path / "pub.txt"
    source.write_bytes(b"public")
    s3.upload_from_path(source, "pub.txt", ACL="public-read")
    s3.upload_from_path(source, "private.txt")
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"

    def readers(key: str) -> set[str]:
        grants = s3.client.get_object_acl(Bucket=s3.bucket_name, Key=key)["Grants"]
        return {g["Grantee"].get("URI", "") for g in grants if g["Permission"] == "READ"}

    assert all_users in readers("pub.txt")
    assert all_users not in readers("private.txt")


# -- listing -----------------------------------------------------------------------------------


def test_list_objects_pages_and_limits(s3: S3Bucket) -> None:
    keys = [f"p/obj-{i:02d}" for i in range(25)]
    put_many(s3.credentials, s3.bucket_name, keys)
    assert [o["Key"] for o in s3.list_objects("p", page_size=10)] == keys  # 3 pages
    limited = s3.list_objects("p", page_size=10, max_items=15)
    assert [o["Key"] for o in limited] == keys[:15]
    assert len(s3.list_objects(max_items=1)) == 1
    for bad in ({"page_size": 0}, {"max_items": 0}):
        with pytest.raises(ValueError, match="at least 1"):
            s3.list_objects(**bad)  # type: ignore[arg-type]


def test_list_objects_with_delimiter(s3_in_folder: S3Bucket) -> None:
    for path in ("a.txt", "b.txt", "sub/c.txt", "sub/deeper/d.txt"):
        s3_in_folder.write_path(path, b"x")
    assert [o["Path"] for o in s3_in_folder.list_objects(delimiter="/")] == ["a.txt", "b.txt"]
    assert [o["Path"] for o in s3_in_folder.list_objects("sub", delimiter="/")] == ["sub/c.txt"]
    assert len(s3_in_folder.list_objects()) == 4
    assert s3_in_folder.list_objects("nothing-here") == []


# -- copy, move, delete ----------------------------------------------------------------------


def test_copy_and_move_within_the_bucket(s3_in_folder: S3Bucket, bucket: str) -> None:
    s3_in_folder.write_path("src.txt", b"payload")
    assert s3_in_folder.copy_object("src.txt", "copies/dst.txt") == "base/inner/copies/dst.txt"
    assert s3_in_folder.read_path("copies/dst.txt") == b"payload"
    assert s3_in_folder.move_object("src.txt", "moved.txt") == "base/inner/moved.txt"
    assert not s3_in_folder.exists("src.txt")
    assert s3_in_folder.read_path("moved.txt") == b"payload"
    with pytest.raises(ValueError, match="onto itself"):
        s3_in_folder.move_object("moved.txt", "./moved.txt")
    assert s3_in_folder.exists("moved.txt")


def test_copy_and_move_to_another_block_use_its_folder(
    s3_in_folder: S3Bucket, aws_credentials: AwsCredentials, other_bucket: str
) -> None:
    target = S3Bucket(
        bucket_name=other_bucket,
        credentials=AwsCredentials(
            aws_access_key_id="AKIAOTHERKEY0002",
            aws_secret_access_key="other-secret-key-9",
            region_name="us-east-1",
            aws_client_parameters=aws_credentials.aws_client_parameters,
        ),
        bucket_folder="landing",
        upload_extra_args={"ServerSideEncryption": "AES256"},
    )
    s3_in_folder.write_path("src.txt", b"cross")
    assert s3_in_folder.copy_object("src.txt", "x/y.txt", target) == "landing/x/y.txt"
    assert target.read_path("x/y.txt") == b"cross"
    head = target.client.head_object(Bucket=other_bucket, Key="landing/x/y.txt")
    assert head["ServerSideEncryption"] == "AES256"  # the destination's extra args apply
    assert s3_in_folder.move_object("src.txt", "m.txt", target) == "landing/m.txt"
    assert not s3_in_folder.exists("src.txt")
    assert raw_keys(aws_credentials, other_bucket) == ["landing/m.txt", "landing/x/y.txt"]


def test_copy_and_move_to_a_bucket_name_use_the_full_key(
    s3_in_folder: S3Bucket, aws_credentials: AwsCredentials, other_bucket: str
) -> None:
    s3_in_folder.write_path("src.txt", b"named")
    assert s3_in_folder.copy_object("src.txt", "full/key.txt", other_bucket) == "full/key.txt"
    assert s3_in_folder.move_object("src.txt", "moved.txt", other_bucket) == "moved.txt"
    assert raw_keys(aws_credentials, other_bucket) == ["full/key.txt", "moved.txt"]
    assert not s3_in_folder.exists("src.txt")
    with pytest.raises(ValueError, match="bucket_name"):
        s3_in_folder.copy_object("moved.txt", "k", "Bad_Bucket")


def test_copy_kwargs_are_passed_and_checked(s3: S3Bucket) -> None:
    s3.write_path("orig.txt", b"o")
    s3.copy_object("orig.txt", "meta.txt", Metadata={"k": "v"}, MetadataDirective="REPLACE")
    head = s3.client.head_object(Bucket=s3.bucket_name, Key="meta.txt")
    assert head["Metadata"] == {"k": "v"}
    with pytest.raises(ValueError, match="'Nope'"):
        s3.copy_object("orig.txt", "x.txt", Nope=1)


def test_copy_of_a_missing_object_names_it(s3: S3Bucket, other_bucket: str) -> None:
    with pytest.raises(ResourceNotFoundError, match=r"s3://headwater-test-bucket/ghost\.txt"):
        s3.copy_object("ghost.txt", "x.txt")
    s3.write_path("real.txt", b"r")
    with pytest.raises(ResourceNotFoundError, match="no-such-target-bucket"):
        s3.copy_object("real.txt", "x.txt", "no-such-target-bucket")
    with pytest.raises(ResourceNotFoundError, match="ghost"):
        s3.move_object("ghost.txt", "y.txt", other_bucket)
    assert raw_keys(s3.credentials, other_bucket) == []


def test_delete_single_and_missing(s3_in_folder: S3Bucket) -> None:
    s3_in_folder.write_path("one.txt", b"1")
    s3_in_folder.write_path("dir/two.txt", b"2")
    assert s3_in_folder.delete_object("one.txt") == 1
    assert not s3_in_folder.exists("one.txt")
    with pytest.raises(
        ResourceNotFoundError, match=r"s3://headwater-test-bucket/base/inner/one\.txt"
    ):
        s3_in_folder.delete_object("one.txt")
    with pytest.raises(ResourceNotFoundError, match="recursive=True"):
        s3_in_folder.delete_object("dir")
    assert s3_in_folder.exists("dir/two.txt")


def test_recursive_delete_crosses_the_batch_size(
    s3_in_folder: S3Bucket, aws_credentials: AwsCredentials, bucket: str
) -> None:
    keys = [f"base/inner/big/{i:04d}" for i in range(1200)]
    put_many(aws_credentials, bucket, [*keys, "base/inner/bigger/keep", "base/keep"])
    batches: list[int] = []
    s3_in_folder.client.meta.events.register(
        "before-call.s3.DeleteObjects",
        lambda params, **_: batches.append(params["body"].count(b"<Key>")),
    )
    assert s3_in_folder.delete_object("big", recursive=True) == 1200
    assert batches == [1000, 200]
    assert raw_keys(aws_credentials, bucket) == ["base/inner/bigger/keep", "base/keep"]
    assert s3_in_folder.delete_object("big", recursive=True) == 0
    s3_in_folder.write_path("file", b"f")
    assert s3_in_folder.delete_object("file", recursive=True) == 1  # like rm -r on a file
    assert s3_in_folder.delete_object("", recursive=True) == 1  # all of bucket_folder
    assert raw_keys(aws_credentials, bucket) == ["base/keep"]


# -- errors ------------------------------------------------------------------------------------


def test_missing_bucket_names_the_bucket(aws_credentials: AwsCredentials, tmp_path: Path) -> None:
    ghost = S3Bucket(bucket_name="no-such-bucket-here", credentials=aws_credentials)
    for call in (
        lambda: ghost.read_path("k.txt"),
        lambda: ghost.write_path("k.txt", b"x"),
        lambda: ghost.list_objects(),
        lambda: ghost.upload_from_file_object(io.BytesIO(b"x"), "k.txt"),
    ):
        with pytest.raises(ResourceNotFoundError, match="no-such-bucket-here") as info:
            call()
        assert isinstance(info.value, FileNotFoundError)
    target = tmp_path / "new" / "file.txt"
    with pytest.raises(ResourceNotFoundError, match="no-such-bucket-here"):
        ghost.download_object_to_path("k.txt", target)
    assert not (tmp_path / "new").exists()
    result = ghost.check()
    assert not result.ok
    assert "no-such-bucket-here" in result.message


def test_missing_key_names_it_and_leaves_no_file(s3_in_folder: S3Bucket, tmp_path: Path) -> None:
    url = r"s3://headwater-test-bucket/base/inner/missing\.txt"
    with pytest.raises(ResourceNotFoundError, match=url) as info:
        s3_in_folder.read_path("missing.txt")
    assert info.value.resource == "s3://headwater-test-bucket/base/inner/missing.txt"
    with pytest.raises(FileNotFoundError, match=url):
        s3_in_folder.read_head("missing.txt", 10)
    target = tmp_path / "a" / "b" / "missing.txt"
    with pytest.raises(ResourceNotFoundError, match=url):
        s3_in_folder.download_object_to_path("missing.txt", target)
    assert list(tmp_path.iterdir()) == []  # no file, no folders we created
    existing = tmp_path / "existing.txt"
    with pytest.raises(ResourceNotFoundError):
        s3_in_folder.download_object_to_path("missing.txt", existing)
    assert not existing.exists()
    buffer = io.BytesIO()
    with pytest.raises(ResourceNotFoundError, match=url):
        s3_in_folder.download_object_to_file_object("missing.txt", buffer)
    assert buffer.getvalue() == b""


def test_unknown_access_key_is_access_denied(
    bucket: str, moto_server: str, iam_enforced: None
) -> None:
    block = S3Bucket(
        bucket_name=bucket,
        credentials=AwsCredentials(
            aws_access_key_id="AKIANOBODY00000000",
            aws_secret_access_key="wrong-secret-value-123",
            region_name="us-east-1",
            aws_client_parameters={"endpoint_url": moto_server},
        ),
    )
    with pytest.raises(AccessDeniedError) as info:
        block.read_path("k.txt")
    assert isinstance(info.value, PermissionError)
    assert "wrong-secret-value-123" not in str(info.value)
    assert "s3://headwater-test-bucket/k.txt" in str(info.value)
    result = block.check()
    assert not result.ok
    assert "wrong-secret-value-123" not in result.message


def test_iam_user_without_permission_is_denied(
    s3: S3Bucket,
    moto_server: str,
    make_iam_user: Callable[..., tuple[str, str]],
    iam_enforced: None,
    tmp_path: Path,
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # moto >= 5.2.6 checks listing as "s3:ListObjectsV2" (AWS: "s3:ListBucket").
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:ListObjectsV2"],
                "Resource": "*",
            }
        ],
    }
    key_id, secret = make_iam_user("reader", policy)
    reader = S3Bucket(
        bucket_name=s3.bucket_name,
        credentials=AwsCredentials(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            aws_client_parameters={"endpoint_url": moto_server},
        ),
    )
    with pytest.raises(AccessDeniedError, match=r"s3://headwater-test-bucket/w\.txt") as info:
        reader.write_path("w.txt", b"no")
    assert secret not in str(info.value)
    source = tmp_path / "u.txt"
    source.write_bytes(b"u")
    with pytest.raises(PermissionError):
        reader.upload_from_path(source)
    assert reader.list_objects() == []  # what it may do, it can


def test_check_reports_the_bucket(s3_in_folder: S3Bucket) -> None:
    result = s3_in_folder.check()
    assert result.ok, result.message
    assert "headwater-test-bucket" in result.message


# -- pickling, threads, block plumbing ------------------------------------------------------


def test_pickle_round_trip_of_a_used_block(s3_in_folder: S3Bucket) -> None:
    s3_in_folder.write_path("p.txt", b"before")
    _ = s3_in_folder.transfer_config
    assert s3_in_folder.credentials._client_cache  # a client is cached
    copy = pickle.loads(pickle.dumps(s3_in_folder))
    assert copy._transfer is None
    assert copy.credentials._client_cache == {}
    assert copy.read_path("p.txt") == b"before"
    copy.write_path("q.txt", b"after")
    assert s3_in_folder.read_path("q.txt") == b"after"
    assert copy.model_dump() == s3_in_folder.model_dump()


def test_one_block_used_from_eight_threads(s3_in_folder: S3Bucket) -> None:
    barrier = threading.Barrier(8)

    def work(n: int) -> bytes:
        barrier.wait(timeout=30)
        for i in range(5):
            s3_in_folder.write_path(f"t/{n}/{i}", f"{n}-{i}".encode())
        return b"".join(s3_in_folder.read_path(f"t/{n}/{i}") for i in range(5))

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for n, got in enumerate(results):
        assert got == b"".join(f"{n}-{i}".encode() for i in range(5))
    assert len(s3_in_folder.list_paths("t")) == 40


def test_saved_block_loads_and_class_delete_still_deletes_documents(
    s3_in_folder: S3Bucket,
) -> None:
    s3_in_folder.save("data")
    loaded = S3Bucket.load("data")
    assert loaded.bucket_folder == "base/inner"
    assert loaded.storage_url == "block://s3-bucket/data"
    loaded.write_path("x", b"1")
    assert s3_in_folder.read_path("x") == b"1"
    stored = json.dumps(loaded.model_dump(mode="json"))
    assert "moto-secret-key-1234" not in stored
    S3Bucket.delete("data")  # the saved document, as for every block; objects stay
    assert [d.name for d in S3Bucket.list_documents()] == []
    assert s3_in_folder.exists("x")  # the objects are untouched


def test_recursive_delete_names_the_keys_s3_refused(
    s3: S3Bucket,
    moto_server: str,
    make_iam_user: Callable[..., tuple[str, str]],
    iam_enforced: None,
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # moto >= 5.2.6 checks listing as "s3:ListObjectsV2" (AWS: "s3:ListBucket").
                "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:ListObjectsV2"],
                "Resource": "*",
            }
        ],
    }
    key_id, secret = make_iam_user("no-delete", policy)
    writer = S3Bucket(
        bucket_name=s3.bucket_name,
        credentials=AwsCredentials(
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            aws_client_parameters={"endpoint_url": moto_server},
        ),
        bucket_folder="keep",
    )
    for path in ("dir/a.txt", "dir/b.txt"):
        writer.write_path(path, b"x")
    with pytest.raises(AwsError, match=r"keep/dir/a\.txt \(AccessDenied\)") as info:
        writer.delete_object("dir", recursive=True)
    assert isinstance(info.value, AccessDeniedError)
    assert "2 object(s) could not be deleted (0 were)" in str(info.value)
    assert secret not in str(info.value)
    with pytest.raises(AccessDeniedError, match=r"s3://headwater-test-bucket/keep/dir/b\.txt"):
        writer.delete_object("dir/b.txt")
    assert writer.list_paths() == ["dir/a.txt", "dir/b.txt"]


# -- the core's behavioural suites ---------------------------------------------------------


class TestS3BucketIsAnObjectStorage(ObjectStorageSuite):
    @pytest.fixture
    def block(self, bucket: str, aws_credentials: AwsCredentials) -> ObjectStorageBlock:
        return S3Bucket(bucket_name=bucket, credentials=aws_credentials, bucket_folder="suite")


class TestS3BucketIsAWritableFileSystem(WritableFileSystemSuite):
    @pytest.fixture
    def block(self, bucket: str, aws_credentials: AwsCredentials) -> WritableFileSystem:
        return S3Bucket(bucket_name=bucket, credentials=aws_credentials, bucket_folder="suite")
