"""The doctor's pure parts: folder confinement, reading a probe's answer, each provider's comparison, the text, and
the environment the server hands its children."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_qcred.core import doctor
from jupyter_qcred.core.doctor import Context, Finding, Probe, format_answer, resolve_folder, sha
from jupyter_qcred.core.report import adapter_lines
from jupyter_qcred.providers.braket import doctor as braket_doctor
from jupyter_qcred.providers.ibm import doctor as ibm_doctor
from jupyter_qcred.providers.ionq import doctor as ionq_doctor
from jupyter_qcred.providers.qcs import doctor as qcs_doctor
from jupyter_qcred.server.exports import ChildEnvironment

HOME = Path("/home/ada")
GOOD, STALE = "good-key-in-home-env-5678", "stale-key-in-project-1234"


def context(entries: list[dict[str, Any]], home: Path = HOME) -> Context:
    return Context(entries, home / "proj" / "nb", {}, home)


def ionq_entry(key: str | None = GOOD) -> dict[str, Any]:
    return {"provider": "ionq", "name": "default", "state": "ok", "default": True, "token_hint": f"…{key[-4:]}"}


def resolved(origin: str | None, key: str | None, dotenv: str | None, keys: list[str] | None = None) -> dict[str, Any]:
    return {
        "dotenv": dotenv,
        "origin": origin,
        "variable": "IONQ_API_KEY" if origin else None,
        "dotenv_keys": keys if keys is not None else (["IONQ_API_KEY"] if origin == "dotenv" else []),
        "hint": f"…{key[-4:]}" if key else None,
        "sha": sha(key),
    }


# ----- folders -----------------------------------------------------------------------------------------------------


def test_a_server_relative_path_stays_under_the_root(tmp_path: Path) -> None:
    (tmp_path / "proj" / "nb").mkdir(parents=True)
    assert resolve_folder("proj/nb", root=tmp_path) == (tmp_path / "proj" / "nb").resolve()
    assert resolve_folder("", root=tmp_path) == tmp_path.resolve()
    assert resolve_folder("/proj/nb/", root=tmp_path) == (tmp_path / "proj" / "nb").resolve()  # leading slash: relative
    for escape in ("..", "proj/../..", "proj/nb/../../../etc", "..\\..\\etc"):
        with pytest.raises(ValueError, match=r"without '\.\.'"):
            resolve_folder(escape, root=tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(ValueError, match="leaves the server's root"):
        resolve_folder("link", root=tmp_path)
    with pytest.raises(ValueError, match="is not a folder"):
        resolve_folder("missing", root=tmp_path)


def test_a_local_path_defaults_to_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_folder(None) == Path.cwd()
    assert resolve_folder(str(tmp_path)) == tmp_path.resolve()


def test_home_is_shown_as_tilde() -> None:
    shown = context([]).shown
    assert shown("/home/ada/proj/.env") == "~/proj/.env"
    assert shown("/home/adam/.env") == "/home/adam/.env"
    assert shown(None) == ""


# ----- probes ------------------------------------------------------------------------------------------------------


def test_the_answer_is_the_last_marked_line() -> None:
    assert doctor.parse_output(f'noise\n{doctor.MARKER}{{"a": 1}}\nmore\n{doctor.MARKER}{{"a": 2}}\n') == {"a": 2}
    assert doctor.parse_output("no marker") is None
    assert doctor.parse_output(f"{doctor.MARKER}not json") is None
    assert doctor.parse_output(f"{doctor.MARKER}[1]") is None


def probe(code: str, **kwargs: Any) -> Probe:
    return Probe(
        provider="toy",
        sdk="toy-sdk",
        distribution="pytest",
        code=code,
        compare=lambda result, ctx: [Finding("toy", "toy-sdk", "ok", "x", str(result))],
        module="toy",
        **kwargs,
    )


def test_a_probe_runs_with_the_environment_and_folder_given(tmp_path: Path) -> None:
    code = "_out({'cwd': os.getcwd(), 'var': os.environ.get('QCRED_TEST_VAR'), **_fp('s3cret-value-abcd')})"
    answer = doctor.run_probe(probe(code), tmp_path, {"QCRED_TEST_VAR": "here", "PATH": "/usr/bin"})
    assert answer == {"cwd": str(tmp_path), "var": "here", "hint": "…abcd", "sha": sha("s3cret-value-abcd")}


def test_a_probe_that_fails_or_hangs_is_a_sentence_and_never_its_stderr(tmp_path: Path) -> None:
    answer = doctor.run_probe(probe("raise SystemExit('the-secret-in-a-traceback')"), tmp_path, {})
    assert isinstance(answer, str) and "could not be asked" in answer and "secret" not in answer
    answer = doctor.run_probe(probe("import time; time.sleep(5)", timeout=0.5), tmp_path, {})
    assert answer == "toy-sdk did not answer within 0.5 s"
    answer = doctor.run_probe(probe("pass"), tmp_path, {}, python=str(tmp_path / "no-python"))
    assert isinstance(answer, str) and answer.startswith("could not start Python")


def test_examine_skips_sdks_that_are_not_installed(tmp_path: Path) -> None:
    absent = Probe("toy", "toy-sdk", "no-such-distribution-qcred", "_out({})", lambda r, c: [], module="x")
    assert doctor.examine([absent], [], tmp_path, {}, home=tmp_path) == []
    findings = doctor.examine([probe("_out({'error': 'KeyError'})")], [], tmp_path, {}, home=tmp_path)
    assert [(f.state, f.sdk.split()[0]) for f in findings] == [("error", "toy-sdk")]
    assert "KeyError" in findings[0].message and findings[0].fix is not None


# ----- IonQ ----------------------------------------------------------------------------------------------------------


def ionq(result: dict[str, Any], entries: list[dict[str, Any]] | None = None, stored: str | None = GOOD) -> Any:
    entries = [ionq_entry(stored)] if entries is None and stored else (entries or [])
    findings = ionq_doctor.compare_answer(
        result, context(entries), (lambda: (sha(stored), f"…{stored[-4:]}")) if stored else None, "/home/ada/.env"
    )
    return {f.mode: f for f in findings}


def test_ionq_a_project_env_with_another_key_differs_and_says_what_to_do() -> None:
    found = ionq(
        {
            "notebook": resolved("dotenv", STALE, "/home/ada/proj/.env"),
            "script": resolved("env", GOOD, None),
        }
    )
    notebook = found["notebook"]
    assert notebook.state == "differs"
    assert notebook.where == "~/proj/.env" and notebook.variable == "IONQ_API_KEY"
    assert "~/proj/.env sets IONQ_API_KEY, which notebooks in this folder use instead of the key shown here" in (
        notebook.message
    )
    assert notebook.fix == "Remove IONQ_API_KEY from ~/proj/.env or update it (or paste that key into the panel)."
    assert (notebook.fingerprint, notebook.panel) == ("…1234", "…5678")
    assert found["script"].state == "ok" and "from the environment" in found["script"].uses


def test_ionq_the_same_key_anywhere_agrees() -> None:
    found = ionq({"notebook": resolved("dotenv", GOOD, "/home/ada/.env"), "script": resolved("env", GOOD, None)})
    assert {mode: f.state for mode, f in found.items()} == {"notebook": "ok", "script": "ok"}


def test_ionq_same_last_four_but_another_key_still_differs() -> None:
    other = "another-key-ending-5678"
    found = ionq({"notebook": resolved("dotenv", other, "/home/ada/proj/.env"), "script": resolved(None, None, None)})
    assert found["notebook"].state == "differs"


def test_ionq_a_keyless_env_hides_home_env_from_notebooks() -> None:
    found = ionq(
        {
            "notebook": resolved(None, None, "/home/ada/proj/.env", keys=[]),
            "script": resolved(None, None, None),
        }
    )
    assert found["notebook"].state == "differs"
    assert "~/proj/.env holds no IonQ key but hides every .env above it" in found["notebook"].message
    # A script that finds no key is told how to get one; it would send nothing wrong.
    assert found["script"].state == "none" and "IONQ_API_KEY" in (found["script"].fix or "")


def test_ionq_an_environment_variable_that_differs() -> None:
    found = ionq({"notebook": resolved("env", STALE, None), "script": resolved("env", STALE, None)})
    assert found["script"].state == "differs"
    assert (
        found["script"].fix == "Unset IONQ_API_KEY or set it to the key shown here (or paste that key into the panel)."
    )


def test_ionq_nothing_anywhere_is_none() -> None:
    found = ionq({"notebook": resolved(None, None, None), "script": resolved(None, None, None)}, stored=None)
    assert {f.state for f in found.values()} == {"none"}


# ----- the other providers -------------------------------------------------------------------------------------------


def ibm_entry(name: str, token: str, default: bool) -> dict[str, Any]:
    return {"provider": "ibm", "name": name, "state": "ok", "default": default, "token_hint": f"…{token[-4:]}"}


def test_ibm_qiskit_ibm_token_beats_the_saved_default() -> None:
    entries = [ibm_entry("main", GOOD, True)]
    [found] = ibm_doctor.compare({"origin": "env", "hint": "…1234", "channel": "ibm_cloud"}, context(entries))
    assert found.state == "differs" and found.variable == "QISKIT_IBM_TOKEN" and "Unset QISKIT_IBM_TOKEN" in found.fix
    [found] = ibm_doctor.compare(
        {"origin": "file", "name": "main", "hint": "…5678", "file": "/home/ada/.qiskit/qiskit-ibm.json"},
        context(entries),
    )
    assert found.state == "ok" and found.where == "~/.qiskit/qiskit-ibm.json"
    [found] = ibm_doctor.compare(
        {"origin": "file", "name": "other", "hint": "…9999", "channel_variable": "ibm_cloud"},
        context([*entries, ibm_entry("other", "x-9999", False)]),
    )
    assert found.state == "differs" and "QISKIT_IBM_CHANNEL=ibm_cloud" in found.message


def test_qcs_a_profile_variable_that_picks_another_profile() -> None:
    entries = [
        {"provider": "qcs", "name": "default", "state": "ok", "default": True, "account": {"handoff": "command"}},
        {"provider": "qcs", "name": "other", "state": "ok", "default": False, "account": {}},
    ]
    result = {
        "profile": "other",
        "profile_variable": "other",
        "credential": "other",
        "common": {"version": "0.27.0", "loaded": True},
    }
    [found] = qcs_doctor.compare(result, context(entries))
    assert found.state == "differs" and found.variable == "QCS_PROFILE_NAME"
    result = {"profile": "default", "credential": "default", "pyquil": {"version": "4.22.0", "adapted": False}}
    [found] = qcs_doctor.compare(result, context(entries))
    assert found.state == "differs" and "adapter is not acting" in found.message
    result["pyquil"] = {"version": "4.22.0", "adapted": True, "adapter": "active"}
    [found] = qcs_doctor.compare(result, context(entries))
    assert found.state == "ok" and "through jupyter_qcred's adapter" in found.message


def test_braket_keys_in_the_environment_beat_our_profile() -> None:
    entries = [
        {
            "provider": "braket",
            "name": "default",
            "state": "ok",
            "default": True,
            "token_hint": "…abcd",
            "account": {"token_file": "/home/ada/.aws/qcred/default.token"},
        }
    ]
    [found] = braket_doctor.compare({"profile": "default", "method": "env"}, context(entries))
    assert found.state == "differs" and "AWS_ACCESS_KEY_ID" in found.fix
    result = {
        "profile": "default",
        "method": "assume-role-with-web-identity",
        "where": "/home/ada/.aws/qcred/default.token",
        "hint": "…abcd",
    }
    [found] = braket_doctor.compare(result, context(entries))
    assert found.state == "ok"


# ----- the text ------------------------------------------------------------------------------------------------------


def test_the_text_names_what_differs_and_the_adapters_not_acting() -> None:
    findings = ionq(
        {"notebook": resolved("dotenv", STALE, "/home/ada/proj/.env"), "script": resolved("env", GOOD, None)}
    )
    adapters = [
        {"name": "pyquil", "sdk": "pyquil 4", "state": "off", "message": "Switched off."},
        {"name": "qnexus", "sdk": "qnexus", "state": "active", "message": "Asks jupyter_qcred."},
        {"name": "x", "sdk": "x", "state": "absent", "message": "Not installed."},
    ]
    result = doctor.answer(list(findings.values()), HOME / "proj" / "nb", adapters, HOME)
    assert result["ok"] is False and result["shown_path"] == "~/proj/nb"
    text = format_answer(result)
    assert "(notebook): DIFFERS. ~/proj/.env sets IONQ_API_KEY" in text
    assert "What to do: Remove IONQ_API_KEY from ~/proj/.env" in text
    assert adapter_lines(adapters) == ["pyquil 4 adapter off: Switched off."]
    assert "pyquil 4 adapter off" in text and "qnexus adapter" not in text
    assert STALE not in text and GOOD not in text


# ----- the server's children ---------------------------------------------------------------------------------------


class Offering:
    def __init__(self, value: str | None) -> None:
        self.value = value

    def exported_environment(self) -> list[tuple[tuple[str, ...], str, str | None]]:
        return [(("QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN"), "IONQ_API_KEY", self.value)]


def test_the_key_is_exported_kept_current_and_withdrawn() -> None:
    target: dict[str, str] = {}
    provider = Offering("k1")
    children = ChildEnvironment([provider, object()], {}, target)
    assert children.apply() == ["IONQ_API_KEY"] and target == {"IONQ_API_KEY": "k1"}
    assert children.apply() == []
    provider.value = "k2"
    children.on_status({})
    assert target == {"IONQ_API_KEY": "k2"}
    provider.value = None
    assert children.apply() == ["IONQ_API_KEY"] and target == {}
    provider.value = "k3"
    children.apply()
    children.withdraw()
    assert target == {}


@pytest.mark.parametrize("variable", ["QISKIT_IONQ_API_TOKEN", "IONQ_API_KEY", "IONQ_API_TOKEN"])
def test_a_key_the_user_set_is_never_overridden(variable: str) -> None:
    target = {variable: "mine"}
    children = ChildEnvironment([Offering("ours")], dict(target), target)
    assert children.apply() == [] and target == {variable: "mine"}


def test_the_python_of_the_probes_is_this_one() -> None:
    assert doctor.run_probe.__defaults__ == (sys.executable,)


def test_a_memo_reuses_answers_that_do_not_depend_on_the_folder(tmp_path: Path) -> None:
    """The panel's calls: an SDK that does not look at the folder is asked once while the environment and the status
    entries stay the same; IonQ's (which looks at the folder) every time."""
    runs = tmp_path / "runs"
    code = f"open({str(runs)!r}, 'a').write('x'); _out({{'ok': True}})"
    steady, folder = probe(code), probe(code, uses_folder=True)
    memo = doctor.Memo(ttl=60)
    entries = [{"provider": "toy", "name": "a", "token_hint": "…1111"}]
    for _ in range(2):
        doctor.examine([steady], entries, tmp_path, {"A": "1"}, home=tmp_path, memo=memo)
    assert runs.read_text() == "x"
    doctor.examine([steady], entries, tmp_path, {"A": "2"}, home=tmp_path, memo=memo)  # another environment
    doctor.examine([steady], [{**entries[0], "token_hint": "…2222"}], tmp_path, {"A": "2"}, home=tmp_path, memo=memo)
    assert runs.read_text() == "xxx"
    for _ in range(2):
        doctor.examine([folder], entries, tmp_path, {"A": "2"}, home=tmp_path, memo=memo)
    assert runs.read_text() == "xxxxx"


def test_percent_qcred_status_prints_the_adapter_lines_too() -> None:
    from jupyter_qcred.notebook.status import Status

    text = repr(
        Status(
            providers=[],
            adapters=[{"name": "qnexus", "sdk": "qnexus", "state": "unsupported", "message": "Left alone."}],
        )
    )
    assert text.endswith("qnexus adapter unsupported: Left alone.")


def test_code_lying_in_the_folder_is_never_run(tmp_path: Path) -> None:
    """The panel asks about every folder the file browser opens: a module file there must not shadow one the probe
    imports (``python -c`` would put the folder first on ``sys.path``)."""
    marker = tmp_path / "ran"
    for name in ("json", "hashlib", "dotenv", "qiskit_ionq"):
        (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write({name!r})\n")
    answer = doctor.run_probe(probe("import dotenv\n_out({'cwd': os.getcwd()})"), tmp_path, dict(os.environ))
    assert answer == {"cwd": str(tmp_path)}
    assert not marker.exists()
