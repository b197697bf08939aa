"""IonQ: a static API key that qiskit-ionq reads from ``IONQ_API_KEY`` (also ``QISKIT_IONQ_API_TOKEN``,
``IONQ_API_TOKEN``), in a ``.env`` file or the environment; :mod:`.spec` (the bundle entry), :mod:`.provider` (the
``.env`` store and the key check)."""
