"""IonQ: the bundle's ``ionq`` section, the ``.env`` store qiskit-ionq reads, the key check against the sandbox's
stand-in of IonQ's API, paste and upload through the service (the real qiskit-ionq is in tests/sdk/test_ionq.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest
from support.ionq import manager

from jupyter_qcred.core.bundle import dump_bundle, loads_bundle, parse_bundle
from jupyter_qcred.core.errors import FieldError
from jupyter_qcred.core.manager import CredentialManager
from jupyter_qcred.core.service import CredentialService, InputError
from jupyter_qcred.sandbox.client import Sandbox


def ionq_status(m: CredentialManager) -> dict:
    return next(s.to_json() for s in m.statuses() if s.provider == "ionq")


def test_a_v1_bundle_without_ionq_still_parses_and_dumps_without_the_section() -> None:
    bundle = parse_bundle({"version": 1, "ibm": [], "qcs": []})
    assert bundle.ionq == () and bundle.empty
    assert "ionq" not in json.loads(dump_bundle(bundle))
    with_key = parse_bundle({"version": 1, "ionq": [{"key": "k-123456789", "url": "https://api.ionq.co/v0.4"}]})
    assert loads_bundle(dump_bundle(with_key)) == with_key
    assert "k-123456789" not in repr(with_key)


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([{"key": "a"}, {"key": "b"}], "ionq[1]"),
        ([{"key": "a", "url": "ftp://x"}], "ionq[0].url"),
        ([{"key": "a", "name": "x"}], "ionq[0].name"),
        ([{}], "ionq[0].key"),
        ([{"key": 5}], "ionq[0].key"),
    ],
)
def test_bad_ionq_entries_name_the_field_and_never_the_value(entries: list, field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_bundle({"version": 1, "ionq": entries}, where="QCRED_BUNDLE")
    assert f"'{field}'" in str(caught.value) and "QCRED_BUNDLE" in str(caught.value)
    assert "ftp://x" not in str(caught.value)


def test_the_key_goes_into_dotenv_replacing_every_ionq_key_and_keeping_other_lines(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# my settings\nexport OTHER='x y'\nQISKIT_IONQ_API_TOKEN=old-key-0001\n")
    m = manager(tmp_path)
    assert m.materialize(parse_bundle({"version": 1, "ionq": [{"key": "new-key-0002"}]}), source="bundle") == [
        "ionq:default"
    ]
    text = env.read_text()
    assert text.startswith("# my settings\nexport OTHER='x y'\n")
    assert "QISKIT_IONQ_API_TOKEN=new-key-0002" in text and "old-key-0001" not in text
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    status = ionq_status(m)
    assert status["state"] == "ok" and status["token_hint"] == "…0002" and status["source"] == "file"


def test_no_key_is_one_absent_status_saying_what_to_do_and_the_environment_counts(tmp_path: Path) -> None:
    status = ionq_status(manager(tmp_path))
    assert status["state"] == "absent" and "IONQ_API_KEY" in status["error"]
    from_env = ionq_status(manager(tmp_path, IONQ_API_KEY="env-key-0003"))
    assert from_env["state"] == "ok" and from_env["source"] == "env" and from_env["file"] is None


def test_a_check_tells_accepted_or_refused_and_never_shows_the_key(
    tmp_path: Path, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = sandbox.issue_ionq_key("alice")
    m = manager(tmp_path)
    m.materialize(parse_bundle({"version": 1, "ionq": [{"key": key, "url": sandbox.ionq_url}]}), source="bundle")
    asyncio.run(m.refresh("ionq"))
    ok = ionq_status(m)
    assert ok["state"] == "ok" and ok["account"]["key_name"] == "Jupyter" and ok["account"]["project_id"]
    assert ok["expires_at"] is None and ok["next_refresh_at"] is None  # nothing to renew, nothing scheduled
    assert ["Expires", "never: a check only tells whether IonQ accepts the key now"] in ok["account"]["fields"]
    assert sandbox.log("ionq_whoami")[-1]["user"] == "alice"
    sandbox.revoke_ionq_keys("alice")
    asyncio.run(m.refresh("ionq"))
    refused = ionq_status(m)
    assert refused["state"] == "needs_reinit"
    assert refused["error"].startswith("IonQ: ") and "does not accept this API key" in refused["error"]
    assert "key_name" not in refused["account"]  # what the refused key said is forgotten
    seen = json.dumps(m.snapshot()) + "".join(r.getMessage() for r in caplog.records)
    assert key not in seen


def test_paste_and_upload_go_through_the_service_and_are_checked(tmp_path: Path, sandbox: Sandbox) -> None:
    m = manager(tmp_path)
    service = CredentialService(m)
    with pytest.raises(InputError, match="Paste your IonQ API key"):
        asyncio.run(service.add_token("ionq", {"token": "  "}))
    pasted = asyncio.run(service.add_token("ionq", {"token": sandbox.ionq_key("bob"), "url": sandbox.ionq_url}))
    assert pasted["result"]["outcome"] == "ok", pasted["result"]
    uploaded_key = sandbox.issue_ionq_key("alice")
    content = f"IONQ_API_KEY={uploaded_key}\nIONQ_API_URL={sandbox.ionq_url}\n"
    answer = asyncio.run(service.import_file("ionq", ".env", content, replace=True))
    assert answer["result"]["outcome"] == "ok" and answer["result"]["message"] == "Imported 'default' and checked."
    assert sandbox.log("ionq_whoami")[-1]["user"] == "alice"
    with pytest.raises(InputError, match=r"\(notes\.txt\) is not an IonQ credentials file: holds no IonQ key"):
        asyncio.run(service.import_file("ionq", "notes.txt", "hello world\nnothing here\n"))
