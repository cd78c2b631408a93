"""LambdaFunction and lambda_invoke against the moto server.

Without Docker, moto's Lambda does not run the function's code: a synchronous
invoke answers with the payload it was sent (or with the answers queued through
``/moto-api/static/lambda-simple/response``). Two behaviours only exist in
moto's Docker-backed Lambda, which the ``docker_lambda`` fixture switches on:
it checks that the function exists, and, there being no Docker engine here,
every invocation fails with ``FunctionError: Handled`` and the text
``error running docker: ...`` as its answer: a real failed invocation.
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from headwater import flow, unmapped
from headwater.testing.blocks import assert_block_conforms
from headwater_aws import (
    AccessDeniedError,
    AwsCredentials,
    JobFailedError,
    LambdaFunction,
    ResourceNotFoundError,
    lambda_invoke,
)

REGION = "us-east-1"


def _post(url: str, body: object) -> None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def make_function(aws_credentials: AwsCredentials) -> Callable[[str], str]:
    """``make_function(name)`` creates a function (version 1 published, alias ``live``)
    and returns its ARN."""
    iam = aws_credentials.get_client("iam")
    role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client = aws_credentials.get_lambda_client()

    def make(name: str) -> str:
        created = client.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            Publish=True,
        )
        client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
        return created["FunctionArn"]

    return make


@pytest.fixture
def docker_lambda(aws_env: str) -> None:
    """Use moto's Docker-backed Lambda (reset to the simple one before the next test)."""
    _post(f"{aws_env}/moto-api/config", {"lambda": {"use_docker": True}})


def queue_answers(moto_url: str, *answers: str) -> None:
    _post(
        f"{moto_url}/moto-api/static/lambda-simple/response",
        {"results": list(answers), "region": REGION},
    )


