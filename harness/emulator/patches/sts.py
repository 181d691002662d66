"""STS: AssumeRole is refused as AWS refuses it.

moto 5.2.5 lets any caller whose identity policy allows ``sts:AssumeRole`` assume a role that does
not exist ("the role does not need to exist", ``STSBackend.assume_role``), and answers moto's
generic AccessDenied text when the role's trust policy does not name the caller.

AWS (STS API reference, AssumeRole, errors; IAM User Guide, "Troubleshooting IAM roles"): the
caller needs the identity permission *and* a trust policy that names it; when either is missing,
or the role does not exist, STS answers 403 ``AccessDenied`` "User: <caller> is not authorized to
perform: sts:AssumeRole on resource: <role arn>" — a missing role is not revealed.
(The trust-policy principal check itself is ``harness.emulator.patches.iam``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam.access_control import IAMRequestBase
from moto.iam.exceptions import NotFoundException
from werkzeug.exceptions import HTTPException

ASSUME_ROLE = "sts:AssumeRole"


def _denied(request: Any, role_arn: str) -> AccessDeniedError:
    return AccessDeniedError(
        user_arn=request._access_key.arn, action=f"{ASSUME_ROLE} on resource: {role_arn}"
    )


def _check(original: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    def check_action_permitted(self: Any, resource: str) -> None:
        if self._action != ASSUME_ROLE:
            original(self, resource)
            return
        try:
            self.backend.get_role_by_arn(resource)
        except NotFoundException:
            raise _denied(self, resource) from None
        try:
            original(self, resource)
        except HTTPException as error:
            if error.code != 403:
                raise
            raise _denied(self, resource) from error

    return check_action_permitted


@contextmanager
def assume_role_refusals() -> Iterator[None]:
    original = IAMRequestBase.check_action_permitted
    IAMRequestBase.check_action_permitted = _check(original)
    try:
        yield
    finally:
        IAMRequestBase.check_action_permitted = original
