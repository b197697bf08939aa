"""Server tier: tests that need a real Jupyter server (pytest-jupyter's in-process one, or a child process)
(marker ``server``)."""
