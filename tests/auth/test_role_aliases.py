"""Role aliases: one name, one role set (STYLE.md "Role aliases per domain").

Each domain names its aliases in `app/<domain>/auth.py` (`AssetsRead`, `AssetsWrite`, …);
the generic ones stay in app/web/auth.py. No two different role sets may share a
name, and no module other than these defines a role alias of its own."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Annotated, get_args, get_origin

from fastapi.params import Depends

import app
from app.core.roles import Role
from app.web.auth import require, roles_of

_APP = Path(app.__file__).parent


def _role_aliases(module: ModuleType) -> dict[str, tuple[object, frozenset[Role]]]:
    """The module's attributes that are `Annotated[..., Depends(require(...))]`: name →
    (the alias itself, its roles)."""
    found: dict[str, tuple[object, frozenset[Role]]] = {}
    for name, value in vars(module).items():
        if get_origin(value) is not Annotated:
            continue
        for extra in get_args(value)[1:]:
            if isinstance(extra, Depends):
                roles = roles_of(extra.dependency)
                if roles is not None:
                    found[name] = (value, roles)
    return found


def _auth_modules() -> list[ModuleType]:
    # The domains' `auth.py` and app/web/auth.py (the generic ones).
    names = sorted(f"app.{p.parent.name}.auth" for p in _APP.glob("*/auth.py"))
    return [importlib.import_module(n) for n in names]


def _all_modules() -> list[ModuleType]:
    return [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages([str(_APP)], prefix="app.")
        if not info.name.endswith("__main__")
    ]


def test_roles_are_read_back_from_require() -> None:
    assert roles_of(require(Role.operator, Role.auditor)) == {Role.operator, Role.auditor}
    assert roles_of(lambda: None) is None


def test_every_domain_with_aliases_has_its_auth_module() -> None:
    modules = _auth_modules()
    assert len(modules) >= 10  # dependencies + the domains' auth.py
    for module in modules:
        assert _role_aliases(module), f"{module.__name__} names no role alias"


def test_one_name_one_role_set() -> None:
    seen: dict[str, tuple[frozenset[Role], str]] = {}
    for module in _auth_modules():
        for name, (_, roles) in _role_aliases(module).items():
            if name in seen:
                assert seen[name][0] == roles, (
                    f"{name} admits {sorted(seen[name][0])} in {seen[name][1]} "
                    f"but {sorted(roles)} in {module.__name__}"
                )
            seen[name] = (roles, module.__name__)
    assert seen["StaffRead"][0] == {Role.operator, Role.auditor}
    assert seen["AssetsRead"][0] == {Role.operator, Role.merchant, Role.auditor}
    assert "Reader" not in seen


def test_no_module_defines_its_own_alias() -> None:
    """Routers and services import their aliases from an auth module; an alias defined
    anywhere else (a second `Reader`) fails here, naming where."""
    homes = {
        id(alias): module.__name__
        for module in _auth_modules()
        for alias, _ in _role_aliases(module).values()
    }
    strays = [
        f"{module.__name__}.{name} {sorted(roles)}"
        for module in _all_modules()
        for name, (alias, roles) in _role_aliases(module).items()
        if id(alias) not in homes
    ]
    assert strays == []
