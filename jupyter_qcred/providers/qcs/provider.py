"""Rigetti QCS: ``~/.qcs/settings.toml`` profiles, ``~/.qcs/secrets.toml`` credentials, OIDC refresh, user/groups.

:class:`QcsProvider` is composed of one class per job, each standing on the previous one: :mod:`.base` (the files,
profile resolution, this process's memory, running flows) -> :mod:`.status` (what the views show) -> :mod:`.writer`
(bundle, uploads, default profile) -> :mod:`.refresh` (tokens renewed ahead of expiry, once for all processes) ->
:mod:`.signin` (pasted tokens, device login). The file model is in :mod:`.model` and :mod:`.times`, the edits in
:mod:`.store`, the protocols in :mod:`.oidc`.
"""

from __future__ import annotations

from typing import ClassVar

from ..registry import PROVIDER_TITLES
from .removing import QcsRemoving
from .signin import DeviceLogin

__all__ = ["DeviceLogin", "QcsProvider"]


class QcsProvider(QcsRemoving):
    """Rigetti QCS credentials in the SDK's own files."""

    key: ClassVar[str] = "qcs"
    title: ClassVar[str] = PROVIDER_TITLES["qcs"]
