"""IQM Resonance: the token iqm-client 36 reads (``IQM_TOKEN``, or the tokens file named by ``IQM_TOKENS_FILE``);
:mod:`.spec` (the bundle entry), :mod:`.store` (the tokens file), :mod:`.protocol` (the check and the renewal),
:mod:`.provider` (the provider), :mod:`.sandbox` (the loopback stand-in)."""
