"""The server's events and metrics without a server (server/observability.py): every event schema names every enabled
provider, plugins included (a real server's events and metrics are in tests/server/test_observability.py)."""

from __future__ import annotations

from jupyter_qcred.providers import PROVIDER_KEYS


def test_every_event_schema_names_every_provider() -> None:
    """An event whose provider its schema does not list is dropped by jupyter_events' validation (the server's
    re-initialized event of a five-cloud bundle was, before the schemas listed the later providers): the server
    registers each schema with the keys of its enabled providers, plugins included."""
    from jupyter_qcred.server.observability import EVENTS, event_schema

    keys = (*PROVIDER_KEYS, "toy")  # every registered provider, and a plugin's key
    enums = []
    for event in EVENTS:
        schema = event_schema(event, keys)
        found = [schema["properties"].get("provider")]
        found += [
            (schema["properties"].get("credentials") or {}).get("items", {}).get("properties", {}).get("provider")
        ]
        enums += [(event, tuple(item["enum"])) for item in found if item and "enum" in item]
    assert len(enums) == 5, enums
    assert all(values == keys for _name, values in enums), enums
    assert {"ibm", "qcs", "ionq", "braket", "nexus", "azure", "iqm", "qbraid"} <= set(PROVIDER_KEYS)
