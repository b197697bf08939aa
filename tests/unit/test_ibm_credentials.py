"""The seed's ``Credentials`` / ``HubGroupProject`` semantics (REFERENCE 1a)."""

from __future__ import annotations

import pytest
from requests_ntlm import HttpNtlmAuth

from jupyter_qcred.core.errors import QCredError
from jupyter_qcred.providers.ibm.provider import QX_AUTH_URL, Credentials, HubGroupProject, InvalidHubGroupProjectError

TOKEN = "secret-api-token-0123456789abcdef"


def test_hub_group_project_only_count_when_all_three_given() -> None:
    partial = Credentials(TOKEN, QX_AUTH_URL, hub="ibm-q", group="open")
    assert not partial.is_ibmq()
    assert (partial.hub, partial.group, partial.project) == (None, None, None)
    assert partial.url == partial.base_url == QX_AUTH_URL

    full = Credentials(TOKEN, QX_AUTH_URL, hub="ibm-q", group="open", project="main")
    assert full.is_ibmq()
    assert full.url == f"{QX_AUTH_URL}/Network/ibm-q/Groups/open/Projects/main"
    assert full.base_url == QX_AUTH_URL


@pytest.mark.parametrize("word", ["Network", "Hubs", "network"])
def test_hub_specific_urls_are_recognised_in_both_forms(word: str) -> None:
    """The original wrote /Network/ but parsed only /Hubs/; both must give back the triple and the bare URL."""
    creds = Credentials(TOKEN, f"{QX_AUTH_URL}/{word}/h1/Groups/g1/Projects/p1")
    assert creds.is_ibmq()
    assert creds.unique_id() == HubGroupProject("h1", "g1", "p1")
    assert creds.base_url == QX_AUTH_URL
    assert creds.url == f"{QX_AUTH_URL}/Network/h1/Groups/g1/Projects/p1"


def test_unique_id_and_equivalence() -> None:
    a = Credentials(TOKEN, QX_AUTH_URL, hub="h", group="g", project="p")
    b = Credentials(
        "another-token-000000000", "https://other.example/api", hub="h", group="g", project="p", verify=False
    )
    assert a.unique_id() == b.unique_id()
    assert hash(a.unique_id()) == hash(b.unique_id())
    assert len({a.unique_id(), b.unique_id()}) == 1
    assert a != b  # equivalent by convention, not equal
    assert Credentials(TOKEN, QX_AUTH_URL).unique_id() == HubGroupProject(None, None, None)


def test_hub_group_project_stored_format() -> None:
    hgp = HubGroupProject.from_stored_format("ibm-q/open/main")
    assert hgp.to_tuple() == ("ibm-q", "open", "main")
    assert hgp.to_stored_format() == "ibm-q/open/main"
    assert hgp == HubGroupProject("ibm-q", "open", "main")
    assert hgp != HubGroupProject("ibm-q", "open", "other")
    for bad in ["ibm-q/open", "a/b/c/d", "a//c", "", "a b/c/d"]:
        with pytest.raises(InvalidHubGroupProjectError):
            HubGroupProject.from_stored_format(bad)
    with pytest.raises(InvalidHubGroupProjectError):
        HubGroupProject("h", None, "p").to_stored_format()
    assert issubclass(InvalidHubGroupProjectError, QCredError)


def test_connection_parameters() -> None:
    assert Credentials(TOKEN, QX_AUTH_URL).connection_parameters() == {"verify": True}
    urls = {"https": "http://proxy.example:8080"}
    params = Credentials(TOKEN, QX_AUTH_URL, proxies={"urls": urls}, verify=False).connection_parameters()
    assert params == {"verify": False, "proxies": urls}
    ntlm = Credentials(
        TOKEN, QX_AUTH_URL, proxies={"urls": urls, "username_ntlm": "dom\\user", "password_ntlm": "pw"}
    ).connection_parameters()
    assert isinstance(ntlm["auth"], HttpNtlmAuth)
    assert ntlm["proxies"] == urls
    only_user = Credentials(TOKEN, QX_AUTH_URL, proxies={"username_ntlm": "u"}).connection_parameters()
    assert "auth" not in only_user


def test_services_and_other_fields() -> None:
    services = {"extractorsService": "https://x/ex", "resultsDB": "https://x/db", "runtime": "https://x/rt"}
    creds = Credentials(
        TOKEN,
        QX_AUTH_URL,
        websockets_url="wss://x/ws",
        services=services,
        access_token="access-token-value-123456",
        preferences={"experiment": {"auto_save": True}},
        default_provider="h/g/p",
    )
    assert (creds.extractor_url, creds.experiment_url, creds.runtime_url) == (
        "https://x/ex",
        "https://x/db",
        "https://x/rt",
    )
    assert creds.websockets_url == "wss://x/ws"
    assert creds.default_provider == HubGroupProject("h", "g", "p")
    assert creds.preferences == {"experiment": {"auto_save": True}}
    assert Credentials(TOKEN, QX_AUTH_URL).runtime_url is None


def test_repr_never_shows_tokens() -> None:
    creds = Credentials(TOKEN, QX_AUTH_URL, hub="h", group="g", project="p", access_token="access-token-value-123456")
    for text in (repr(creds), str(creds), repr(creds.unique_id())):
        assert TOKEN not in text
        assert TOKEN[-4:] not in text
        assert "access-token-value" not in text
