"""Build aiogram's pydantic models when they are first used, not all of them at import.

aiogram declares every Telegram type with ``defer_build`` and then, at the end of
``aiogram/types/__init__.py``, calls ``model_rebuild`` on all ~400 of them to resolve their
forward references. That loop builds every validator eagerly: ~100 MB of the ~155 MB that
``import aiogram`` adds to a process, although a running bot validates a few dozen types.

While that one module executes, ``model_rebuild`` calls that carry the namespace are not run;
the namespace's names are given to the model's module instead (aiogram imports them there for
type checking only), which is where pydantic resolves forward references when it builds a
deferred model on first use, alone or nested in another model. The same names resolve, and each
model is built once, the first time it validates or serializes. API methods (built at class
creation otherwise) get ``defer_build`` the same way. ``install()`` must run before
anything imports aiogram (``bot/__init__`` and ``telegramvault/__init__`` call it); once aiogram
is loaded it does nothing.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

TYPES_MODULE = "aiogram.types"
METHODS_BASE_MODULE = "aiogram.methods.base"
_SHARED_MARK = "__telegramvault_types_shared__"


class _DeferringLoader(importlib.abc.Loader):
    """Runs one of aiogram's model modules with its builds deferred; delegates the rest."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == TYPES_MODULE:
            with rebuilds_deferred():
                self._inner.exec_module(module)
        else:
            self._inner.exec_module(module)
            defer_method_builds(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self._inner, name)


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds aiogram's two model modules the normal way and wraps their loaders."""

    def __init__(self) -> None:
        self.pending = {TYPES_MODULE, METHODS_BASE_MODULE}

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)
        if not self.pending:
            sys.meta_path.remove(self)  # each module once
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _DeferringLoader(spec.loader)
        return spec


_FINDER = _DeferringFinder()


def install() -> None:
    """Defer aiogram's model builds in this process (idempotent; no-op once aiogram is loaded)."""
    if TYPES_MODULE in sys.modules or _FINDER in sys.meta_path:
        return
    sys.meta_path.insert(0, _FINDER)


@contextmanager
def rebuilds_deferred() -> Iterator[None]:
    """Skip ``model_rebuild(_types_namespace=...)`` of models not yet built, sharing the names."""
    from pydantic import BaseModel

    original = BaseModel.__dict__["model_rebuild"]

    def share_names(cls: type[BaseModel], *args: Any, **kwargs: Any) -> bool | None:
        namespace = kwargs.get("_types_namespace")
        if args or namespace is None or cls.__pydantic_complete__:
            return original.__func__(cls, *args, **kwargs)  # type: ignore[no-any-return]
        _share(namespace, sys.modules[cls.__module__])
        return None

    BaseModel.model_rebuild = classmethod(share_names)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        BaseModel.model_rebuild = original  # type: ignore[method-assign]


def defer_method_builds(module: ModuleType) -> None:
    """API methods (``SendMessage`` …) inherit ``defer_build``: built when first called."""
    module.TelegramMethod.model_config["defer_build"] = True


def _share(namespace: Mapping[str, Any], module: ModuleType) -> None:
    """Give a module every name of ``namespace`` it lacks (its own names stay as they are)."""
    names = vars(module)
    if names.get(_SHARED_MARK):
        return
    for name, value in namespace.items():
        names.setdefault(name, value)
    names[_SHARED_MARK] = True
