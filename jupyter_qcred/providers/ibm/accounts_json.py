"""``~/.qiskit/qiskit-ibm.json``: qiskit-ibm-runtime's accounts file, read strictly and written like the SDK does.

The SDK (``accounts/storage.py``) writes ``json.dump(data, sort_keys=True, indent=4)`` and each account as
``Account.to_saved_format()``: the constructor's fields that are not None, with ``url`` defaulting to
``https://cloud.ibm.com`` and ``private_endpoint`` to False. We produce the same bytes for the same account, so
a file we write is indistinguishable from one ``QiskitRuntimeService.save_account`` wrote — but ours are atomic,
locked and 0600 (the caller uses :mod:`jupyter_qcred.core.files`), and we keep every account and every field we do not
own, including legacy ``ibm_quantum`` entries that current SDKs skip.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...core import safejson
from ...core.errors import FieldError, FileFormatError
from .credentials import QX_AUTH_URL, HubGroupProject
from .spec import IbmAccountSpec

#: The fields the SDK reads; anything else in an entry is kept untouched.
KNOWN_FIELDS = (
    "channel",
    "token",
    "url",
    "instance",
    "private_endpoint",
    "proxies",
    "verify",
    "region",
    "plans_preference",
    "tags",
    "is_default_account",
)
#: The SDK's ``IBM_QUANTUM_PLATFORM_API_URL``: the url it saves when none is given.
IBM_CLOUD_URL = "https://cloud.ibm.com"
PROXY_FIELDS = ("urls", "username_ntlm", "password_ntlm")
_DEFAULT_NAMES = {"ibm_cloud": "default-ibm-cloud", "ibm_quantum_platform": "default-ibm-quantum-platform"}

_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "token": ((str,), "must be a string"),
    "url": ((str,), "must be a string"),
    "instance": ((str,), "must be a string"),
    "private_endpoint": ((bool,), "must be true or false"),
    "proxies": ((dict,), "must be an object"),
    "verify": ((bool,), "must be true or false"),
    "region": ((str,), "must be a string"),
    "plans_preference": ((list,), "must be a list of strings"),
    "tags": ((list,), "must be a list of strings"),
    "is_default_account": ((bool,), "must be true or false"),
}


def _line_of(text: str, name: str) -> int | None:
    """The line of an account's key in the text, so errors point at it (best effort)."""
    needle = json.dumps(name) + ":"
    index = text.find(needle)
    if index < 0:
        needle = json.dumps(name)
        index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def parse_accounts(text: str, path: Path) -> dict[str, dict[str, Any]]:
    """The accounts of a qiskit-ibm.json text, checked so the SDK (and we) can read every one of them.

    Raises FileFormatError naming the file, the account, the field and the line, never a value.
    """
    if not text.strip():
        return {}  # an empty file is what the SDK's own "create if missing" race leaves behind
    try:
        data = safejson.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(path, f"is not valid JSON ({exc.msg}, column {exc.colno})", exc.lineno) from None
    except safejson.TooDeepError as exc:
        raise FileFormatError(path, f"is not a credentials file ({exc})", 1) from None
    if not isinstance(data, dict):
        raise FileFormatError(path, "must hold a JSON object mapping account names to accounts", 1)
    for name, account in data.items():
        line = _line_of(text, name)
        if not isinstance(account, dict):
            raise FileFormatError(path, f"account {name!r} must be an object", line)
        if not isinstance(account.get("channel"), str):
            raise FileFormatError(path, f"account {name!r} has no 'channel' (the SDK needs one)", line)
        for field, (types, expected) in _TYPES.items():
            value = account.get(field)
            if value is None:
                continue
            ok = isinstance(value, types) and not (bool not in types and isinstance(value, bool))
            if ok and field in ("plans_preference", "tags"):
                ok = all(isinstance(item, str) for item in value)
            if ok and field == "proxies":
                ok = set(value) <= set(PROXY_FIELDS)
                expected = f"may only hold {', '.join(PROXY_FIELDS)}"
            if not ok:
                raise FileFormatError(path, f"account {name!r}: field {field!r} {expected}", line)
    return data


def dumps_accounts(data: Mapping[str, Any]) -> str:
    """The file's text, byte for byte what ``qiskit_ibm_runtime.accounts.storage.save_config`` writes."""
    return json.dumps(data, sort_keys=True, indent=4)


