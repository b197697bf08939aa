"""Rigetti QCS: the settings/secrets model (``model``), the format-preserving TOML stores (``store``), the OpenID
Connect flows (``oidc``: refresh, client credentials, device login), and the provider (``provider``)."""
