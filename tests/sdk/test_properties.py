"""Property-based round trips that the per-format tests do not cover yet.

``tests/unit/test_ibm_writing.py`` and ``tests/unit/test_qcs_store.py`` already check one qiskitrc section, one
qiskit-ibm.json account and one QCS profile at a time. Here: the spawn bundle (``dump_bundle`` ->
``loads_bundle``), and several entries at once written through the providers on top of files that hold other people's
entries, twice in a row (a later bundle replaces same-named entries and keeps the rest), then read back by our
readers and by the SDKs.
Strings are odd on purpose: unicode, quotes, ``%``, ``#``, ``=``, ``;``, backslashes, long values.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.reliability import report

from jupyter_qcred.core.bundle import (
    DEFAULT_IBM_NAMES,
    Bundle,
    IbmAccountSpec,
    QcsProfileSpec,
    dump_bundle,
    loads_bundle,
)
from jupyter_qcred.core.settings import Settings
from jupyter_qcred.providers.ibm.accounts_json import parse_accounts
from jupyter_qcred.providers.ibm.provider import IbmProvider
from jupyter_qcred.providers.ibm.qiskitrc import parse_qiskitrc
from jupyter_qcred.providers.qcs import handoff
from jupyter_qcred.providers.qcs.model import load_secrets, load_settings
from jupyter_qcred.providers.qcs.provider import QcsProvider

pytestmark = pytest.mark.slow

EXAMPLES = 60
RUN = {"bundle": 0, "ibm": 0, "qcs": 0}

UNICODE = ["é", "ß", "量", "子", "🙂", "\u00a0"]
ODD = (
    st.text(
        alphabet=st.sampled_from([*(string.ascii_letters + string.digits + "%#=;:'\"\\/ ._-~!$&()[]{}"), *UNICODE]),
        min_size=1,
        max_size=80,
    )
    .map(str.strip)
    .filter(bool)
)
LONG = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=200, max_size=600)
SECRET = ODD | LONG
NAME = st.text(alphabet=string.ascii_letters + string.digits + "-_.é量", min_size=1, max_size=20).filter(
    lambda s: s not in ("default",)
)
URL = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    st.text(alphabet="abc/xyz_-%~=", max_size=16),
)
HGP = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@st.composite
def ibm_accounts(draw: st.DrawFn, legacy: bool = True) -> IbmAccountSpec:
    """One IBM account of the bundle, of any channel, with every optional field maybe set."""
    channel = draw(st.sampled_from(["ibm_quantum_platform", "ibm_cloud", "ibm_quantum"] if legacy else ["ibm_cloud"]))
    hgp = draw(st.none() | st.tuples(HGP, HGP, HGP)) if channel == "ibm_quantum" else None
    return IbmAccountSpec(
        name=draw(NAME),
        channel=channel,
        token=draw(SECRET),
        url=draw(st.none() | URL),
        instance=None if channel == "ibm_quantum" else draw(st.none() | ODD),
        hub=hgp[0] if hgp else None,
        group=hgp[1] if hgp else None,
        project=hgp[2] if hgp else None,
        verify=draw(st.booleans()),
        proxies=draw(st.none() | st.fixed_dictionaries({"urls": st.fixed_dictionaries({"https": URL})})),
        region=draw(st.none() | st.sampled_from(["us-east", "eu-de"])),
        plans_preference=draw(st.none() | st.lists(ODD, max_size=3)),
        tags=draw(st.none() | st.lists(ODD, max_size=3)),
        private_endpoint=draw(st.none() | st.booleans()),
    )


@st.composite
def qcs_profiles(draw: st.DrawFn) -> QcsProfileSpec:
    """One QCS profile of the bundle: tokens, or a confidential client, with odd values."""
    confidential = draw(st.booleans())
    return QcsProfileSpec(
        profile=draw(NAME),
        access_token=None if confidential else draw(SECRET),
        refresh_token=None if confidential else draw(st.none() | SECRET),
        client_id=draw(ODD) if confidential else draw(st.none() | ODD),
        client_secret=draw(SECRET) if confidential else None,
        api_url=draw(st.none() | URL),
        grpc_api_url=draw(st.none() | URL),
        issuer=draw(st.none() | URL),
        credentials_name=draw(st.none() | NAME),
        refresh=draw(st.sampled_from(["provider", "hub"])),
    )


def unique(specs: list[Any], key: str) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for spec in specs:
        if getattr(spec, key) not in seen:
            seen.add(getattr(spec, key))
            kept.append(spec)
    return kept


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(
    ibm=st.lists(ibm_accounts(), max_size=4),
    qcs=st.lists(qcs_profiles(), max_size=4),
    ibm_default=st.integers(0, 3),
    qcs_default=st.integers(0, 3),
)
def test_bundle_survives_dump_and_load(
    ibm: list[IbmAccountSpec], qcs: list[QcsProfileSpec], ibm_default: int, qcs_default: int
) -> None:
    """What the hub dumps is what the server loads: every field, every odd character, defaults included."""
    RUN["bundle"] += 1
    ibm, qcs = unique(ibm, "name"), unique(qcs, "profile")
    ibm = [_replace(a, default=i == ibm_default) for i, a in enumerate(ibm)]
    qcs = [_replace(p, default=i == qcs_default) for i, p in enumerate(qcs)]
    bundle = Bundle(ibm=tuple(ibm), qcs=tuple(qcs))
    text = dump_bundle(bundle)
    assert loads_bundle(text) == bundle
    assert loads_bundle(json.dumps(json.loads(text), ensure_ascii=False, indent=2)) == bundle
    for spec in (*ibm, *qcs):  # the reprs views and logs might show never carry a secret
        secrets = (
            getattr(spec, "token", None),
            getattr(spec, "access_token", None),
            getattr(spec, "client_secret", None),
        )
        shown = str(getattr(spec, "name", None) or getattr(spec, "profile", None))  # public: in the repr on purpose
        for secret in secrets:
            if secret and len(secret) >= 12 and secret not in shown:
                assert secret not in repr(spec)


def _replace(spec: Any, **changes: Any) -> Any:
    import dataclasses

    return dataclasses.replace(spec, **changes)


FOREIGN_JSON = {
    "colleague's = account #1": {"channel": "ibm_cloud", "token": "not-ours-%s-'q'", "x-unknown": {"a": [1, None]}},
    "default-ibm-quantum": {"channel": "ibm_quantum", "token": "legacy-not-ours", "instance": "h/g/p"},
}
FOREIGN_RC = (
    "; kept comment\n[ibmq_other_g_p]\ntoken = rc-not-ours\nurl = https://auth.example/api\nverify = False\n\n"
    "[unrelated]\nx = 1 % 2\n"
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(ibm_accounts(), min_size=1, max_size=4), second=st.lists(ibm_accounts(), min_size=1, max_size=3))
def test_ibm_accounts_merge_over_foreign_entries_and_read_back(
    first: list[IbmAccountSpec], second: list[IbmAccountSpec]
) -> None:
    """Two bundles in a row over someone else's accounts: the second replaces same names, the rest stays."""
    from qiskit_ibm_runtime.accounts import AccountManager

    RUN["ibm"] += 1
    first = _legacy_hubs_unique(unique(first, "name"))
    second = _legacy_hubs_unique(unique(second, "name"))
    names = {a.name for a in first} | {a.name for a in second}
    assume(not names & set(FOREIGN_JSON) and "ibmq_other_g_p" not in names)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".qiskit").mkdir(mode=0o700)
        (home / ".qiskit" / "qiskit-ibm.json").write_text(json.dumps(FOREIGN_JSON))
        (home / ".qiskit" / "qiskitrc").write_text(FOREIGN_RC)
        ibm = IbmProvider(Settings.from_environment({"HOME": str(home)}))
        ibm.materialize(first, source="bundle")
        ibm.materialize(second, source="bundle")
        json_path, rc_path = home / ".qiskit" / "qiskit-ibm.json", home / ".qiskit" / "qiskitrc"
        data = parse_accounts(json_path.read_text(), json_path)
        expected = {a.name: a for a in first} | {a.name: a for a in second}
        for name, entry in FOREIGN_JSON.items():
            assert data[name] == entry
        for name, spec in expected.items():
            assert data[name]["token"] == spec.token and data[name]["channel"] == spec.channel
            assert data[name]["verify"] is spec.verify
        read = {a.name: a for a in ibm.accounts()}
        for name, spec in expected.items():
            assert read[name].token == spec.token
        listed = AccountManager.list(filename=str(json_path))
        for name, spec in expected.items():
            if spec.channel != "ibm_quantum":  # current SDKs skip legacy entries by design
                assert listed[name].token == spec.token
        rc = parse_qiskitrc(rc_path.read_text(), rc_path)
        assert rc.entry("ibmq_other_g_p") is not None and rc.document.values("unrelated") == {"x": "1 % 2"}
        assert rc_path.read_text().startswith("; kept comment")
        legacy = [spec for spec in second if spec.channel == "ibm_quantum"]
        if legacy:
            main = next((s for s in legacy if s.default), legacy[0])
            entry = rc.entry("ibmq")
            assert entry is not None and entry.credentials.token == main.token


