"""Schemathesis hooks for the fuzzing stage: every request goes to the path of the user the token names.

Set here rather than as a fixed ``[parameters]`` value: Schemathesis applies fixed values after generating a
case, and its coverage phase then still judged a request whose ``user_id`` it had mutated (and the fixed value
had replaced) as invalid input that should have been refused. A ``before_call`` edit is revalidated, so each
case is judged as it is really sent. Invalid user ids are tested directly in tests/backend/test_bad_input.py.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    case.path_parameters = {**(case.path_parameters or {}), "user_id": os.environ["FUZZ_USER_ID"]}
