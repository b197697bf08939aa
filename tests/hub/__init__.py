"""Hub tier: tests that need a real JupyterHub (some log in through it with Chromium) (marker ``hub``)."""
