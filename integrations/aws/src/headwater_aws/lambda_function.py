"""``LambdaFunction``: invoke an AWS Lambda function, and the :func:`lambda_invoke` task.

The payload is sent as JSON (``bytes`` go as they are) and the function's
answer comes back decoded: JSON becomes Python values, anything else text, or
``bytes`` when it is not UTF-8. A function that raised an error (the response
carries ``FunctionError``) becomes a :class:`~headwater_aws.errors.JobFailedError`
quoting the error type and message the function returned. With ``tail=True``
the last 4 KB of the invocation's log are written to the run logger.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal, get_args

from pydantic import Field

from headwater import task
from headwater.blocks import Block
from headwater_aws.credentials import AwsCredentials
from headwater_aws.errors import AwsError, JobFailedError, translate_errors

__all__ = ["InvocationType", "LambdaFunction", "lambda_invoke"]

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
"""How Lambda runs the function: wait for its answer, queue it, or only check the call."""

_EXPECTED_STATUS = {"RequestResponse": 200, "Event": 202, "DryRun": 204}
_MAX_QUOTED = 2000
"""At most this many characters of a failed function's answer go into the error message."""


def _encode_payload(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray | memoryview):
        return bytes(payload)
    try:
        return json.dumps(payload).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the Lambda payload must be JSON-serialisable or bytes: {exc}") from None


def _decode_payload(raw: bytes) -> Any:
    """JSON as Python values, other UTF-8 as text, anything else as bytes; None when empty."""
    if not raw:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    try:
        return json.loads(text)
    except ValueError:
        return text


def _failure_reason(answer: Any) -> str:
    """What a failed function said: ``errorType: errorMessage`` when it answered in
    Lambda's error format, else (the start of) its raw answer."""
    if isinstance(answer, dict) and ("errorType" in answer or "errorMessage" in answer):
        error_type = str(answer.get("errorType") or "Error")
        message = str(answer.get("errorMessage") or "").strip()
        return f"{error_type}: {message}" if message else error_type
    if answer is None:
        return "no error details were returned"
    text = answer if isinstance(answer, str) else repr(answer)
    return text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "..."


class LambdaFunction(Block):
    """An AWS Lambda function (optionally a version or alias of it) to invoke.

    :meth:`invoke` sends a JSON payload and returns the function's decoded
    answer, or raises :class:`~headwater_aws.JobFailedError` with the error the
    function reported.

    Example:
        ```python
        from headwater_aws import LambdaFunction

        function = LambdaFunction.load("BLOCK_NAME")
        answer = function.invoke({"order_id": 42})
        function.invoke({"order_id": 43}, invocation_type="Event")
        ```
    """

    _block_schema_version = 1

    function_name: str = Field(
        min_length=1, description="Name, partial ARN or full ARN of the function."
    )
    qualifier: str | None = Field(
        default=None, description="Version or alias to invoke (default: $LATEST)."
    )
    aws_credentials: AwsCredentials = Field(
        default_factory=AwsCredentials, description="How to reach AWS."
    )

    def _label(self) -> str:
        label = f"Lambda function {self.function_name!r}"
        return f"{label} (qualifier {self.qualifier!r})" if self.qualifier else label

    def invoke(
        self,
        payload: Any = None,
        *,
        invocation_type: InvocationType = "RequestResponse",
        tail: bool = False,
        client_context: dict[str, Any] | None = None,
    ) -> Any:
        """Invoke the function; its decoded answer (``None`` for ``"Event"`` and ``"DryRun"``).

        ``payload`` is JSON-encoded unless it is ``bytes``; ``None`` sends no
        payload. ``invocation_type="Event"`` queues the invocation and returns
        at once; ``"DryRun"`` only checks that the call would be allowed.
        ``tail=True`` (synchronous invocations only) logs the end of the
        invocation's log to the run logger. ``client_context`` is passed to the
        function as its client context (a JSON object).

        Raises :class:`~headwater_aws.JobFailedError` when the function failed,
        :class:`~headwater_aws.ResourceNotFoundError` when it does not exist.
        """
        if invocation_type not in _EXPECTED_STATUS:
            raise ValueError(
                f"invocation_type must be one of {', '.join(get_args(InvocationType))}, "
                f"not {invocation_type!r}"
            )
        if tail and invocation_type != "RequestResponse":
            raise ValueError("tail=True needs invocation_type='RequestResponse'")
        kwargs: dict[str, Any] = {
            "FunctionName": self.function_name,
            "InvocationType": invocation_type,
        }
        if payload is not None:
            kwargs["Payload"] = _encode_payload(payload)
        if self.qualifier:
            kwargs["Qualifier"] = self.qualifier
        if tail:
            kwargs["LogType"] = "Tail"
        if client_context is not None:
            try:
                context = json.dumps(client_context).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise TypeError(f"client_context must be JSON-serialisable: {exc}") from None
            kwargs["ClientContext"] = base64.b64encode(context).decode("ascii")

        label = self._label()
        with translate_errors("invoke", label):
            response = self.aws_credentials.get_lambda_client().invoke(**kwargs)
            raw = response["Payload"].read()
        status = response.get("StatusCode")
        if tail:
            self._log_tail(response.get("LogResult"))
        function_error = response.get("FunctionError")
        if function_error:
            reason = _failure_reason(_decode_payload(raw))
            raise JobFailedError(
                f"{label} failed ({function_error}): {reason}",
                code=str(function_error),
                resource=label,
            )
        expected = _EXPECTED_STATUS[invocation_type]
        if status != expected:
            raise AwsError(
                f"invoke {label}: AWS answered HTTP {status} to a {invocation_type} "
                f"invocation (expected {expected})",
                code=str(status),
                resource=label,
            )
        if invocation_type != "RequestResponse":
            return None
        return _decode_payload(raw)

    def _log_tail(self, log_result: str | None) -> None:
        if not log_result:
            return
        try:
            text = base64.b64decode(log_result).decode("utf-8", errors="replace")
        except ValueError:
            return
        logger = self.logger
        for line in text.splitlines():
            if line.strip():
                logger.info("[%s] %s", self.function_name, line)


@task
def lambda_invoke(
    function_name: str,
    aws_credentials: AwsCredentials,
    payload: Any = None,
    *,
    qualifier: str | None = None,
    invocation_type: InvocationType = "RequestResponse",
) -> Any:
    """Invoke a Lambda function and return its decoded answer (see :meth:`LambdaFunction.invoke`)."""
    function = LambdaFunction(
        function_name=function_name, qualifier=qualifier, aws_credentials=aws_credentials
    )
    return function.invoke(payload, invocation_type=invocation_type)
