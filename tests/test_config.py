"""[tool.dockfix] and .dockfix.toml: defaults, every key, and errors that name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix.config import Config, UserConfig, load_config
from dockfix.errors import ConfigError


def write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text)
    return tmp


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()
    assert Config().user == UserConfig("appuser", 1000, 1000)


def test_pyproject_without_table_gives_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "pyproject.toml", "[project]\nname='x'\n")) == Config()


def test_every_key(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "pyproject.toml", """
[tool.dockfix]
option = 3
select = ["merge-pip-runs"]
ignore = ["root-swap"]
exclude = ["vendor", "third_party/x"]

[tool.dockfix.user]
name = "svc"
uid = 1500
gid = 1501
numeric = true

[tool.dockfix.images]
"acme/api" = { dockerfile = "docker/api/Dockerfile", context = ".", target = "runtime", args = { BASE = "acme/base" } }
"acme/base" = "docker/Dockerfile.base"

[tool.dockfix.invariants]
globs = ["settings/*.py"]
"""))
    assert (cfg.option, cfg.select, cfg.ignore, cfg.exclude) == (3, ("merge-pip-runs",), ("root-swap",), ("vendor", "third_party/x"))
    assert cfg.user == UserConfig("svc", 1500, 1501, numeric=True)
    api, base = cfg.images
    assert (api.ref, api.dockerfile, api.target, api.args) == ("acme/api", "docker/api/Dockerfile", "runtime", (("BASE", "acme/base"),))
    assert base.dockerfile == "docker/Dockerfile.base"
    assert cfg.invariant_globs == ("settings/*.py",)


def test_dockfix_toml_is_read_at_top_level(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, ".dockfix.toml", "option = 2\n")).option == 2


@pytest.mark.parametrize("text,message,line", [
    ("[tool.dockfix]\noption = 2\ncolour = true\n", "unknown key `colour`", 3),
    ("[tool.dockfix]\noption = 4\n", "`option` must be 1, 2 or 3", 2),
    ("[tool.dockfix]\noption = \"2\"\n", "`option` must be 1, 2 or 3", 2),
    ("[tool.dockfix]\nselect = \"merge-pip-runs\"\n", "`select` must be a list of strings", 2),
    ("[tool.dockfix]\nexclude = [\"../elsewhere\"]\n", "leaves the repository root", 2),
    ("[tool.dockfix]\nexclude = [\"/etc\"]\n", "leaves the repository root", 2),
    ("[tool.dockfix.user]\nname = \"app\"\nshell = \"/bin/sh\"\n", "unknown key `user.shell`", 3),
    ("[tool.dockfix.user]\nuid = 0\n", "must be positive", 2),
    ("[tool.dockfix.user]\nnumeric = \"yes\"\n", "`user.numeric` must be true or false", 2),
    ("[tool.dockfix.images]\n\"a\" = { context = \".\" }\n", "`images.a` needs `dockerfile`", 2),
    ("[tool.dockfix.images]\n\"a\" = { dockerfile = \"../D\" }\n", "leaves the repository root", None),
    ("[tool.dockfix\n", "invalid TOML", 1),
])
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str, line: int | None) -> None:
    write(tmp_path, "pyproject.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    err = info.value
    assert message in str(err)
    assert err.path == str(tmp_path / "pyproject.toml")
    if line is not None:
        assert err.line == line
    assert str(err).startswith(f"{tmp_path / 'pyproject.toml'}:")
