"""src/dockfix/model/packages.py (and requirements, system_packages): table-driven cases and a
property over pip's option table. Ground truth against pip itself: test_packages_oracle.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockfix.model.packages import (UNKNOWN, PackageAction, PackageManager, PipAction, PipFront, cleans_apt_lists,
                                    is_pip, parse_requirement, parse_requirements_text, read_pip,
                                    read_system_packages)
from dockfix.model.pip_options import COMMANDS, LEGACY
from dockfix.model.requirements import EntryKind, RequirementKind


@pytest.mark.parametrize("argv, front, interpreter, version", [
    (["pip", "install", "x"], PipFront.PIP, None, ""),
    (["pip3", "install", "x"], PipFront.PIP, None, "3"),
    (["pip3.11", "install", "x"], PipFront.PIP, None, "3.11"),
    (["/usr/local/bin/pip", "install", "x"], PipFront.PIP, None, ""),
    (["python", "-m", "pip", "install", "x"], PipFront.PYTHON_MODULE, "python", ""),
    (["python3", "-m", "pip", "install", "x"], PipFront.PYTHON_MODULE, "python3", "3"),
    (["python3.11", "-m", "pip", "install", "x"], PipFront.PYTHON_MODULE, "python3.11", "3.11"),
    (["/opt/venv/bin/python", "-m", "pip", "install", "x"], PipFront.PYTHON_MODULE, "/opt/venv/bin/python", ""),
    (["python3", "-Im", "pip", "install", "x"], PipFront.PYTHON_MODULE, "python3", "3"),
    (["python3", "-W", "ignore", "-mpip", "install", "x"], PipFront.PYTHON_MODULE, "python3", "3"),
    (["uv", "pip", "install", "x"], PipFront.UV_PIP, None, ""),
    (["uv", "--no-cache", "pip", "install", "x"], PipFront.UV_PIP, None, ""),
])
def test_every_spelling_of_pip(argv, front, interpreter, version) -> None:
    cmd = read_pip(argv)
    assert (cmd.front, cmd.interpreter, cmd.version, cmd.action) == (front, interpreter, version, PipAction.INSTALL)
    assert cmd.requirements == ("x",) and cmd.exact


@pytest.mark.parametrize("argv", [["python3", "app.py"], ["python3", "-c", "import pip"], ["python", "-m", "venv", "v"],
                                  ["pipx", "install", "x"], ["uv", "run", "x"], ["apt-get", "install", "pip"], [None]])
def test_not_pip(argv) -> None:
    assert read_pip(argv) is None and not is_pip(argv)


@pytest.mark.parametrize("argv, action", [
    (["pip", "install", "x"], PipAction.INSTALL), (["pip", "uninstall", "-y", "x"], PipAction.UNINSTALL),
    (["pip", "download", "-d", "/w", "x"], PipAction.DOWNLOAD), (["pip", "wheel", "-w", "/w", "x"], PipAction.WHEEL),
    (["pip", "freeze"], PipAction.OTHER), (["pip", "--version"], PipAction.NONE),
    (["pip", None, "x"], PipAction.UNKNOWN), (["pip", "instal", "x"], PipAction.UNKNOWN),
    (["uv", "pip", "sync", "r.txt"], PipAction.SYNC), (["uv", "sync", "--frozen"], PipAction.SYNC),
    (["uv", "pip", "compile", "r.in"], PipAction.OTHER),
])
def test_actions(argv, action) -> None:
    assert read_pip(argv).action is action


def test_uv_sync_is_an_install_from_the_project_lock() -> None:
    cmd = read_pip(["uv", "sync", "--frozen", "--no-dev"], "/app")
    assert (cmd.front, cmd.installs, cmd.value("frozen"), cmd.exact) == (PipFront.UV_SYNC, True, True, True)


@pytest.mark.parametrize("argv, dest, value", [
    (["pip", "install", "-t", "/t", "x"], "target_dir", "/t"),
    (["pip", "install", "--target=/t", "x"], "target_dir", "/t"),
    (["pip", "install", "--prefix", "/p", "x"], "prefix_path", "/p"),
    (["pip", "install", "--root", "/r", "x"], "root_path", "/r"),
    (["pip", "install", "-ihttps://i", "x"], "index_url", "https://i"),
    (["pip", "install", "--extra-index-url", "a", "--extra-index-url=b", "x"], "extra_index_urls", ("a", "b")),
    (["pip", "install", "-f", "./w", "x"], "find_links", ("./w",)),
    (["pip", "install", "-rreq.txt"], "requirements", ("req.txt",)),
    (["pip", "install", "-c", "c.txt", "x"], "constraints", ("c.txt",)),
    (["pip", "install", "-e", ".", "x"], "editables", (".",)),
    (["pip", "install", "--user", "x"], "use_user_site", True),
    (["pip", "install", "--user", "--no-user", "x"], "use_user_site", False),
    (["pip", "--no-cache-dir", "install", "x"], "cache_dir", False),
    (["pip", "install", "--no-cache", "x"], "cache_dir", False),  # optparse abbreviation
    (["pip", "-qq", "install", "-v", "x"], "quiet", 2),
    (["pip", "install", "-U", "x"], "upgrade", True),
    (["pip", "install", "-I", "x"], "ignore_installed", True),
    (["pip", "install", "--no-build-isolation", "x"], "build_isolation", False),
    (["pip", "install", "--break-system-packages", "x"], "override_externally_managed", True),
    (["pip", "install", "--root-user-action", "ignore", "x"], "root_user_action", "ignore"),
    (["pip", "install", "--progress-bar", "off", "x"], "progress_bar", "off"),
    (["pip", "install", "--platform", "manylinux2014_x86_64", "--only-binary=:all:", "x"], "platforms",
     ("manylinux2014_x86_64",)),
    (["pip", "install", "-C", "k=v", "x"], "config_settings", ("k=v",)),
    (["pip", "install", "--global-option", "build_ext", "x"], "global_options", ("build_ext",)),
    (["pip", "install", "-t", None, "x"], "target_dir", UNKNOWN),
    (["uv", "pip", "install", "--system", "-r", "r.txt"], "system", True),
    (["uv", "pip", "install", "-r=r.txt"], "requirements", ("r.txt",)),
])
def test_options(argv, dest, value) -> None:
    cmd = read_pip(argv)
    assert cmd.value(dest) == value
    assert cmd.requirements == tuple(w for w in ("x",) if "x" in argv)


@pytest.mark.parametrize("argv, why", [
    (["pip", "install", "--no-dep", "x"], "unknown option --no-dep"),  # ambiguous abbreviation: pip refuses
    (["pip", "install", "--bogus", "x"], "unknown option --bogus"),
    (["pip", "install", "--user=1", "x"], "takes no value"),
    (["pip", "install", "-r"], "has no value"),
    (["pip", "install", None, "x"], "a word is unknown"),
    (["python3", "-m", None, "install", "x"], "module python runs is unknown"),
    (["uv", "pip", "install", "--not-an-option", "x"], "unknown option"),
])
def test_what_cannot_be_read_is_unknown(argv, why) -> None:
    cmd = read_pip(argv)
    assert not cmd.exact and any(why in u for u in cmd.unknowns), cmd.unknowns


@pytest.mark.parametrize("env, dest, value", [
    ({"PIP_NO_CACHE_DIR": "1"}, "cache_dir", False),
    ({"PIP_NO_CACHE_DIR": "off"}, "cache_dir", False),  # pip disables the cache for any boolean
    ({"PIP_INDEX_URL": "https://m"}, "index_url", "https://m"),
    ({"PIP_EXTRA_INDEX_URL": "https://a https://b"}, "extra_index_urls", ("https://a", "https://b")),
    ({"PIP_USER": "yes"}, "use_user_site", True),
    ({"PIP_USER": "0"}, "use_user_site", False),
    ({"PIP_TARGET": "/t"}, "target_dir", "/t"),
    ({"PIP_PREFIX": "/p"}, "prefix_path", "/p"),
    ({"PIP_CONSTRAINT": "/c.txt"}, "constraints", ("/c.txt",)),
    ({"PIP_REQUIRE_VIRTUALENV": "true"}, "require_venv", True),
    ({"PIP_BREAK_SYSTEM_PACKAGES": "1"}, "override_externally_managed", True),
    ({"PIP_INDEX_URL": None}, "index_url", UNKNOWN),
    ({"PIP_NO_SUCH_THING": "1"}, "no_such_thing", None),  # pip ignores it
])
def test_environment(env, dest, value) -> None:
    cmd = read_pip(["pip", "install", "x"], None, env)
    assert cmd.value(dest) == value


def test_the_command_line_comes_after_the_environment() -> None:
    cmd = read_pip(["pip", "install", "-i", "https://cli", "--extra-index-url", "c", "x"], None,
                   {"PIP_INDEX_URL": "https://env", "PIP_EXTRA_INDEX_URL": "e"})
    assert (cmd.index_url, cmd.extra_index_urls) == ("https://cli", ("e", "c"))
    assert not read_pip(["pip", "install", "x"], None, {"PIP_CONFIG_FILE": "/etc/p.conf"}).exact
    assert not read_pip(["pip", "install", "x"], None, {"PIP_USER": "maybe"}).exact


@given(st.lists(st.sampled_from(sorted(n for n in COMMANDS["install"] if n not in LEGACY)), max_size=8),
       st.lists(st.sampled_from(["flask", "a==1", "./p"]), max_size=4), st.randoms())
@settings(max_examples=300, deadline=None)
def test_every_option_is_consumed_and_every_positional_is_a_requirement(names, reqs, rnd) -> None:
    parts: list[list[str]] = [[r] for r in reqs]
    for name in names:
        spec = COMMANDS["install"][name]
        if not spec.arity.takes_value:
            parts.append([name])
        elif rnd.random() < 0.5:
            parts.append([name, "VALUE"])
        else:
            parts.append([f"{name}=VALUE" if name.startswith("--") else f"{name}VALUE"])
    rnd.shuffle(parts)
    cmd = read_pip(["pip", "install", *[w for p in parts for w in p]])
    assert cmd.exact and cmd.unknown_options == ()
    assert sorted(cmd.requirements) == sorted(reqs)
    assert [o.spelled for o in cmd.options] == [p[0].split("=")[0] if p[0].startswith("--") else p[0][:2]
                                                for p in parts if p[0].startswith("-")]
    assert all(o.value == "VALUE" for o in cmd.options if o.arity.takes_value)



@given(st.lists(st.sampled_from(["install", "--user", "-r", "req.txt", "--target=t", "-i", "URL", "a==1", "--upgrade",
                                 "-e", ".", "--no-cache-dir", "--prefix", "p", None]), max_size=8),
       st.sampled_from([None, "/", "/app", "/srv/x"]), st.sampled_from([None, "/", "/app"]),
       st.sampled_from([{}, {"PIP_USER": "1"}, {"PIP_TARGET": "/t", "PIP_NO_CACHE_DIR": "off"}]))
@settings(max_examples=300, deadline=None)
def test_a_reading_asked_in_another_directory_is_the_reading_there(words, first, second, env) -> None:
    import dataclasses

    from dockfix.model import packages

    argv = ["pip", *words]
    found = read_pip(argv, first, env)
    packages._READ.clear(), packages._READ_AT.clear()
    direct = read_pip(argv, second, env)
    if found is None:
        assert direct is None
        return
    found.value("target_dir")  # its effective options are worked out, and kept by the move
    moved = packages._in_directory(found, second)
    assert moved == dataclasses.replace(found, cwd=second) == direct
    for dest in ("requirements", "target_dir", "use_user_site", "editables", "index_url", "cache_dir"):
        assert moved.value(dest) == direct.value(dest)


# -- requirement specifiers and files ----------------------------------------------------------
@pytest.mark.parametrize("text, kind, name, normalised", [
    ("Flask==2.0", RequirementKind.NAMED, "flask", "flask==2.0"),
    ("Django_Rest.Framework[B,a] >= 1.0, <2 ; python_version < '3.8'", RequirementKind.NAMED,
     "django-rest-framework", "django-rest-framework[a,b]>=1.0,<2;python_version<'3.8'"),
    ("pkg @ https://x/pkg.whl", RequirementKind.NAMED, "pkg", "pkg@https://x/pkg.whl"),
    ("git+https://g/x.git#egg=My_Pkg", RequirementKind.URL, "my-pkg", None),
    ("./local", RequirementKind.PATH, None, None), ("dist/x-1.0-py3-none-any.whl", RequirementKind.PATH, None, None),
    ("not a requirement", RequirementKind.UNKNOWN, None, None), (None, RequirementKind.UNKNOWN, None, None),
])
def test_requirement_specifiers(text, kind, name, normalised) -> None:
    req = parse_requirement(text)
    assert (req.kind, req.name) == (kind, name)
    if normalised:
        assert req.normalised() == normalised


def test_requirement_file_rules() -> None:
    text = ("# comment\nflask==2.0 # trailing\nsix \\\n  ==1.16\n#not\\\nidna\n-r ../base.txt\n--constraint=c.txt\n"
            "-e ./pkg\n--index-url ${IDX}\n--extra-index-url https://x\n--find-links ./w\n--pre\n--bogus-option\n"
            "a#b==1\nnumpy==1 --hash=sha256:aa\n${MISSING}==1\n${UNKNOWN_VAR}\n")
    f = parse_requirements_text(text, "/app/req/requirements.txt", {"IDX": "https://i", "UNKNOWN_VAR": None})
    kinds = [(e.line, e.kind) for e in f.entries]
    assert kinds == [(2, EntryKind.REQUIREMENT), (3, EntryKind.REQUIREMENT), (6, EntryKind.REQUIREMENT),
                     (7, EntryKind.INCLUDE), (8, EntryKind.CONSTRAINT), (9, EntryKind.EDITABLE),
                     (10, EntryKind.OPTION), (11, EntryKind.OPTION), (12, EntryKind.OPTION), (13, EntryKind.OPTION),
                     (14, EntryKind.UNKNOWN), (15, EntryKind.REQUIREMENT), (16, EntryKind.REQUIREMENT),
                     (17, EntryKind.REQUIREMENT), (18, EntryKind.UNKNOWN)]
    assert [r.normalised() for r in f.requirements] == ["flask==2.0", "six==1.16", "idna", "./pkg", "a#b==1",
                                                        "numpy==1", "${missing}==1"]
    assert (f.includes, f.constraints) == (("/app/base.txt",), ("/app/req/c.txt",))
    assert (f.value("index_url"), f.value("extra_index_urls"), f.value("pre")) == ("https://i", ("https://x",), True)
    assert f.entries[-5].reason and f.entries[-1].reason == "a ${VAR} it uses is unknown"


# -- apt, apk, dnf -----------------------------------------------------------------------------
@pytest.mark.parametrize("argv, manager, action, packages", [
    (["apt-get", "install", "-y", "--no-install-recommends", "libpq5=15.*", "curl~=8"], PackageManager.APT_GET,
     PackageAction.INSTALL, ("libpq5=15.*", "curl~=8")),
    (["apt-get", "-qq", "update"], PackageManager.APT_GET, PackageAction.UPDATE, ()),
    (["apt", "purge", "-y", "gcc"], PackageManager.APT, PackageAction.PURGE, ("gcc",)),
    (["apt-get", "autoremove", "-y"], PackageManager.APT_GET, PackageAction.AUTOREMOVE, ()),
    (["apt-get", "remove", "gcc"], PackageManager.APT_GET, PackageAction.REMOVE, ("gcc",)),
    (["apt-get", "-o", "Dpkg::Options::=--force-confnew", "install", "x"], PackageManager.APT_GET,
     PackageAction.INSTALL, ("x",)),
    (["apk", "add", "--no-cache", "--virtual", ".build", "gcc", "musl-dev"], PackageManager.APK,
     PackageAction.INSTALL, ("gcc", "musl-dev")),
    (["apk", "del", ".build"], PackageManager.APK, PackageAction.REMOVE, (".build",)),
    (["apk", "update"], PackageManager.APK, PackageAction.UPDATE, ()),
    # apk-tools 2 (getopt_long) and 3 (apk.c opt_parse_desc) take a unique prefix of a long option:
    # `--update` is `--update-cache`'s alone.
    (["apk", "add", "--update", "curl"], PackageManager.APK, PackageAction.INSTALL, ("curl",)),
    (["dnf", "install", "-y", "--setopt=install_weak_deps=False", "python3.11"], PackageManager.DNF,
     PackageAction.INSTALL, ("python3.11",)),
    (["yum", "-y", "update"], PackageManager.YUM, PackageAction.UPGRADE, ()),
    (["microdnf", "install", "-y", "shadow-utils"], PackageManager.MICRODNF, PackageAction.INSTALL,
     ("shadow-utils",)),
])
def test_system_packages(argv, manager, action, packages) -> None:
    cmd = read_system_packages(argv)
    assert (cmd.manager, cmd.action, cmd.packages, cmd.exact) == (manager, action, packages, True)


def test_system_package_options() -> None:
    apt = read_system_packages(["apt-get", "install", "-y", "--no-install-recommends", "x"])
    assert (apt.yes, apt.no_install_recommends) == (True, True)
    assert read_system_packages(["apt-get", "-o", "APT::Install-Recommends=false", "install", "x"]).no_install_recommends
    apk = read_system_packages(["apk", "add", "--no-cache", "-t", ".deps", "x"])
    assert (apk.no_cache, apk.virtual) == (True, ".deps")
    assert read_system_packages(["apt-get", "clean"]).cleans_cache
    assert read_system_packages(["dnf", "clean", "all"]).cleans_cache
    assert read_system_packages(["yum", "clean", "all"]).cleans_cache
    assert read_system_packages(["apk", "cache", "clean"]).cleans_cache
    assert not read_system_packages(["apt-get", "install", "--bogus", "x"]).exact
    assert not read_system_packages(["apt-get", "install", None]).exact
    assert read_system_packages(["curl", "x"]) is None


@pytest.mark.parametrize("argv, cleans", [
    (["rm", "-rf", "/var/lib/apt/lists/*"], True), (["rm", "-r", "-f", "/var/lib/apt/lists"], True),
    (["/bin/rm", "-fr", "/var/lib/apt/lists/"], True), (["rm", "-rf", "/tmp/*", "/var/lib/apt/lists/*"], True),
    (["rm", "-f", "/var/lib/apt/lists/*"], False),  # not recursive: fails on lists/partial
    (["rm", "-rf", "/var/cache/apt"], False), (["rm", "-rf", None], False), (["ls", "/var/lib/apt/lists"], False),
])
def test_cleans_apt_lists(argv, cleans) -> None:
    assert cleans_apt_lists(argv) is cleans


def test_a_reading_in_another_directory_is_the_direct_reading_there():
    from dockfix.model import packages

    argv = ("pip", "install", "-r", "req-cwd-probe.txt", "--no-cache-dir")
    first = read_pip(argv, "/a", {"PIP_NO_CACHE_DIR": "1", "HOME": "/root"})
    again = read_pip(argv, "/b", {"PIP_NO_CACHE_DIR": "1"})
    assert first.cwd == "/a" and again == packages._read_pip(argv, "/b", {"PIP_NO_CACHE_DIR": "1"})
    other_env = read_pip(argv, "/b", {"PIP_INDEX_URL": "https://x"})
    assert other_env == packages._read_pip(argv, "/b", {"PIP_INDEX_URL": "https://x"}) != again


@given(st.text(alphabet=st.sampled_from(list("aZ0-_.-")), max_size=12))
@settings(max_examples=2000)
def test_normalise_name_is_pep_503(name: str) -> None:
    import re

    from dockfix.model.requirements import normalise_name

    assert normalise_name(name) == re.sub(r"[-_.]+", "-", name).lower()


@given(st.lists(st.sampled_from([*"aZ09-_.=<>!~*+,;[]@/: ", ".zip", ".whl", "==", ">="]), max_size=12).map("".join))
@settings(max_examples=3000)
def test_normalised_requirement_is_the_parse(text: str) -> None:
    from dockfix.model.requirements import normalised_requirement

    assert normalised_requirement(text) == parse_requirement(text).normalised()


@pytest.mark.parametrize("text", ["generated-package-00001==1.1.1", "Django_Rest.Framework>=3.1", "x", "a.b~=1.0",
                                  "pkg==1.0.zip", "torch===2.0+cpu", "A!=1.*"])
def test_normalised_requirement_takes_plain_specifiers(text: str) -> None:
    from dockfix.model.requirements import normalised_requirement

    assert normalised_requirement(text) == parse_requirement(text).normalised()
