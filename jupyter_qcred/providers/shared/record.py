"""``@record`` and ``@record(frozen=True)``: dataclasses whose methods are shared functions, not generated code.

A server's start imports every provider, and ``@dataclasses.dataclass`` compiles each class's ``__init__``,
``__repr__``, ``__eq__`` (and, frozen, ``__setattr__``, ``__delattr__``, ``__hash__``) with ``exec``: about 0.5 ms per
class, 0.9 ms frozen, on the 2-core machine of issue 21 — most of what importing the providers cost. A record is a
real dataclass (``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work on it; ``field(default=...,
default_factory=..., repr=False, compare=False)`` mean what they mean there) made by ``dataclasses.dataclass`` with
code generation off, then given the same methods written once here: the same signature order, defaults and
factories, the same ``repr`` (fields with ``repr=False`` left out: a token never appears), equality between
instances of the same class only, and, frozen, :class:`dataclasses.FrozenInstanceError` on assignment and a hash of
the compared fields (a plain record is unhashable, as a dataclass with ``eq`` is). A method the class body defines
itself is kept, as dataclasses keep it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, dataclass_transform, overload

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T", bound=type)

__all__ = ["record"]


@overload
def record(cls: T, /) -> T: ...


@overload
def record(*, frozen: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: Any = None, /, *, frozen: bool = False) -> Any:
    """``@dataclasses.dataclass`` (``frozen`` or not) without generated code; see the module docstring."""

    def wrap(cls: Any) -> Any:
        return _build(cls, frozen)

    return wrap if cls is None else wrap(cls)


def _build(cls: Any, frozen: bool) -> Any:
    cls = dataclasses.dataclass(cls, init=False, repr=False, eq=False)  # the fields, and no code generated
    fields = dataclasses.fields(cls)
    names = frozenset(field.name for field in fields)
    params = tuple(field.name for field in fields if field.init)
    taken = frozenset(params)
    defaults = {field.name: field.default for field in fields if field.default is not dataclasses.MISSING}
    factories = {
        field.name: field.default_factory for field in fields if field.default_factory is not dataclasses.MISSING
    }
    least = sum(1 for name in params if name not in defaults and name not in factories)
    shown = tuple(field.name for field in fields if field.repr)
    compared = tuple(field.name for field in fields if field.compare)
    hashed = tuple(field.name for field in fields if (field.compare if field.hash is None else field.hash))
    order = tuple(field.name for field in fields)
    post_init = hasattr(cls, "__post_init__")
    qualname = cls.__qualname__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > len(params):
            takes = f"from {least + 1} to {len(params) + 1}" if least < len(params) else str(len(params) + 1)
            raise TypeError(f"{qualname}.__init__() takes {takes} positional arguments but {len(args) + 1} were given")
        values = dict(zip(params, args, strict=False))
        for key, value in kwargs.items():
            if key not in taken:
                raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"{qualname}.__init__() got multiple values for argument {key!r}")
            values[key] = value
        for name in order:
            if name in values:
                value = values[name]
            elif name in defaults:
                value = defaults[name]
            elif name in factories:
                value = factories[name]()
            elif name in taken:
                raise TypeError(f"{qualname}.__init__() missing 1 required positional argument: {name!r}")
            else:
                continue  # init=False without a default: unset, as dataclasses leave it
            object.__setattr__(self, name, value)
        if post_init:
            self.__post_init__()

    def __repr__(self: Any) -> str:
        shown_values = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({shown_values})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple(getattr(self, name) for name in compared) == tuple(getattr(other, name) for name in compared)
        return NotImplemented

    methods: dict[str, Callable[..., Any] | None] = {"__init__": __init__, "__repr__": __repr__, "__eq__": __eq__}
    if frozen:

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is cls or name in names:
                raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in names:
                raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, name) for name in hashed))

        for name in ("__setattr__", "__delattr__"):
            if name in cls.__dict__:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        methods.update(__setattr__=__setattr__, __delattr__=__delattr__, __hash__=__hash__)
    else:
        methods["__hash__"] = None  # eq without frozen: unhashable, as a dataclass
    for name, method in methods.items():
        if name in cls.__dict__:
            continue
        if method is not None:
            method.__qualname__ = f"{qualname}.{name}"
        setattr(cls, name, method)
    return cls
