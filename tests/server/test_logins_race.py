"""Device logins started all at once against a slow identity provider, and what it answers (issue 20, items 5, 12).

- 30 starts of different profiles at the same moment, while the identity provider takes a second to answer: 3 wait
  for a browser, the others are told that 3 are waiting; the identity provider is asked 3 times, not 30.
- 30 starts of the same profile at the same moment: one login, one request, the same code for all.
- a user code with markup (any provider's identity provider) fails the login before anything is shown.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support.server_fixtures import jp_server_config  # noqa: F401 - a server with the extension

pytestmark = pytest.mark.timeout(120)


async def pending(api: Any) -> list[dict[str, Any]]:
    _, status = await api("status")
    return [login for login in status["logins"] if login["state"] == "pending"]


@pytest.mark.slow
async def test_thirty_logins_of_different_profiles_at_once_leave_three_waiting(api: Any, sandbox: Any) -> None:
    sandbox.configure(device_interval=5)
    sandbox.fault("qcs_device", "delay", delay=1.0)
    sandbox.clear_log()
    answers = await asyncio.gather(
        *(api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": f"p{i}"}) for i in range(30))
    )
    codes = sorted(code for code, _ in answers)
    assert codes == [200] * 3 + [429] * 27, codes
    busy = [answer for code, answer in answers if code == 429]
    assert all("logins are already waiting for a browser sign-in" in answer["message"] for answer in busy)
    assert len(sandbox.log("qcs_device")) == 3
    assert len(await pending(api)) == 3


@pytest.mark.slow
async def test_thirty_logins_of_one_profile_at_once_are_one_login(api: Any, sandbox: Any) -> None:
    sandbox.configure(device_interval=5)
    sandbox.fault("qcs_device", "delay", delay=1.0)
    sandbox.clear_log()
    answers = await asyncio.gather(
        *(api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "default"}) for _ in range(30))
    )
    assert {code for code, _ in answers} == {200}
    assert len({answer["login"]["id"] for _, answer in answers}) == 1
    assert len({answer["login"]["user_code"] for _, answer in answers}) == 1
    assert len(sandbox.log("qcs_device")) == 1
    assert len(await pending(api)) == 1


@pytest.mark.parametrize("code", ['<img src=x onerror="alert(1)">', "ABCD\nEFGH", "x" * 200])
async def test_a_user_code_that_is_not_a_plain_code_fails_the_login(api: Any, sandbox: Any, code: str) -> None:
    sandbox.configure(device_user_code=code)
    status_code, answer = await api("reinitialize", "POST", {"source": "device", "provider": "qcs", "profile": "x"})
    assert status_code == 502, answer
    assert "a code that is not letters and digits, so the login was not started" in answer["message"]
    assert code not in answer["message"]
    _, status = await api("status")
    assert status["logins"] == []
