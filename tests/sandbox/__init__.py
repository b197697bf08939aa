"""Sandbox tier: tests that need the sandbox process (loopback fakes of the clouds' services), no Jupyter server
(marker ``sandbox``)."""
