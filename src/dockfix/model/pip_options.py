"""pip's option table: every option string of every pip command, its arity and its destination.

Copied from pip's own parser (`pip/_internal/cli/cmdoptions.py` and `commands/*.py`, pip 26.3)
plus the options older pips still found in images accept (`--global-option`, `--build-option`,
`--install-option`, `--no-use-pep517`, `--egg`): an image's pip version is not known, and an
option that takes a value must consume it whichever pip reads it. `tests/model/test_packages.py`
checks this table against the installed pip's parser, option by option (names, arity, dest).
Destinations are pip's own `dest` names, so a parsed command can be compared with pip's Values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Arity(enum.Enum):
    """What an option does with its value, as optparse's action says."""

    STORE = "store"  # takes a value, the last one wins
    APPEND = "append"  # takes a value, every one is kept (pip's append and list-building callbacks)
    TRUE = "store_true"  # a flag that sets its dest True
    FALSE = "store_false"  # a flag that sets its dest False
    COUNT = "count"  # -v / -q: each occurrence adds one
    NO_CACHE = "no_cache"  # --no-cache-dir: a flag that sets cache_dir to False

    @property
    def takes_value(self) -> bool:
        return self in (Arity.STORE, Arity.APPEND)


@dataclass(frozen=True)
class OptionSpec:
    names: tuple[str, ...]  # every spelling, short ones first: ("-i", "--index-url", "--pypi-url")
    arity: Arity
    dest: str  # pip's dest
    # The canonical spelling: pip's first long name (read for every option of every command).
    name: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", next((n for n in self.names if n.startswith("--")), self.names[0]))


# One line per option: "spellings arity dest" (arity: s store, a append, t true, f false, c count,
# n no-cache). pip's value callbacks are STORE or APPEND by what they keep.
_GENERAL = """
-h/--help t help
--debug t debug_mode
--isolated t isolated_mode
--require-virtualenv/--require-venv t require_venv
--python s python
-v/--verbose c verbose
-q/--quiet c quiet
--log/--log-file/--local-log s log
--no-input t no_input
--keyring-provider s keyring_provider
--proxy s proxy
--no-proxy-env t no_proxy_env
--retries s retries
--resume-retries s resume_retries
--timeout/--default-timeout s timeout
--exists-action a exists_action
--trusted-host a trusted_hosts
--cert s cert
--client-cert s client_cert
--cache-dir s cache_dir
--no-cache-dir n cache_dir
--disable-pip-version-check t disable_pip_version_check
--no-color t no_color
--no-python-version-warning t no_python_version_warning
--use-feature a features_enabled
--use-deprecated a deprecated_features_enabled
"""

_INDEX = """
-i/--index-url/--pypi-url s index_url
--extra-index-url a extra_index_urls
--no-index t no_index
-f/--find-links a find_links
--refresh-package a refresh_package
--uploaded-prior-to s uploaded_prior_to
"""

_FORMATS = """
--pre t pre
--all-releases a release_control
--only-final a release_control
--no-binary a format_control
--only-binary a format_control
--prefer-binary t prefer_binary
"""

_TARGET_PYTHON = """
--platform a platforms
--python-version s python_version
--implementation s implementation
--abi a abis
"""

_RESOLVE = """
-r/--requirement a requirements
-c/--constraint a constraints
--build-constraint a build_constraints
--requirements-from-script a requirements_from_scripts
--no-deps/--no-dependencies t ignore_dependencies
--only-deps/--only-dependencies t only_dependencies
--src/--source/--source-dir/--source-directory s src_dir
--ignore-requires-python t ignore_requires_python
--no-build-isolation f build_isolation
--use-pep517 t use_pep517
--no-use-pep517 f use_pep517
--check-build-dependencies t check_build_deps
--require-hashes t require_hashes
--no-require-hashes t no_require_hashes
--progress-bar s progress_bar
--group a dependency_groups
--no-clean t no_clean
--global-option a global_options
--build-option a build_options
"""

_EDITABLE = """
-e/--editable a editables
-C/--config-settings a config_settings
"""

_INSTALL = """
--dry-run t dry_run
-t/--target s target_dir
--user t use_user_site
--no-user f use_user_site
--root s root_path
--prefix s prefix_path
-U/--upgrade t upgrade
--upgrade-strategy s upgrade_strategy
--force-reinstall t force_reinstall
-I/--ignore-installed t ignore_installed
--break-system-packages t override_externally_managed
--compile t compile
--no-compile f compile
--no-warn-script-location f warn_script_location
--no-warn-conflicts f warn_about_conflicts
--root-user-action s root_user_action
--report s json_report_file
--install-option a install_options
--egg t as_egg
"""

