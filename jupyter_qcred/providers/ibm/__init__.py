"""IBM Quantum: the Credentials API seed (``credentials``), the two stores (``qiskitrc``, on the shared lossless INI
document, for the legacy provider; ``accounts_json`` for ``qiskit-ibm.json``), the token exchanges (``auth``: legacy
login and IBM Cloud IAM), and the provider that ties them together (``provider``, built from ``reading``,
``checking``, ``writing`` and ``importing``)."""
