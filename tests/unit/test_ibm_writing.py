"""qiskitrc and qiskit-ibm.json: lossless, atomic, private, strict, and readable by the real SDK."""

from __future__ import annotations

import json
import os
import stat
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.ibm import (
    API_KEY,
    FOREIGN_JSON,
    LEGACY_STATE,
    LEGACY_TOKEN,
    LEGACY_TOKEN_2,
    json_path,
    legacy_spec,
    platform_spec,
    provider,
    rc_path,
)

from jupyter_qcred.core.bundle import IbmAccountSpec
from jupyter_qcred.core.errors import FieldError, FileFormatError, QCredError
from jupyter_qcred.core.states import State
from jupyter_qcred.providers.ibm.accounts_json import dumps_accounts, parse_accounts, saved_format
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, Credentials, HubGroupProject
from jupyter_qcred.providers.ibm.qiskitrc import RcDocument, parse_qiskitrc, section_name, section_values

# -- qiskitrc: the original's defects, fixed ---------------------------------------------------------------


def test_verify_false_and_proxies_survive_a_round_trip(tmp_path: Path) -> None:
    proxies = {"urls": {"https": "http://proxy.example:3128"}, "username_ntlm": "u", "password_ntlm": "p"}
    ibm = provider(tmp_path)
    ibm.materialize([legacy_spec(verify=False, proxies=proxies)], source="bundle")
    text = rc_path(tmp_path).read_text()
    assert "verify = False" in text  # the original dropped it
    rc = parse_qiskitrc(text, rc_path(tmp_path))
    (entry,) = rc.entries
    assert entry.section == "ibmq"
    assert entry.credentials.verify is False
    assert entry.credentials.proxies == proxies
    assert entry.credentials.token == LEGACY_TOKEN
    assert entry.credentials.default_provider == HubGroupProject("ibm-q", "open", "main")
    assert entry.credentials.base_url == QX_AUTH_URL


def test_two_hub_sections_stay_two(tmp_path: Path) -> None:
    """Written like the original (``/Network/`` URLs), read back as two accounts, not collapsed into one."""
    original = (
        "[ibmq_h1_g1_p1]\n"
        f"token = {LEGACY_TOKEN}\n"
        f"url = {QX_AUTH_URL}/Network/h1/Groups/g1/Projects/p1\n\n"
        "[ibmq_h2_g2_p2]\n"
        f"token = {LEGACY_TOKEN_2}\n"
        f"url = {QX_AUTH_URL}/Hubs/h2/Groups/g2/Projects/p2\n"
    )
    rc = parse_qiskitrc(original, Path("qiskitrc"))
    assert [e.credentials.unique_id().to_stored_format() for e in rc.entries] == ["h1/g1/p1", "h2/g2/p2"]
    assert len({e.credentials.unique_id() for e in rc.entries}) == 2

    # and our own writes of two hub-specific accounts give two sections that read back as two accounts
    ibm = provider(tmp_path)
    ibm.materialize(
        [
            legacy_spec(name="a", default=True),
            legacy_spec(name="b", token=LEGACY_TOKEN_2, hub="h2", group="g2", project="p2"),
        ],
        source="bundle",
    )
    rc = parse_qiskitrc(rc_path(tmp_path).read_text(), rc_path(tmp_path))
    assert [e.section for e in rc.entries] == ["ibmq", "ibmq_h2_g2_p2"]
    assert "/Network/h2/Groups/g2/Projects/p2" in rc_path(tmp_path).read_text()
    names = {s.name for s in ibm.read()}
    assert names == {"a", "b"}  # each legacy account once: JSON and qiskitrc entries are deduplicated


