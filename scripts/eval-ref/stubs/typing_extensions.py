"""Debian's typing_extensions (4.4) with one addition lm-eval's result_schema.py needs: the PEP 728
`extra_items=` class keyword of TypedDict (typing only; it changes no behaviour), dropped on the way in."""
import importlib.util as _util
import sys as _sys

_spec = _util.spec_from_file_location("typing_extensions", "/usr/lib/python3/dist-packages/typing_extensions.py")
_real = _util.module_from_spec(_spec)
_sys.modules["typing_extensions"] = _real
_spec.loader.exec_module(_real)

_meta_new = _real._TypedDictMeta.__new__


def _new(cls, name, bases, ns, total=True, **kwargs):
    kwargs.pop("extra_items", None)
    kwargs.pop("closed", None)
    return _meta_new(cls, name, bases, ns, total=total, **kwargs)


_real._TypedDictMeta.__new__ = _new

if not hasattr(_real, "deprecated"):
    def _deprecated(message, *, category=DeprecationWarning, stacklevel=1):
        """PEP 702 `@deprecated` (typing_extensions 4.5+): lm-eval only decorates old entry points with it."""
        def wrap(obj):
            return obj
        return wrap

    _real.deprecated = _deprecated