def _legacy_hubs_unique(specs: list[IbmAccountSpec]) -> list[IbmAccountSpec]:
    """One legacy account per hub/group/project (they name the qiskitrc section) and no default-name clash."""
    seen: set[tuple[str | None, ...]] = set()
    kept = []
    for spec in specs:
        key = (spec.hub, spec.group, spec.project)
        if spec.channel == "ibm_quantum" and (key in seen or spec.name == DEFAULT_IBM_NAMES["ibm_quantum"]):
            continue
        if spec.channel == "ibm_quantum":
            seen.add(key)
        kept.append(spec)
    return kept


FOREIGN_SETTINGS = (
    '# lab settings, "quoted" and 100 % kept\ndefault_profile_name = "lab"\n\n[profiles.lab]\n'
    'api_url = "https://lab.example/a=b#c"\ncredentials_name = "lab"\n'
)
FOREIGN_SECRETS = (
    '[credentials.lab.token_payload]\naccess_token = "lab-\\"access\\" = #1"\nrefresh_token = "lab-refresh % 2"\n'
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=st.lists(qcs_profiles(), min_size=1, max_size=4), second=st.lists(qcs_profiles(), min_size=1, max_size=3))
def test_qcs_profiles_merge_over_foreign_entries_and_the_sdk_loads_them(
    first: list[QcsProfileSpec], second: list[QcsProfileSpec]
) -> None:
    """Several profiles, twice in a row, over a lab's profile: all readable by us and by the real SDK."""
    from qcs_api_client_common.configuration import ClientConfiguration

    RUN["qcs"] += 1
    first, second = unique(first, "profile"), unique(second, "profile")
    owners: dict[str, set[str]] = {}
    chosen: dict[str, str] = {}
    for spec in (*first, *second):  # the credential each profile ends up using (materialize keeps an old choice)
        chosen[spec.profile] = spec.credentials_name or chosen.get(spec.profile) or spec.profile
        owners.setdefault(chosen[spec.profile], set()).add(spec.profile)
    # Profiles sharing a credential overwrite each other's tokens by design; "lab" is the foreign profile.
    assume(all(len(profiles) == 1 for profiles in owners.values()) and "lab" not in owners and "lab" not in chosen)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / ".qcs").mkdir(mode=0o700)
        (home / ".qcs" / "settings.toml").write_text(FOREIGN_SETTINGS)
        (home / ".qcs" / "secrets.toml").write_text(FOREIGN_SECRETS)
        qcs = QcsProvider(Settings.from_environment({"HOME": str(home)}))
        qcs.materialize(first, source="bundle")
        qcs.materialize(second, source="bundle")
        _doc, settings_model = load_settings(qcs.settings_path, qcs.settings_path.read_text())
        _doc2, secrets_model = load_secrets(qcs.secrets_path, qcs.secrets_path.read_text())
        lab = secrets_model.credentials["lab"].token_payload
        assert lab is not None and (lab.access_token, lab.refresh_token) == ('lab-"access" = #1', "lab-refresh % 2")
        assert settings_model.profiles["lab"].api_url == "https://lab.example/a=b#c"
        assert qcs.settings_path.read_text().startswith("# lab settings")
        expected = {p.profile: p for p in first} | {p.profile: p for p in second}
        for name, spec in expected.items():
            credential = handoff.view(secrets_model).credentials[settings_model.profiles[name].credentials_name]
            if spec.client_secret:
                assert credential.client_credentials is not None
                assert credential.client_credentials.client_secret == spec.client_secret
            else:
                assert credential.token_payload is not None
                assert credential.token_payload.access_token == spec.access_token
        import os

        before = {k: os.environ.get(k) for k in ("QCS_SETTINGS_FILE_PATH", "QCS_SECRETS_FILE_PATH")}
        os.environ["QCS_SETTINGS_FILE_PATH"], os.environ["QCS_SECRETS_FILE_PATH"] = (
            str(qcs.settings_path),
            str(qcs.secrets_path),
        )
        try:
            for name, spec in expected.items():
                loaded = ClientConfiguration.load_profile(name)
                wanted = spec.api_url or settings_model.profiles[name].api_url
                assert loaded.api_url.rstrip("/") == wanted.rstrip("/")  # the SDK drops a trailing slash
            ClientConfiguration.load_profile("lab")
        finally:
            for key, value in before.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@pytest.fixture(scope="module", autouse=True)
def _report_examples() -> Any:
    yield
    report(
        f"properties: {RUN['bundle']} bundle dump/load examples, {RUN['ibm']} IBM two-bundle merges over foreign "
        f"entries (read back by us and qiskit-ibm-runtime), {RUN['qcs']} QCS two-bundle merges (read back by us "
        "and qcs_api_client_common)"
    )
