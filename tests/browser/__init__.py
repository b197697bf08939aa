"""Browser tier: a real JupyterLab driven by Playwright in Chromium (marker ``browser``)."""
