"""The Qiskit Runtime REST API, enough for ``QiskitRuntimeService`` to authenticate and list backends.

The real service (with ``url`` containing ``experimental``, ``QISKIT_FUNCTIONS_EXPERIMENTAL=1`` and
``IAM_URL`` pointing here) calls IAM, then ``GET {url}/backends`` and, per backend, ``GET {url}/backends/{name}/
configuration``; ``status`` and ``properties`` follow when a program asks.  Requests carry ``Authorization:
Bearer <IAM JWT>`` and ``Service-CRN``; a token IAM did not issue, an expired one, or a CRN the user does not
own is refused.  ``/api/v1`` prefixes are accepted too, for clients that resolve the public URL layout.
"""

from __future__ import annotations

import secrets
from typing import Any

from .handlers import BaseHandler, ServiceHandler
from .iam import iam_issuer
from .state import IbmInstance, IbmUser, iso
from .tokens import TokenInvalid

BACKEND_QUBITS = {"ibm_sandbox_fez": 5, "ibm_sandbox_torino": 7}
ONLINE_DATE = "2024-07-01T04:00:00Z"


def _coupling(n: int) -> list[list[int]]:
    return [[i, i + 1] for i in range(n - 1)] + [[i + 1, i] for i in range(n - 1)]


def backend_configuration(name: str) -> dict[str, Any]:
    """A small Heron-like device configuration that ``QasmBackendConfiguration.from_dict`` accepts."""
    n = BACKEND_QUBITS.get(name, 5)
    singles = [[q] for q in range(n)]
    gates = [
        {"name": "id", "parameters": [], "qasm_def": "gate id q { U(0, 0, 0) q; }", "coupling_map": singles},
        {
            "name": "rz",
            "parameters": ["theta"],
            "qasm_def": "gate rz(theta) q { U(0, 0, theta) q; }",
            "coupling_map": singles,
        },
        {"name": "sx", "parameters": [], "qasm_def": "gate sx q { U(pi/2, 3*pi/2, pi/2) q; }", "coupling_map": singles},
        {"name": "x", "parameters": [], "qasm_def": "gate x q { U(pi, 0, pi) q; }", "coupling_map": singles},
        {
            "name": "cz",
            "parameters": [],
            "qasm_def": "gate cz q0, q1 { h q1; cx q0, q1; h q1; }",
            "coupling_map": _coupling(n),
        },
    ]
    return {
        "backend_name": name,
        "backend_version": "1.0.0",
        "n_qubits": n,
        "basis_gates": ["cz", "id", "rz", "sx", "x"],
        "gates": gates,
        "local": False,
        "simulator": False,
        "conditional": False,
        "open_pulse": False,
        "memory": True,
        "max_shots": 100000,
        "coupling_map": _coupling(n),
        "max_experiments": 300,
        "n_registers": 1,
        "credits_required": True,
        "supported_instructions": [
            "cz",
            "id",
            "delay",
            "measure",
            "reset",
            "rz",
            "sx",
            "x",
            "if_else",
            "for_loop",
            "switch_case",
            "while_loop",
        ],
        "supported_features": ["qasm3"],
        "online_date": ONLINE_DATE,
        "description": f"{n} qubit sandbox device",
        "sample_name": "sandbox",
        "dt": 0.5,
        "dtm": 0.5,
        "processor_type": {"family": "Heron", "revision": "2"},
        "rep_delay_range": [0.0, 500.0],
        "default_rep_delay": 250.0,
        "dynamic_reprate_enabled": True,
        "meas_map": [list(range(n))],
        "acquisition_latency": [],
        "conditional_latency": [],
        "multi_meas_enabled": True,
        "parallel_compilation": False,
        "uchannels_enabled": False,
        "measure_esp_enabled": False,
    }


def backend_properties(name: str) -> dict[str, Any]:
    """Calibration data in the ``BackendProperties`` layout (constant values: this is not a physics model)."""
    n = BACKEND_QUBITS.get(name, 5)
    date = ONLINE_DATE

    def nduv(nm: str, unit: str, value: float) -> dict[str, Any]:
        return {"date": date, "name": nm, "unit": unit, "value": value}

    qubits = [
        [
            nduv("T1", "us", 150.0),
            nduv("T2", "us", 110.0),
            nduv("frequency", "GHz", 4.9 + q / 100),
            nduv("anharmonicity", "GHz", -0.31),
            nduv("readout_error", "", 0.012),
            nduv("prob_meas0_prep1", "", 0.015),
            nduv("prob_meas1_prep0", "", 0.009),
            nduv("readout_length", "ns", 1560.0),
        ]
        for q in range(n)
    ]
    gates: list[dict[str, Any]] = []
    for gate, length in (("id", 32.0), ("rz", 0.0), ("sx", 32.0), ("x", 32.0)):
        for q in range(n):
            gates.append(
                {
                    "qubits": [q],
                    "gate": gate,
                    "name": f"{gate}{q}",
                    "parameters": [
                        nduv("gate_error", "", 0.0 if gate == "rz" else 2.5e-4),
                        nduv("gate_length", "ns", length),
                    ],
                }
            )
    for a, b in _coupling(n):
        gates.append(
            {
                "qubits": [a, b],
                "gate": "cz",
                "name": f"cz{a}_{b}",
                "parameters": [nduv("gate_error", "", 3e-3), nduv("gate_length", "ns", 68.0)],
            }
        )
    return {
        "backend_name": name,
        "backend_version": "1.0.0",
        "last_update_date": date,
        "qubits": qubits,
        "gates": gates,
        "general": [],
    }


