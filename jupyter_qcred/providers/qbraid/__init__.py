"""qBraid: a static API key in ``~/.qbraid/qbraidrc`` (the ``[default]`` section qbraid-core reads), checked with
qBraid's user endpoint; :mod:`.spec` (the bundle entry), :mod:`.provider` (the qbraidrc store and the key check),
:mod:`.sandbox` (the loopback stand-in)."""
