"""Unit tier: in-process tests, no server process, no network beyond in-process loopback (marker ``unit``)."""
