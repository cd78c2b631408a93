"""SSM Parameter Store: the ``aws-ssm://`` secret reference resolver.

The parameter's name is exactly what follows ``aws-ssm://``: ``aws-ssm:///prod/db/password``
is ``/prod/db/password`` and ``aws-ssm://db-password`` is ``db-password``. A
``#key`` selects one key of a JSON value; a version or label is selected the
way SSM does it, in the name (``aws-ssm:///prod/db/password:3``). SecureString
parameters are decrypted.
"""

from __future__ import annotations

from headwater_aws.errors import translate_errors
from headwater_aws.resolvers import (
    arn_region,
    cached_resolve,
    default_client,
    extract_json_key,
    parse_reference,
    register_secret_value,
)

__all__ = ["resolve_parameter_store_reference"]

SCHEME = "aws-ssm"


def resolve_parameter_store_reference(reference: str) -> str:
    """Resolve ``aws-ssm://<parameter name or ARN>[#json-key]`` (decrypting SecureStrings).

    Uses boto3's default credential chain; an ARN selects its region. The
    value is cached briefly (see :mod:`headwater_aws.resolvers`).
    """
    parsed = parse_reference(reference, SCHEME, what="parameter")
    if parsed.query:
        raise ValueError(
            f"{reference!r}: {SCHEME}:// references take no query; select a version or "
            f"label in the name, e.g. {SCHEME}:///prod/db/password:3"
        )
    label = f"parameter {parsed.name!r}"

    def load() -> str:
        with translate_errors("read", label):
            client = default_client("ssm", arn_region(parsed.name))
            response = client.get_parameter(Name=parsed.name, WithDecryption=True)
        value = str(response["Parameter"]["Value"])
        register_secret_value(value)
        return extract_json_key(value, parsed, what="parameter")

    return cached_resolve(reference, load)