def _check_proxies(proxies: Mapping[str, Any] | None, where: str) -> dict[str, Any] | None:
    if proxies is None:
        return None
    unknown = sorted(set(proxies) - set(PROXY_FIELDS))
    if unknown:
        raise FieldError(where, f"proxies.{unknown[0]}", f"is not a proxy setting (known: {', '.join(PROXY_FIELDS)})")
    urls = proxies.get("urls")
    if urls is not None and (
        not isinstance(urls, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in urls.items())
    ):
        raise FieldError(where, "proxies.urls", "must map protocols to proxy URLs (strings)")
    ntlm = [proxies.get("username_ntlm"), proxies.get("password_ntlm")]
    if any(item is not None for item in ntlm) and not all(isinstance(item, str) for item in ntlm):
        raise FieldError(where, "proxies.username_ntlm", "and password_ntlm must be given together, as strings")
    # ProxyConfiguration.to_dict(): only the fields that are set.
    return {key: proxies[key] for key in PROXY_FIELDS if proxies.get(key) is not None}


def saved_format(spec: IbmAccountSpec) -> dict[str, Any]:
    """The entry ``QiskitRuntimeService.save_account`` would write for ``spec`` (without ``is_default_account``).

    ``ibm_quantum`` (legacy) entries follow what qiskit-ibm-runtime wrote before it dropped the channel: the auth
    URL and ``instance = hub/group/project``.
    """
    where = f"IBM account {spec.name!r}"
    instance = spec.instance
    if spec.channel == "ibm_quantum":
        url = spec.url or QX_AUTH_URL
        if spec.hub and spec.group and spec.project:
            instance = HubGroupProject(spec.hub, spec.group, spec.project).to_stored_format()
    else:
        url = spec.url or IBM_CLOUD_URL
    if spec.region is not None and spec.region not in ("us-east", "eu-de"):
        raise FieldError(where, "region", "must be us-east or eu-de")
    proxies = _check_proxies(spec.proxies, where)
    config: dict[str, Any] = {
        "token": spec.token,
        "instance": instance,
        "proxies": proxies or None,
        "verify": spec.verify,
        "channel": spec.channel,
        "url": url,
        "private_endpoint": bool(spec.private_endpoint),
        "region": spec.region,
        "plans_preference": spec.plans_preference,
        "tags": spec.tags,
    }
    return {key: value for key, value in config.items() if value is not None}


def merge_account(
    data: dict[str, dict[str, Any]], name: str, config: Mapping[str, Any], *, keep_unknown: bool = True
) -> None:
    """Put ``config`` under ``name``: the SDK's fields are replaced, other fields of the old entry are kept."""
    old = data.get(name) or {}
    merged = {key: value for key, value in old.items() if key not in KNOWN_FIELDS} if keep_unknown else {}
    if old.get("is_default_account"):
        merged["is_default_account"] = True
    merged.update(config)
    data[name] = merged


def set_default_account(data: dict[str, dict[str, Any]], name: str) -> None:
    """Mark ``name`` as the default and unmark every other account, like ``save_account(set_as_default=True,
    overwrite=True)``."""
    for other, account in data.items():
        if other != name and "is_default_account" in account:
            del account["is_default_account"]
    data[name]["is_default_account"] = True


def sdk_default(data: Mapping[str, Mapping[str, Any]], channel: str | None = None) -> str | None:
    """The account ``QiskitRuntimeService()`` picks without a name (``AccountManager.get`` minus the environment).

    ``channel`` is ``QISKIT_IBM_CHANNEL``. Legacy ``ibm_quantum`` entries are left out: current SDKs cannot load
    them (which is also why we never mark one ``is_default_account``).
    """
    accounts = {name: account for name, account in data.items() if account.get("channel") != "ibm_quantum"}
    for name, account in accounts.items():
        if account.get("is_default_account"):
            return name
    wanted = channel or "ibm_quantum_platform"
    default_name = _DEFAULT_NAMES.get(wanted)
    if default_name and accounts.get(default_name, {}).get("channel") == wanted:
        return default_name
    same_channel = [name for name, account in accounts.items() if account.get("channel") == wanted]
    if same_channel:
        return same_channel[-1]
    for channel_type in ("ibm_quantum_platform", "ibm_cloud"):
        if _DEFAULT_NAMES[channel_type] in accounts:
            return _DEFAULT_NAMES[channel_type]
    return None