@pytest.mark.parametrize(
    "value",
    ["{'urls': {'https': 'http://p:1'}", "not a literal", "__import__('os')", "['a list']", "{'urls': 'x'}"],
)
def test_bad_proxies_is_a_clear_error_naming_file_and_section(tmp_path: Path, value: str) -> None:
    path = rc_path(tmp_path)
    path.parent.mkdir()
    content = f"# keep me\n[ibmq]\ntoken = {LEGACY_TOKEN}\nurl = {QX_AUTH_URL}\nproxies = {value}\n"
    path.write_text(content)
    with pytest.raises(FileFormatError) as caught:
        parse_qiskitrc(content, path)
    message = str(caught.value)
    assert str(path) in message
    assert "[ibmq]" in message
    assert "proxies" in message
    assert "line 5" in message
    assert LEGACY_TOKEN not in message
    assert not isinstance(caught.value, SyntaxError)

    ibm = provider(tmp_path)
    (status,) = ibm.read()
    assert status.state is State.ERROR
    assert status.name == "qiskitrc"
    assert str(path) in (status.error or "")
    with pytest.raises(FileFormatError):
        ibm.materialize([legacy_spec()], source="bundle")
    assert path.read_text() == content  # nothing written
    assert not json_path(tmp_path).exists()  # not even the other file: both are checked before either is written


def test_reinit_backs_up_a_broken_file_then_replaces_it(tmp_path: Path) -> None:
    path = rc_path(tmp_path)
    path.parent.mkdir()
    broken = "[ibmq]\ntoken abc without equals\n"
    path.write_text(broken)
    ibm = provider(tmp_path)
    ibm.materialize([legacy_spec()], source="bundle", reinit=True)
    backups = list(path.parent.glob("qiskitrc.broken-*"))
    assert len(backups) == 1
    assert backups[0].read_text() == broken
    assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
    assert parse_qiskitrc(path.read_text(), path).entries[0].credentials.token == LEGACY_TOKEN


def test_files_are_private_and_replaced_atomically(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    ibm.materialize([legacy_spec(), platform_spec()], source="bundle")
    folder = tmp_path / ".qiskit"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (rc_path(tmp_path), json_path(tmp_path)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    inodes = {p: p.stat().st_ino for p in (rc_path(tmp_path), json_path(tmp_path))}
    ibm.materialize([legacy_spec(token=LEGACY_TOKEN_2), platform_spec(token=API_KEY + "x")], source="bundle")
    for path, inode in inodes.items():
        assert path.stat().st_ino != inode  # a new file renamed over the old one, never rewritten in place
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_existing_loose_permissions_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / ".qiskit"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    (folder / "qiskit-ibm.json").write_text("{}")
    os.chmod(folder / "qiskit-ibm.json", 0o644)
    provider(tmp_path).materialize([platform_spec()], source="bundle")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / "qiskit-ibm.json").stat().st_mode) == 0o600


# -- qiskitrc: what we do not own survives -----------------------------------------------------------------

RC_WITH_FOREIGN = (
    "# qiskitrc maintained by hand: do not lose this comment\n"
    "; and this one\n"
    "[tool.settings]\n"
    "colour = blue\n"
    "Mixed_Case = Kept\n"
    "\n"
    "[ibmq]\n"
    "# the token below is rotated by the hub\n"
    "token = old-token-0000000000000000\n"
    f"url = {QX_AUTH_URL}\n"
    "websockets_url = wss://old.example/ws\n"
    "custom_key = stays\n"
    "verify = True\n"
    "\n"
    "[ibmq.preferences]\n"
    "ibm-q/open/main,experiment,auto_save = true\n"
    "\n"
    "# trailing comment of the file\n"
)


def test_comments_foreign_sections_and_unknown_keys_survive_our_write(tmp_path: Path) -> None:
    path = rc_path(tmp_path)
    path.parent.mkdir()
    path.write_text(RC_WITH_FOREIGN)
    provider(tmp_path).materialize([legacy_spec(verify=False)], source="bundle")
    after = path.read_text()
    for line in RC_WITH_FOREIGN.splitlines():
        if line.startswith(("token", "verify")):
            continue
        assert line in after.splitlines(), line
    assert after.startswith(RC_WITH_FOREIGN.split("[ibmq]\n")[0])  # preamble and foreign section byte for byte
    assert "old-token" not in after
    assert f"token = {LEGACY_TOKEN}" in after
    assert "verify = False" in after
    assert "default_provider = ibm-q/open/main" in after
    rc = parse_qiskitrc(after, path)
    assert rc.document.values("tool.settings") == {"colour": "blue", "Mixed_Case": "Kept"}
    (entry,) = rc.entries
    assert entry.extra == {"custom_key": "stays"}
    assert entry.credentials.websockets_url == "wss://old.example/ws"
    assert rc.preferences == {HubGroupProject("ibm-q", "open", "main"): {"experiment": {"auto_save": True}}}
    assert entry.credentials.preferences == {"experiment": {"auto_save": True}}


