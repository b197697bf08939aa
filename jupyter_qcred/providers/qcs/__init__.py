"""Rigetti QCS: the settings/secrets model (``model``, token times in ``times``), the format-preserving TOML stores
(``store``), the OpenID Connect flows (``oidc``: refresh, client credentials, device login), and the provider
(``provider``, composed of ``base``, ``status``, ``writer``, ``refresh`` and ``signin``)."""
