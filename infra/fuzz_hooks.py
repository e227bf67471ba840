"""Schemathesis hooks for `make test`'s fuzz run.

cargo-lambda's local emulator answers a text-typed (e.g. JSON) body that is not valid UTF-8 with
its own 500, before any function runs. API Gateway instead base64-encodes such a body, and the
functions answer it with a 422 (tested in shared/tests/api/auth_api.rs). So that the fuzz run tests
the functions rather than the emulator, such bytes are sent as their UTF-8 replacement text, which
is still not valid JSON.
"""

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(body).decode("utf-8", "replace").encode("utf-8")