@pytest.mark.parametrize(
    ("content", "fragment", "line"),
    [
        ("token = x\n[ibmq]\n", "before the first [section]", 1),
        ("[ibmq]\ntoken = a\n[ibmq]\ntoken = b\n", "section [ibmq] twice", 3),
        ("[ibmq]\ntoken = a\ntoken = b\n", "'token' twice", 3),
        ("[ibmq]\nurl = https://x/api\n", "has no 'token'", 1),
        (f"[ibmq]\ntoken = {LEGACY_TOKEN}\nurl = https://x/api\nverify = maybe\n", "'verify' must be true or false", 4),
        (f"[ibmq]\ntoken = {LEGACY_TOKEN}\nurl = https://x/api\ndefault_provider = a/b\n", "hub/group/project", 4),
        (f"[ibmq]\n{LEGACY_TOKEN}\n", "not a valid INI file", 2),
    ],
)
def test_broken_qiskitrc_messages_name_the_file_and_never_the_token(
    tmp_path: Path, content: str, fragment: str, line: int | None
) -> None:
    path = tmp_path / "qiskitrc"
    with pytest.raises(FileFormatError) as caught:
        parse_qiskitrc(content, path)
    message = str(caught.value)
    assert fragment in message
    assert str(path) in message
    assert caught.value.line == line
    assert LEGACY_TOKEN not in message


def test_values_that_cannot_be_stored_are_refused_before_writing(tmp_path: Path) -> None:
    document = RcDocument("", tmp_path / "qiskitrc")
    for bad in ["two\nlines", " padded", ""]:
        with pytest.raises(FieldError) as caught:
            document.set_section("ibmq", {"token": bad, "url": QX_AUTH_URL})
        assert "token" in str(caught.value)
    assert document.text == ""


# -- qiskit-ibm.json ---------------------------------------------------------------------------------------


def test_json_unknown_fields_other_accounts_and_legacy_entries_are_kept(tmp_path: Path) -> None:
    path = json_path(tmp_path)
    path.parent.mkdir()
    path.write_text(json.dumps(FOREIGN_JSON, indent=2))
    provider(tmp_path).materialize([platform_spec(default=True)], source="bundle")
    data = json.loads(path.read_text())
    assert data["default-ibm-quantum"] == FOREIGN_JSON["default-ibm-quantum"]
    expected_team = {k: v for k, v in FOREIGN_JSON["team-cloud"].items() if k != "is_default_account"}
    assert data["team-cloud"] == expected_team  # only the default flag moved
    assert data["default-ibm-quantum-platform"]["is_default_account"] is True


@pytest.mark.parametrize(
    ("content", "fragment", "line"),
    [
        ('{"a": {"channel": "ibm_cloud",}}', "is not valid JSON", 1),
        ('{\n  "a": {"channel": "ibm_cloud", "token": "t"\n', "is not valid JSON", None),
        ("[1, 2]", "must hold a JSON object", 1),
        ('{\n"a": {"token": "t"}}', "account 'a' has no 'channel'", 2),
        ('{\n"a": 3}', "account 'a' must be an object", 2),
        ('{"a": {"channel": "ibm_cloud", "verify": "yes"}}', "field 'verify' must be true or false", 1),
        ('{"a": {"channel": "ibm_cloud", "tags": ["x", 1]}}', "field 'tags' must be a list of strings", 1),
        ('{"a": {"channel": "ibm_cloud", "token": 12}}', "field 'token' must be a string", 1),
        ('{"a": {"channel": "ibm_cloud", "proxies": {"socks": 1}}}', "field 'proxies' may only hold", 1),
    ],
)
def test_broken_json_is_reported_and_left_alone(tmp_path: Path, content: str, fragment: str, line: int | None) -> None:
    path = json_path(tmp_path)
    path.parent.mkdir()
    path.write_text(content)
    with pytest.raises(FileFormatError) as caught:
        parse_accounts(content, path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)
    if line is not None:
        assert caught.value.line == line
    ibm = provider(tmp_path)
    (status,) = ibm.read()
    assert status.state is State.ERROR
    assert status.file == path
    assert fragment in (status.error or "")
    with pytest.raises(FileFormatError):
        ibm.materialize([platform_spec()], source="bundle")
    with pytest.raises(FileFormatError):
        ibm.import_file("qiskit-ibm.json", json.dumps({"x": {"channel": "ibm_cloud", "token": API_KEY}}))
    assert path.read_text() == content


