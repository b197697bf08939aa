"""The provider interface, where providers have always imported it from: it lives in
:mod:`jupyter_qcred.core.provider` (``core/`` knows it and nothing else of a provider)."""

from __future__ import annotations

from ..core.provider import Provider, Spec

__all__ = ["Provider", "Spec"]