def test_invoke_sends_json_and_returns_the_decoded_answer(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("echo")
    function = LambdaFunction(function_name="echo", aws_credentials=aws_credentials)
    payload = {"order": 42, "items": ["a", "b"], "ok": True, "none": None}
    assert function.invoke(payload) == payload
    assert function.invoke([1, 2.5]) == [1, 2.5]
    assert function.invoke("text") == "text"  # sent as the JSON string "text"


def test_bytes_are_sent_as_they_are(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("echo")
    function = LambdaFunction(function_name="echo", aws_credentials=aws_credentials)
    assert function.invoke(b'{"raw": 1}') == {"raw": 1}
    assert function.invoke(b"not json at all") == "not json at all"


def test_no_payload_sends_nothing(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("echo")
    # moto answers an empty request body with its default text; "null" would echo as None
    answer = LambdaFunction(function_name="echo", aws_credentials=aws_credentials).invoke()
    assert answer == "Simple Lambda happy path OK"


def test_answers_are_decoded_as_json_else_text(
    aws_env: str, aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("canned")
    queue_answers(aws_env, '{"rows": 3}', "[1, 2]", "plain words", '"a json string"', "17")
    function = LambdaFunction(function_name="canned", aws_credentials=aws_credentials)
    assert [function.invoke({"x": i}) for i in range(5)] == [
        {"rows": 3},
        [1, 2],
        "plain words",
        "a json string",
        17,
    ]


def test_event_and_dry_run_return_none(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("echo")
    function = LambdaFunction(function_name="echo", aws_credentials=aws_credentials)
    assert function.invoke({"a": 1}, invocation_type="Event") is None
    assert function.invoke({"a": 1}, invocation_type="DryRun") is None


def test_qualifier_and_arn_and_client_context_are_accepted(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    arn = make_function("echo")
    by_alias = LambdaFunction(
        function_name="echo", qualifier="live", aws_credentials=aws_credentials
    )
    assert by_alias.invoke({"v": "alias"}, client_context={"app": "headwater"}) == {"v": "alias"}
    by_arn = LambdaFunction(function_name=arn, qualifier="1", aws_credentials=aws_credentials)
    assert by_arn.invoke({"v": "arn"}, tail=True) == {"v": "arn"}


def test_missing_function_raises_resource_not_found_naming_it(
    docker_lambda: None, aws_credentials: AwsCredentials
) -> None:
    function = LambdaFunction(function_name="no-such-function", aws_credentials=aws_credentials)
    with pytest.raises(ResourceNotFoundError, match="no-such-function") as info:
        function.invoke({"a": 1})
    assert isinstance(info.value, FileNotFoundError)
    assert "invoke Lambda function 'no-such-function'" in str(info.value)


def test_function_error_raises_job_failed_quoting_function_and_answer(
    docker_lambda: None, aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("broken")
    function = LambdaFunction(
        function_name="broken", qualifier="live", aws_credentials=aws_credentials
    )
    with pytest.raises(JobFailedError) as info:
        function.invoke({"a": 1}, tail=True)
    message = str(info.value)
    assert "Lambda function 'broken' (qualifier 'live') failed (Handled)" in message
    assert "error running docker" in message  # the function's answer, quoted
    assert info.value.code == "Handled"


def test_bad_options_are_refused_before_calling_aws(aws_credentials: AwsCredentials) -> None:
    function = LambdaFunction(function_name="echo", aws_credentials=aws_credentials)
    with pytest.raises(ValueError, match="invocation_type must be one of"):
        function.invoke(invocation_type="Later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tail=True needs"):
        function.invoke(tail=True, invocation_type="Event")
    with pytest.raises(TypeError, match="JSON-serialisable or bytes"):
        function.invoke({"when": object()})
    with pytest.raises(TypeError, match="client_context must be JSON-serialisable"):
        function.invoke({}, client_context={"s": {1, 2}})
    with pytest.raises(ValidationError):
        LambdaFunction(function_name="", aws_credentials=aws_credentials)


def test_unknown_access_key_raises_access_denied(iam_enforced: None, moto_server: str) -> None:
    stranger = AwsCredentials(
        aws_access_key_id="AKIANOSUCHKEY0000000",
        aws_secret_access_key="not-a-real-secret-key",
        region_name=REGION,
        aws_client_parameters={"endpoint_url": moto_server},
    )
    function = LambdaFunction(function_name="echo", aws_credentials=stranger)
    with pytest.raises(AccessDeniedError) as info:
        function.invoke({"a": 1})
    assert "not-a-real-secret-key" not in str(info.value)
    assert "Lambda function 'echo'" in str(info.value)


def test_user_without_permission_raises_access_denied(
    make_function: Callable[[str], str],
    make_iam_user: Callable[..., tuple[str, str]],
    moto_server: str,
    request: pytest.FixtureRequest,
) -> None:
    make_function("echo")
    key, secret = make_iam_user(
        "reader",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        },
    )
    request.getfixturevalue("iam_enforced")
    limited = AwsCredentials(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        region_name=REGION,
        aws_client_parameters={"endpoint_url": moto_server},
    )
    with pytest.raises(AccessDeniedError, match="Lambda function 'echo'"):
        LambdaFunction(function_name="echo", aws_credentials=limited).invoke({"a": 1})


def test_lambda_invoke_task_with_submit_and_map_in_a_flow(
    aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("echo")

    @flow
    def pipeline() -> tuple[object, list[object], object]:
        single = lambda_invoke.submit("echo", aws_credentials, {"n": 0}, qualifier="live")
        many = lambda_invoke.map("echo", unmapped(aws_credentials), [{"n": 1}, {"n": 2}, "three"])
        queued = lambda_invoke("echo", aws_credentials, {"n": 4}, invocation_type="Event")
        return single.result(), [f.result() for f in many], queued

    assert pipeline() == ({"n": 0}, [{"n": 1}, {"n": 2}, "three"], None)


def test_lambda_invoke_task_raises_job_failed_in_a_flow(
    docker_lambda: None, aws_credentials: AwsCredentials, make_function: Callable[[str], str]
) -> None:
    make_function("broken")

    @flow
    def pipeline() -> object:
        return lambda_invoke("broken", aws_credentials, {"a": 1})

    with pytest.raises(JobFailedError, match="'broken'"):
        pipeline()


def test_block_conforms(headwater_home: object) -> None:
    example = LambdaFunction(
        function_name="arn:aws:lambda:us-east-1:123456789012:function:etl",
        qualifier="live",
        aws_credentials=AwsCredentials(
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="lambda-conformance-secret"
        ),
    )
    assert_block_conforms(LambdaFunction, example)


def test_error_bodies_and_odd_answers_are_decoded() -> None:
    """The parts moto cannot send (Lambda's JSON error body, non-UTF-8 answers), checked on
    the decoding functions themselves: these are pure functions of the bytes AWS returns."""
    from headwater_aws.lambda_function import _decode_payload, _failure_reason

    body = b'{"errorType": "ValueError", "errorMessage": "order 42 has no lines", "trace": []}'
    assert _failure_reason(_decode_payload(body)) == "ValueError: order 42 has no lines"
    assert _failure_reason({"errorType": "Timeout"}) == "Timeout"
    assert _failure_reason(None) == "no error details were returned"
    assert _failure_reason("x" * 5000).endswith("...")
    assert len(_failure_reason("x" * 5000)) == 2003
    assert _decode_payload(b"\xff\xfe") == b"\xff\xfe"
    assert _decode_payload(b"") is None
    assert _decode_payload(b"plain text") == "plain text"