def test_bundle_values_the_sdk_would_reject_are_field_errors() -> None:
    with pytest.raises(FieldError, match="region"):
        saved_format(platform_spec(region="mars"))
    with pytest.raises(FieldError, match=r"proxies\.socks"):
        saved_format(platform_spec(proxies={"socks": "x"}))
    with pytest.raises(FieldError, match=r"proxies\.urls"):
        saved_format(platform_spec(proxies={"urls": "http://x"}))


# -- hypothesis round-trips --------------------------------------------------------------------------------

line_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\n\r"), min_size=1, max_size=40
).filter(lambda s: s == s.strip() and s != "")
name_part = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%#;=:", min_size=1, max_size=12)
host = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,5}){1,2}", fullmatch=True)
proxies_strategy = st.none() | st.fixed_dictionaries(
    {"urls": st.dictionaries(st.sampled_from(["http", "https", "https://host.example"]), line_text, max_size=2)},
    optional={"username_ntlm": line_text, "password_ntlm": line_text},
)
PREAMBLES = [
    "",
    "# hello\n",
    "[other]\nkey = value\n\n; note\n",
    RC_WITH_FOREIGN,
    "[ibmq]\ntoken = x\nurl = y\nextra = 1",
]


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    token=line_text,
    url_host=host,
    hgp=st.none() | st.tuples(name_part, name_part, name_part),
    verify=st.booleans(),
    proxies=proxies_strategy,
    hub_specific=st.booleans(),
    preamble=st.sampled_from(PREAMBLES),
)
def test_qiskitrc_round_trip(
    token: str,
    url_host: str,
    hgp: tuple[str, str, str] | None,
    verify: bool,
    proxies: dict[str, Any] | None,
    hub_specific: bool,
    preamble: str,
) -> None:
    url = f"https://{url_host}/api"
    hub, group, project = hgp or (None, None, None)
    creds = Credentials(token, url, hub=hub, group=group, project=project, proxies=proxies, verify=verify)
    document = RcDocument(preamble, Path("qiskitrc"))
    before = {name: document.values(name) for name in document.sections()}
    section = section_name(creds, hub_specific)
    document.set_section(section, section_values(creds, hub_specific=hub_specific))
    rc = parse_qiskitrc(document.text, Path("qiskitrc"))
    entry = rc.entry(section)
    assert entry is not None
    back = entry.credentials
    assert (back.token, back.base_url, back.verify) == (token, url, verify)
    assert back.proxies == (proxies or {})
    assert entry.instance == (HubGroupProject(*hgp) if hgp else None)
    for name, values in before.items():
        if name != section:
            assert document.values(name) == values
    assert document.text.startswith(preamble.split("[ibmq]")[0])


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(
    name=st.text(min_size=1, max_size=20),
    token=st.text(min_size=1, max_size=40),
    channel=st.sampled_from(["ibm_quantum_platform", "ibm_cloud"]),
    instance=st.none() | st.text(min_size=1, max_size=30),
    tags=st.none() | st.lists(st.text(max_size=8), max_size=3),
    verify=st.booleans(),
    unknown=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(lambda k: k not in ("channel", "token", "verify")),
        json_value,
        max_size=3,
    ),
)
def test_json_round_trip(
    name: str,
    token: str,
    channel: str,
    instance: str | None,
    tags: list[str] | None,
    verify: bool,
    unknown: dict[str, Any],
) -> None:
    from jupyter_qcred.providers.ibm.accounts_json import KNOWN_FIELDS, merge_account

    data: dict[str, dict[str, Any]] = {"other": {"channel": "ibm_quantum", "token": "t", **{"x-extra": [1, None]}}}
    if name in data:
        return
    data[name] = {k: v for k, v in unknown.items() if k not in KNOWN_FIELDS} | {"channel": "ibm_cloud"}
    spec = IbmAccountSpec(name=name, channel=channel, token=token, instance=instance, tags=tags, verify=verify)
    merge_account(data, name, saved_format(spec))
    text = dumps_accounts(data)
    back = parse_accounts(text, Path("qiskit-ibm.json"))
    assert back == data
    assert back[name]["token"] == token
    assert back[name]["channel"] == channel
    assert back[name]["verify"] is verify
    for key, value in unknown.items():
        if key not in KNOWN_FIELDS:
            assert back[name][key] == value
    assert back["other"] == {"channel": "ibm_quantum", "token": "t", "x-extra": [1, None]}


