"""Quantinuum Nexus: the token files of qnexus (``~/.qnx/auth/token.json``, ``id.json``), refreshed ahead of expiry
once for every process, the device login of ``qnx.auth.login()``, and qnexus's managed-token mode
(``NEXUS_MANAGED_TOKENS``); :mod:`.spec` (the bundle entry), :mod:`.store` (the files), :mod:`.protocol` (the
cookie-token API), :mod:`.provider`."""