_DOWNLOAD = """
-d/--dest/--destination-dir/--destination-directory s download_dir
"""

_WHEEL = """
-w/--wheel-dir s wheel_dir
--no-verify t no_verify
-C/--config-settings a config_settings
-e/--editable a editables
"""

_LOCK = """
-o/--output s output_file
-e/--editable a editables
-C/--config-settings a config_settings
"""

_UNINSTALL = """
-r/--requirement a requirements
-y/--yes t yes
--root-user-action s root_user_action
--break-system-packages t override_externally_managed
"""

_OTHERS = {
    "freeze": """-r/--requirement a requirements
-l/--local t local
--user t user
--path a path
--all t freeze_all
--exclude-editable t exclude_editable
--exclude a excludes""",
    "inspect": "--local t local\n--user t user\n--path a path",
    "list": """-o/--outdated t outdated
-u/--uptodate t uptodate
-e/--editable t editable
-l/--local t local
--user t user
--path a path
--format s list_format
--not-required t not_required
--exclude-editable f include_editable
--include-editable t include_editable
--exclude a excludes
""" + _INDEX + _FORMATS,
    "show": "-f/--files t files",
    "check": "",
    "config": "--editor s editor\n--global t global_file\n--user t user_file\n--site t site_file",
    "search": "-i/--index s index",
    "cache": "--format s list_format",
    "index": _TARGET_PYTHON + "--ignore-requires-python t ignore_requires_python\n--json t json\n" + _INDEX + _FORMATS,
    "hash": "-a/--algorithm s algorithm",
    "completion": "-b/--bash t shell\n-z/--zsh t shell\n-f/--fish t shell\n-p/--powershell t shell",
    "debug": _TARGET_PYTHON,
    "help": "",
}

_ARITY = {"s": Arity.STORE, "a": Arity.APPEND, "t": Arity.TRUE, "f": Arity.FALSE, "c": Arity.COUNT,
          "n": Arity.NO_CACHE}


def option_table(*blocks: str) -> dict[str, OptionSpec]:
    out: dict[str, OptionSpec] = {}
    for block in blocks:
        for line in filter(None, map(str.strip, block.splitlines())):
            names, arity, dest = line.split()
            spec = OptionSpec(tuple(names.split("/")), _ARITY[arity], dest)
            for name in spec.names:
                out[name] = spec
    return out


# pip's main parser (before the sub-command) also has --version.
GENERAL: dict[str, OptionSpec] = option_table(_GENERAL, "-V/--version t version")
COMMANDS: dict[str, dict[str, OptionSpec]] = {
    "install": option_table(_RESOLVE, _EDITABLE, _INSTALL, _TARGET_PYTHON, _FORMATS, _INDEX, _GENERAL),
    "download": option_table(_RESOLVE, _DOWNLOAD, _TARGET_PYTHON, _FORMATS, _INDEX, _GENERAL),
    "wheel": option_table(_RESOLVE, _WHEEL, _FORMATS, _INDEX, _GENERAL),
    "lock": option_table(_RESOLVE, _LOCK, _FORMATS, _INDEX, _GENERAL),
    "uninstall": option_table(_UNINSTALL, _GENERAL),
    **{name: option_table(block, _GENERAL) for name, block in _OTHERS.items()},
}

# Spellings older pips accept that pip 26.3 no longer has (the test of this table allows them).
LEGACY: frozenset[str] = frozenset({"--global-option", "--build-option", "--install-option", "--no-use-pep517",
                                    "--egg"})

# The options a requirements file may hold on a line of its own, and per requirement
# (pip req_file.SUPPORTED_OPTIONS, SUPPORTED_OPTIONS_REQ).
REQUIREMENT_FILE: dict[str, OptionSpec] = option_table("""
-i/--index-url/--pypi-url s index_url
--extra-index-url a extra_index_urls
--no-index t no_index
-c/--constraint a constraints
-r/--requirement a requirements
-e/--editable a editables
-f/--find-links a find_links
--no-binary a format_control
--only-binary a format_control
--prefer-binary t prefer_binary
--require-hashes t require_hashes
--no-require-hashes t no_require_hashes
--pre t pre
--all-releases a release_control
--only-final a release_control
--trusted-host a trusted_hosts
--use-feature a features_enabled
--hash a hashes
-C/--config-settings a config_settings
""")

