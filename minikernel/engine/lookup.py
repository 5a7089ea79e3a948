"""Safe name lookup over the live namespace, shared by completion and inspection.

`lookup("a.b.c", ns)` follows attributes without running user code: each step is found with
inspect.getattr_static, and a descriptor is only bound when its type is a C-level one (functions,
methods, slots, classmethod/staticmethod) and the owner's __getattribute__ is the standard one.
Properties and other Python descriptors are never evaluated: as the last step the descriptor itself
is the answer (so its docs can be shown); in the middle of a path the lookup fails. Attributes that
only exist through __getattr__ are not followed either.
"""

from __future__ import annotations

import builtins
import inspect
import types

_SAFE_DESCRIPTORS = (
    types.FunctionType, types.BuiltinFunctionType, types.MethodDescriptorType,
    types.WrapperDescriptorType, types.ClassMethodDescriptorType, types.MemberDescriptorType,
    types.GetSetDescriptorType, classmethod, staticmethod,
)
_ROUTINES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.MethodDescriptorType,
             types.WrapperDescriptorType, types.ClassMethodDescriptorType, types.MethodWrapperType,
             classmethod, staticmethod)
_MISSING = object()


class NotFound(LookupError):
    """The name does not resolve without running user code."""


def lookup(path: str, ns: dict, *, descriptor_ok: bool = True):
    """The object named by the dotted PATH. With descriptor_ok False a property at the end fails too
    (completion wants the value, which would need the getter to run)."""
    first, *rest = path.split(".")
    if first in ns:
        obj = ns[first]
    elif first in builtins.__dict__:
        obj = builtins.__dict__[first]
    else:
        raise NotFound(first)
    for i, name in enumerate(rest):
        obj = attribute(obj, name, descriptor_ok=descriptor_ok and i == len(rest) - 1)
    return obj


def attribute(obj, name: str, *, descriptor_ok: bool = False):
    """obj.name if it can be had without running user code (see the module docstring)."""
    try:
        static = inspect.getattr_static(obj, name)
    except AttributeError:
        raise NotFound(name) from None
    if not hasattr(type(static), "__get__") or _in_instance_dict(obj, name, static):
        return static
    if isinstance(static, _SAFE_DESCRIPTORS):
        return _bind(obj, name, static)
    if descriptor_ok or (issubclass(type(obj), type) and isinstance(static, property)):
        return static  # a property read on its class is the property itself
    raise NotFound(name)


def _bind(obj, name: str, descriptor):
    """What obj.name gives for a C-level descriptor, calling its __get__ directly (getattr would
    fall back to a __getattr__ when it raises, e.g. for an unset slot)."""
    try:
        if not issubclass(type(obj), type):
            return descriptor.__get__(obj, type(obj))
        if type(obj).__getattribute__ is type.__getattribute__:
            return getattr(obj, name)  # on a class: found on it or on its metaclass
        return descriptor
    except Exception:
        raise NotFound(name) from None


def _in_instance_dict(obj, name: str, static) -> bool:
    try:
        namespace = object.__getattribute__(obj, "__dict__")
    except Exception:
        return False
    return isinstance(namespace, dict) and not issubclass(type(obj), type) and namespace.get(name, _MISSING) is static


def kind(obj) -> str:
    """The completion type of a live object, in jedi's vocabulary (no user code runs)."""
    cls = type(obj)
    if issubclass(cls, types.ModuleType):
        return "module"
    if issubclass(cls, type):
        return "class"
    if issubclass(cls, property):
        return "property"
    if issubclass(cls, _ROUTINES):
        return "function"
    return "instance"


def attribute_kind(obj, name: str) -> str:
    try:
        static = inspect.getattr_static(obj, name, _MISSING)
    except Exception:
        return "instance"
    return "instance" if static is _MISSING else kind(static)


def signature(obj) -> inspect.Signature | None:
    """The call signature of a routine, a class or a callable instance; None when there is none.
    A callable instance's comes from its class's __call__: inspect.signature(instance) would look
    up instance.__wrapped__ and __signature__, which a __getattr__ could answer."""
    what = kind(obj)
    try:
        if what in ("function", "class"):
            return inspect.signature(obj)
        call = inspect.getattr_static(type(obj), "__call__", None)
        if what != "instance" or not inspect.isfunction(call):
            return None
        sig = inspect.signature(call)
        return sig.replace(parameters=list(sig.parameters.values())[1:])
    except Exception:  # no signature (some C functions), or a broken __signature__
        return None


def signature_text(obj) -> str:
    """'(a, b=1)', or '' when there is none."""
    sig = signature(obj) if kind(obj) in ("function", "class") else None
    return "" if sig is None else str(sig)
