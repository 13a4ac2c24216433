"""What sourcing a virtual environment's POSIX `activate` script does to the shell's variables.

`model.shell` reads `. DIR/bin/activate` with this effect when the caller names DIR as a venv
whose script is the one its tool wrote (`model.venv` decides that). The scripts differ by tool
and version (CPython's `venv` 3.8 to 3.13, virtualenv 20/21, uv), so the effect states only
what all of them do, and makes unknown what one of them does differently:

- `deactivate nondestructive` first: restores PATH, PYTHONHOME and PS1 from `_OLD_VIRTUAL_*`
  when those are set, then unsets VIRTUAL_ENV and VIRTUAL_ENV_PROMPT;
- `VIRTUAL_ENV=DIR`, exported (a Windows `OSTYPE` makes it a `cygpath` of DIR: unknown);
- `_OLD_VIRTUAL_PATH=$PATH`, then `PATH=DIR/bin:$PATH`, exported (virtualenv 21 writes no `:`
  when PATH is empty: unknown then);
- a non-empty PYTHONHOME is saved in `_OLD_VIRTUAL_PYTHONHOME` and unset (an empty one: uv and
  virtualenv unset it, CPython keeps it: unknown);
- PS1 and VIRTUAL_ENV_PROMPT: set or not, exported or not, by version and prompt options
  (`VIRTUAL_ENV_DISABLE_PROMPT` non-empty leaves PS1 alone in all of them): unknown;
- virtualenv 21 also sets PKG_CONFIG_PATH (and may set TCL_LIBRARY, TK_LIBRARY): unknown;
- the functions `deactivate` (and `pydoc`: uv, virtualenv) are defined: `FUNCTIONS`;
- `hash -r`, `uname`, `basename`: nothing the reader follows.

The scripts' own bookkeeping names (`_OLD_VIRTUAL_*`, `SCRIPT_PATH` …) and the shell names they
test (`OSTYPE`, `BASH_VERSION` …) are taken as unset unless the reader's state has them, as
`model.shell` takes CDPATH: no base image sets them, and the Dockerfile's ENV reaches the state.
Tested against the real scripts under /bin/sh (tests/model/test_venv_activate.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

FUNCTIONS = ("deactivate", "pydoc")
# Names a script version sets with a value, or an export, this module does not state.
_MAYBE_EXPORTED = ("VIRTUAL_ENV_PROMPT", "PKG_CONFIG_PATH", "TCL_LIBRARY", "TK_LIBRARY")
# Plain shell variables some version sets (their values are not stated).
_BOOKKEEPING = ("_OLD_VIRTUAL_PYTHONHOME", "_OLD_VIRTUAL_PS1", "_OLD_PKG_CONFIG_PATH", "_OLD_VIRTUAL_TCL_LIBRARY",
                "_OLD_VIRTUAL_TK_LIBRARY", "_OLD_VIRTUAL_PSVAR", "SCRIPT_PATH", "_OLD_SCRIPT_PATH", "CURRENT_ENV",
                "CURRENT_PATH", "CURRENT_DIR", "_VIRTUAL_PROMPT")


class Var(Protocol):
    """One variable as `model.shell` keeps it (its `_Var`)."""

    value: str | None  # None: unknown
    exported: bool | None  # None: unknown
    unset: bool


# (value, exported, unset), as `model.shell._Var` takes them
Effect = dict[str, tuple[str | None, bool | None, bool]]
_UNSET = ("", False, True)


def activation(venv: str, variables: Mapping[str, Var], complete: bool) -> Effect:
    """The variables that `. VENV/bin/activate` sets or unsets, from the state `variables`
    (`complete`: a name not in it is unset; else unknown, except the scripts' own names)."""

    def get(name: str) -> tuple[str | None, bool | None, bool]:
        var = variables.get(name)
        if var is not None:
            return var.value, var.exported, var.unset
        return _UNSET if complete else (None, None, False)

    def plain(name: str, value: str | None) -> tuple[str | None, bool | None, bool]:
        """An assignment keeps the name's export attribute (taken unset, so not exported, if absent)."""
        var = variables.get(name)
        return value, (var.exported if var is not None else False), False

    out: Effect = {name: (None, None, False) for name in _MAYBE_EXPORTED}
    out.update({name: plain(name, None) for name in _BOOKKEEPING})
    path = _path_before(variables, get)
    ostype = variables.get("OSTYPE")
    windows = ostype is not None and not ostype.unset and ostype.value not in ("linux-gnu", "linux")
    directory = None if windows else venv
    out["VIRTUAL_ENV"] = (directory, True, False)
    out["_OLD_VIRTUAL_PATH"] = plain("_OLD_VIRTUAL_PATH", path)
    out["PATH"] = (f"{directory}/bin:{path}" if directory is not None and path else None, True, False)
    out.update(_pythonhome(variables, get))
    out["PS1"] = _ps1(variables, get)
    return out


def _path_before(variables: Mapping[str, Var], get) -> str | None:
    """PATH after `deactivate nondestructive`: `_OLD_VIRTUAL_PATH` when it is set and non-empty."""
    old = variables.get("_OLD_VIRTUAL_PATH")
    if old is not None and not old.unset:
        return old.value or None  # empty: versions differ (`:+` or `+x`)
    value, _, unset = get("PATH")
    return None if unset else value


def _pythonhome(variables: Mapping[str, Var], get) -> Effect:
    old = variables.get("_OLD_VIRTUAL_PYTHONHOME")
    value, exported, unset = get("PYTHONHOME")
    if (old is not None and not old.unset) or value is None or (value == "" and not unset):
        return {"PYTHONHOME": (None, None, False)}  # restored first, unknown, or empty (versions differ)
    if unset:
        return {}
    saved = variables.get("_OLD_VIRTUAL_PYTHONHOME")
    return {"PYTHONHOME": _UNSET,
            "_OLD_VIRTUAL_PYTHONHOME": (value, saved.exported if saved is not None else False, False)}


def _ps1(variables: Mapping[str, Var], get) -> tuple[str | None, bool | None, bool]:
    old = variables.get("_OLD_VIRTUAL_PS1")
    disabled, _, _ = get("VIRTUAL_ENV_DISABLE_PROMPT")
    if (old is None or old.unset) and disabled:  # a non-empty value: no version touches PS1
        return get("PS1")
    return None, None, False