class RuntimeHandler(ServiceHandler):
    """Checks the IAM Bearer token and the Service-CRN before any runtime method."""

    endpoint = "runtime"
    user: IbmUser
    instance: IbmInstance

    async def prepare(self) -> None:
        await super().prepare()
        state = self.sandbox
        try:
            claims = state.signer.verify(self.bearer() or "", issuer=iam_issuer(state))
        except TokenInvalid as exc:
            self.log_error = str(exc)
            self.runtime_error(401, "Unauthorized: the IAM access token is missing, invalid or expired.")
            return
        user = next((u for u in state.ibm_users.values() if u.iam_id == claims.get("iam_id")), None)
        crn = self.request.headers.get("Service-CRN", "")
        instance = next((i for i in (user.instances if user else []) if i.crn == crn), None)
        if user is None or instance is None:
            self.log_user = user.username if user else None
            self.runtime_error(403, "Forbidden: this API key has no access to the instance in Service-CRN.")
            return
        self.user, self.instance = user, instance
        self.log_user = user.username

    def runtime_error(self, status: int, message: str) -> None:
        self.log_error = self.log_error or str(status)
        self.write_json(
            {
                "errors": [
                    {"code": "unauthorized" if status == 401 else "forbidden", "message": message, "more_info": ""}
                ],
                "trace": secrets.token_hex(16),
                "status_code": status,
            },
            status=status,
        )

    def backend_or_404(self, name: str) -> bool:
        if name in self.instance.backends:
            return True
        self.write_json(
            {
                "errors": [{"code": "not_found", "message": f"Backend {name} not found.", "more_info": ""}],
                "trace": secrets.token_hex(16),
                "status_code": 404,
            },
            status=404,
        )
        return False


class BackendsHandler(RuntimeHandler):
    def get(self) -> None:
        devices = [
            {
                "name": name,
                "class": "heron",
                "status": {"name": "online", "reason": "available"},
                "qubits": BACKEND_QUBITS.get(name, 5),
                "version": "1.0.0",
                "queue_length": 0,
                "processor_type": {"family": "Heron", "revision": "2"},
                "wait_time_seconds": None,
            }
            for name in self.instance.backends
        ]
        self.write_json({"devices": devices})


class ConfigurationHandler(RuntimeHandler):
    def get(self, name: str) -> None:
        if self.backend_or_404(name):
            self.write_json(backend_configuration(name))


class PropertiesHandler(RuntimeHandler):
    def get(self, name: str) -> None:
        if self.backend_or_404(name):
            self.write_json(backend_properties(name))


class StatusHandler(RuntimeHandler):
    def get(self, name: str) -> None:
        if self.backend_or_404(name):
            self.write_json(
                # The cloud's own shape; the SDK maps state/status/length_queue onto BackendStatus.
                {
                    "state": True,
                    "status": "active",
                    "message": "available",
                    "length_queue": 0,
                    "backend_version": "1.0.0",
                }
            )


class UsageHandler(RuntimeHandler):
    def get(self) -> None:
        self.write_json(
            {
                "instance_id": self.instance.crn,
                "plan_id": self.instance.plan,
                "usage_consumed_seconds": 0,
                "usage_limit_seconds": 600,
                "usage_remaining_seconds": 600,
                "usage_limit_reached": False,
                "usage_period": {"start_time": iso(self.sandbox.started), "end_time": None},
            }
        )


PREFIX = r"(?:/experimental(?:/api/v1)?|/api/v1)"


def routes() -> list[tuple[str, type[BaseHandler]]]:
    return [
        (PREFIX + r"/backends", BackendsHandler),
        (PREFIX + r"/backends/([^/]+)/configuration", ConfigurationHandler),
        (PREFIX + r"/backends/([^/]+)/properties", PropertiesHandler),
        (PREFIX + r"/backends/([^/]+)/status", StatusHandler),
        (PREFIX + r"/instances/usage", UsageHandler),
    ]
