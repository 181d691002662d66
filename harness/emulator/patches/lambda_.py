"""Lambda: Invoke runs the function in-process, as the Lambda service runs it.

moto 5.2.5 runs a function's code in a Docker container (``LambdaBackend.invoke`` and the
``awslambda_simple`` backend's, which only echoes the event), and neither is here. AWS (Lambda
Developer Guide, "Lambda execution environment", "Defining Lambda function handler in Python",
"Using the Lambda runtime environment variables") runs the handler the function's ``Handler``
names with the function's environment, the credentials of its execution role and its timeout, and
answers an unhandled error as ``X-Amz-Function-Error: Unhandled``. The invoke path of both backends
is handed to ``harness.runtime.LambdaRuntime.invoke``, which does that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend

if TYPE_CHECKING:
    from harness.runtime import LambdaRuntime

BACKENDS = (LambdaBackend, LambdaSimpleBackend)


@contextmanager
def in_process_invoke(runtime: LambdaRuntime) -> Iterator[None]:
    originals = {cls: cls.__dict__["invoke"] for cls in BACKENDS}

    def invoke(
        backend: Any, name: str, qualifier: str | None, body: Any, headers: Any, out: Any
    ) -> bytes:
        return runtime.invoke(backend.get_function(name, qualifier), body, out)

    for cls in BACKENDS:
        cls.invoke = invoke
    try:
        yield
    finally:
        for cls, method in originals.items():
            cls.invoke = method
