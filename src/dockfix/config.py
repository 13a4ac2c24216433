"""Configuration: `[tool.dockfix]` in ROOT/pyproject.toml, or ROOT/.dockfix.toml.

Every key is checked: an unknown key or a wrong type is an error naming the file, the
line and the key. Paths may not leave ROOT.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dockfix.errors import ConfigError


@dataclass(frozen=True)
class UserConfig:
    name: str = "appuser"
    uid: int = 1000
    gid: int = 1000
    numeric: bool = False  # non-root writes `USER uid:gid` (runAsNonRoot can verify it) instead of `USER name`


@dataclass(frozen=True)
class ImageConfig:
    ref: str
    dockerfile: str
    context: str = "."
    target: str | None = None
    args: tuple[tuple[str, str], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Config:
    source: str | None = None  # the file it came from
    option: int | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    user: UserConfig = field(default_factory=UserConfig)
    images: tuple[ImageConfig, ...] = ()
    invariant_globs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


TOP_KEYS = {"option", "select", "ignore", "user", "images", "invariants", "exclude"}
USER_KEYS = {"name", "uid", "gid", "numeric"}
IMAGE_KEYS = {"dockerfile", "context", "target", "args"}
INVARIANT_KEYS = {"globs"}
_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def load_config(root: str | Path) -> Config:
    root = Path(root)
    dedicated = root / ".dockfix.toml"
    pyproject = root / "pyproject.toml"
    if dedicated.is_file():
        return _from_file(dedicated, None)
    if pyproject.is_file():
        return _from_file(pyproject, ("tool", "dockfix"))
    return Config()


def _from_file(path: Path, table: tuple[str, ...] | None) -> Config:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=str(path)) from None
    tomllib = _tomllib()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise ConfigError(f"invalid TOML: {err}", path=str(path),
                          line=int(m.group(1)) if m else None) from None
    if table is not None:
        for key in table:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        if not data:
            return Config()
    return _Parser(path, text).parse(data)


def _tomllib():
    # Imported only when a file is read: most roots have none, and it is 3 ms of every start.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


class _Parser:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def line_of(self, key: str) -> int | None:
        pat = re.compile(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=|^\s*\[.*\b{re.escape(key)}\]")
        for i, line in enumerate(self.lines, 1):
            if pat.search(line):
                return i
        return None

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{message}", path=str(self.path), line=self.line_of(key.split(".")[-1]))

    def _type(self, key: str, value, kind, what: str):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"`{key}` must be {what}")
        return value

    def _strings(self, key: str, value) -> tuple[str, ...]:
        self._type(key, value, list, "a list of strings")
        for v in value:
            self._type(key, v, str, "a list of strings")
        return tuple(value)

    def _path(self, key: str, value: str) -> str:
        self._type(key, value, str, "a path")
        p = PurePosixPath(value)
        if p.is_absolute() or ".." in p.parts:
            raise self.error(key, f"`{key}` = {value!r} leaves the repository root")
        return str(p)

    def _unknown(self, data: dict, known: set[str], where: str) -> None:
        for key in data:
            if key not in known:
                dotted = f"{where}.{key}" if where else key
                raise self.error(key, f"unknown key `{dotted}` (known: {', '.join(sorted(known))})")

    def parse(self, data: dict) -> Config:
        self._unknown(data, TOP_KEYS, "")
        kw: dict = {"source": str(self.path)}
        if "option" in data:
            kw["option"] = self._option(data["option"])
        for key in ("select", "ignore"):
            if key in data:
                kw[key] = self._strings(key, data[key])
        if "exclude" in data:
            kw["exclude"] = tuple(self._path("exclude", p) for p in self._strings("exclude", data["exclude"]))
        if "user" in data:
            kw["user"] = self._user(data["user"])
        if "images" in data:
            images = self._type("images", data["images"], dict, "a table of image references")
            kw["images"] = tuple(self._image(ref, spec) for ref, spec in images.items())
        if "invariants" in data:
            inv = self._type("invariants", data["invariants"], dict, "a table")
            self._unknown(inv, INVARIANT_KEYS, "invariants")
            if "globs" in inv:
                kw["invariant_globs"] = tuple(self._path("globs", g) for g in self._strings("invariants.globs", inv["globs"]))
        return Config(**kw)

    def _option(self, value: object) -> int:
        opt = self._type("option", value, int, "1, 2 or 3")
        if opt not in (1, 2, 3):
            raise self.error("option", "`option` must be 1, 2 or 3")
        return opt

    def _user(self, value: object) -> UserConfig:
        user = self._type("user", value, dict, "a table")
        self._unknown(user, USER_KEYS, "user")
        name = self._type("user.name", user.get("name", "appuser"), str, "a user name")
        if not _NAME.match(name):
            raise self.error("name", f"`user.name` = {name!r} is not a valid user name")
        uid = self._type("user.uid", user.get("uid", 1000), int, "an integer")
        gid = self._type("user.gid", user.get("gid", uid), int, "an integer")
        if uid <= 0 or gid <= 0:
            raise self.error("uid", "`user.uid`/`user.gid` must be positive (0 is root)")
        numeric = self._type("user.numeric", user.get("numeric", False), bool, "true or false")
        return UserConfig(name, uid, gid, numeric)

    def _image(self, ref: str, spec: object) -> ImageConfig:
        if isinstance(spec, str):
            spec = {"dockerfile": spec}
        self._type(f"images.{ref}", spec, dict, "a Dockerfile path or a table")
        self._unknown(spec, IMAGE_KEYS, f"images.{ref}")
        if "dockerfile" not in spec:
            raise self.error(ref, f"`images.{ref}` needs `dockerfile`")
        args = self._type(f"images.{ref}.args", spec.get("args", {}), dict, "a table")
        for k, v in args.items():
            self._type(f"images.{ref}.args.{k}", v, str, "a string")
        target = spec.get("target")
        if target is not None:
            self._type(f"images.{ref}.target", target, str, "a stage name")
        return ImageConfig(
            ref=ref, dockerfile=self._path(f"images.{ref}.dockerfile", spec["dockerfile"]),
            context=self._path(f"images.{ref}.context", spec.get("context", ".")),
            target=target, args=tuple(sorted(args.items())), line=self.line_of(ref))
