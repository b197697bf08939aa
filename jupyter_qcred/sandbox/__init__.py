"""Loopback services that speak the IBM Quantum and Rigetti QCS protocols, for tests, the demo and binder.

Standalone on purpose (tornado, the standard library and ``cryptography`` only): it imports nothing else from
``jupyter_qcred``, so it can fake the clouds for any version of the package under test.  Start it with
``python -m jupyter_qcred.sandbox`` or, from Python, with :class:`jupyter_qcred.sandbox.client.Sandbox`.
"""