def _materialize_in_child(home: str, index: int, rounds: int) -> None:
    ibm = provider(Path(home))
    for round_ in range(rounds):
        ibm.materialize(
            [
                platform_spec(name=f"proc{index}", token=f"{API_KEY}-{index}-{round_}"),
                legacy_spec(name=f"legacy{index}", token=f"{LEGACY_TOKEN}-{index}", hub=f"h{index}"),
            ],
            source="bundle",
        )


def test_concurrent_writers_in_many_processes_lose_nothing(tmp_path: Path) -> None:
    """The SDK's unlocked in-place writes lost accounts with four processes; ours keep every one."""
    import multiprocessing

    path = json_path(tmp_path)
    path.parent.mkdir()
    path.write_text(json.dumps(FOREIGN_JSON))
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_materialize_in_child, args=(str(tmp_path), i, 15)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    data = parse_accounts(path.read_text(), path)
    assert set(data) == set(FOREIGN_JSON) | {f"proc{i}" for i in range(4)} | {f"legacy{i}" for i in range(4)}
    assert all(data[f"proc{i}"]["token"] == f"{API_KEY}-{i}-14" for i in range(4))
    rc = parse_qiskitrc(rc_path(tmp_path).read_text(), rc_path(tmp_path))
    assert rc.entries  # every writer's [ibmq] replaced the previous one in place; the file always parses
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- the default account ----------------------------------------------------------------------------------


def test_set_default(tmp_path: Path) -> None:
    ibm = provider(tmp_path)
    ibm.materialize(
        [
            IbmAccountSpec(name="a", channel="ibm_quantum_platform", token=API_KEY, default=True),
            IbmAccountSpec(name="b", channel="ibm_cloud", token=API_KEY + "b"),
            IbmAccountSpec(name="old", channel="ibm_quantum", token=LEGACY_TOKEN, hub="h", group="g", project="p"),
        ],
        source="bundle",
    )
    ibm.set_default("b", instance="my-instance")
    data = json.loads((tmp_path / ".qiskit/qiskit-ibm.json").read_text())
    assert data["b"]["is_default_account"] is True
    assert "is_default_account" not in data["a"]
    assert data["b"]["instance"] == "my-instance"
    assert [s.name for s in ibm.read() if s.default] == ["b"]

    ibm.set_default("old", instance="h2/g2/p2")
    rc = parse_qiskitrc((tmp_path / ".qiskit/qiskitrc").read_text(), tmp_path / "qiskitrc")
    assert rc.default_provider is not None
    assert rc.default_provider.to_stored_format() == "h2/g2/p2"
    data = json.loads((tmp_path / ".qiskit/qiskit-ibm.json").read_text())
    assert data["old"]["instance"] == "h2/g2/p2"
    assert "is_default_account" not in data["old"]
    assert not any("is_default_account" in entry for entry in data.values()), "the legacy choice must show"
    # ... where the runtime SDK still loads it; else the status shows the account QiskitRuntimeService() picks.
    assert [s.name for s in ibm.read() if s.default] == ["old" if LEGACY_STATE is State.OK else "a"]

    with pytest.raises(FieldError, match="instance"):
        ibm.set_default("old", instance="not-a-triple")
    with pytest.raises(QCredError, match="no account named 'nope'"):
        ibm.set_default("nope")
