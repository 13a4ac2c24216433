"""uv's option tables: `uv pip install|sync|uninstall` and `uv sync` (uv 0.13.8).

Each block is what `uv <command> --help` lists, with pip's dests where the meaning is pip's
(requirements, constraints, editables, target_dir, index_url, …); uv's hidden aliases are not
here, so uv accepting one is read as an unknown option (inexact, never skipped).
`tests/model/test_packages_oracle.py` checks the blocks and the environment variables against
the installed uv's own help.
"""

from __future__ import annotations

from dockfix.model.pip_options import OptionSpec, option_table

# Groups of lines as `uv <command> --help` lists them; each command's table is the groups its
# help shows (a group here is only a way to write each line once).
_GLOBAL = """
-n/--no-cache t no_cache
--cache-dir s cache_dir
-p/--python s python
--managed-python t managed_python
--no-managed-python f managed_python
--no-python-downloads t no_python_downloads
-q/--quiet c quiet
-v/--verbose c verbose
--color s color
--system-certs t system_certs
--offline t offline
--allow-insecure-host a trusted_hosts
--no-progress t no_progress
--directory s directory
--project s project
--config-file s config_file
-h/--help t help
"""
_NO_CONFIG = "--no-config t no_config"  # all but `uv pip sync`

_INDEX = """
--index a index
--default-index s index_url
-i/--index-url s index_url
--extra-index-url a extra_index_urls
-f/--find-links a find_links
--no-index t no_index
--index-strategy s index_strategy
--keyring-provider s keyring_provider
--refresh t refresh
--refresh-package a refresh_package
"""

_RESOLVER = """
-U/--upgrade t upgrade
-P/--upgrade-package a upgrade_package
--upgrade-group a upgrade_group
--resolution s resolution
--prerelease s prerelease
--prerelease-package a prerelease_package
--fork-strategy s fork_strategy
"""

_INSTALLER = """
--exclude-newer s exclude_newer
--exclude-newer-package a exclude_newer_package
--no-sources t no_sources
--no-sources-package a no_sources_package
--reinstall t force_reinstall
--reinstall-package a reinstall_package
--link-mode s link_mode
--compile-bytecode t compile_bytecode
-C/--config-setting a config_settings
--config-settings-package a config_settings_package
--no-build-isolation t no_build_isolation
"""
_NO_BUILD_ISOLATION_PACKAGE = "--no-build-isolation-package a no_build_isolation_package"

_PIP_TARGET = """
--system t system
--break-system-packages t override_externally_managed
--no-break-system-packages f override_externally_managed
-t/--target s target_dir
--prefix s prefix_path
--dry-run t dry_run
--cert s cert
"""

# What `uv pip install` and `uv pip sync` share beyond the groups above.
_PIP_REQUIREMENTS = """
-c/--constraints a constraints
-b/--build-constraints a build_constraints
--extra a extra
--all-extras t all_extras
--group a dependency_groups
--require-hashes t require_hashes
--no-verify-hashes t no_verify_hashes
--require-build-hashes t require_build_hashes
--no-build t no_build
--no-binary a no_binary
--only-binary a only_binary
--python-version s python_version
--python-platform s python_platform
--strict t strict
--check t check
--output-format s output_format
--torch-backend s torch_backend
"""

_PIP_INSTALL_OWN = """
-r/--requirements a requirements
-e/--editable a editables
--no-editable t no_editable
--no-editable-package a no_editable_package
--overrides a overrides
--excludes a excludes
--no-deps t ignore_dependencies
--exact t exact
--user t use_user_site
"""

_PIP_SYNC_OWN = """
--allow-empty-requirements t allow_empty_requirements
--no-allow-empty-requirements f allow_empty_requirements
"""

_PIP_UNINSTALL_OWN = """
-r/--requirements a requirements
--keyring-provider s keyring_provider
"""

_SYNC_OWN = """
--extra a extra
--output-format s output_format
--all-extras t all_extras
--no-extra a no_extra
--no-dev t no_dev
--only-dev t only_dev
--group a dependency_groups
--no-group a no_group
--no-default-groups t no_default_groups
--only-group a only_group
--all-groups t all_groups
--no-editable t no_editable
--no-editable-package a no_editable_package
--inexact t inexact
--active t active
--no-install-project t no_install_project
--no-install-workspace t no_install_workspace
--no-install-local t no_install_local
--no-install-package a no_install_package
--locked t locked
--frozen t frozen
--dry-run t dry_run
--all-packages t all_packages
--package a package
--script s script
--python-platform s python_platform
--check t check
--no-build t no_build
--no-build-package a no_build_package
--no-binary t no_binary
--no-binary-package a no_binary_package
--require-build-hashes t require_build_hashes
--no-require-build-hashes f require_build_hashes
"""

# Spellings `uv pip install` accepts without listing them (found by asking uv: it accepts each,
# and asks for a value exactly for the value options); the oracle test asks it again.
_PIP_INSTALL_HIDDEN = """
--requirement a requirements
--constraint a constraints
--override a overrides
--build-constraint a build_constraints
--config-settings a config_settings
--trusted-host a trusted_hosts
--exclude a excludes
--python-preference s python_preference
--compile t compile_bytecode
--no-compile f compile_bytecode
--no-compile-bytecode f compile_bytecode
--force-reinstall t force_reinstall
--no-reinstall f force_reinstall
--no-upgrade f upgrade
--pre t pre
--preview t preview
--isolated t isolated
--build-isolation t build_isolation
--no-strict f strict
--no-system f system
--native-tls t native_tls
--no-native-tls f native_tls
--no-all-extras f all_extras
--verify-hashes t verify_hashes
--no-require-hashes f require_hashes
--deps f ignore_dependencies
"""

PIP_INSTALL: dict[str, OptionSpec] = option_table(
    _PIP_INSTALL_OWN, _PIP_REQUIREMENTS, _PIP_TARGET, _INDEX, _RESOLVER, _INSTALLER,
    _NO_BUILD_ISOLATION_PACKAGE, _GLOBAL, _NO_CONFIG, _PIP_INSTALL_HIDDEN)
HIDDEN: frozenset[str] = frozenset(option_table(_PIP_INSTALL_HIDDEN))
PIP_SYNC: dict[str, OptionSpec] = option_table(
    _PIP_SYNC_OWN, _PIP_REQUIREMENTS, _PIP_TARGET, _INDEX, _INSTALLER, _GLOBAL)
PIP_UNINSTALL: dict[str, OptionSpec] = option_table(_PIP_UNINSTALL_OWN, _PIP_TARGET, _GLOBAL, _NO_CONFIG)
SYNC: dict[str, OptionSpec] = option_table(
    _SYNC_OWN, _INDEX, _RESOLVER, _INSTALLER, _NO_BUILD_ISOLATION_PACKAGE, _GLOBAL, _NO_CONFIG)
# The options uv reads before a sub-command (global ones: every command has them).
GLOBAL: dict[str, OptionSpec] = {n: s for n, s in PIP_UNINSTALL.items() if n in SYNC and n in PIP_INSTALL
                                 and s.dest in ("no_cache", "cache_dir", "python", "managed_python",
                                                "no_python_downloads", "quiet", "verbose", "color", "system_certs",
                                                "offline", "trusted_hosts", "no_progress", "directory", "project",
                                                "config_file", "no_config", "help", "cert")}
# Other `uv pip` commands (compile, freeze, list, show, tree, check) install nothing; read with
# install's table, an option they do not share is unknown.
COMMANDS: dict[str, dict[str, OptionSpec]] = {"install": PIP_INSTALL, "sync": PIP_SYNC, "uninstall": PIP_UNINSTALL}

# Environment variables that stand for an option: what the help lists ([env: …]), plus the
# index variables uv documents but hides from the help (UV_INDEX_URL, UV_EXTRA_INDEX_URL, …).
ENV: dict[str, str] = {
    "UV_NO_EDITABLE": "--no-editable", "UV_CONSTRAINT": "--constraints", "UV_OVERRIDE": "--overrides",
    "UV_EXCLUDE": "--excludes", "UV_BUILD_CONSTRAINT": "--build-constraints",
    "UV_REQUIRE_HASHES": "--require-hashes", "UV_NO_VERIFY_HASHES": "--no-verify-hashes",
    "UV_SYSTEM_PYTHON": "--system", "UV_BREAK_SYSTEM_PACKAGES": "--break-system-packages",
    "UV_TORCH_BACKEND": "--torch-backend", "UV_INDEX_STRATEGY": "--index-strategy",
    "UV_KEYRING_PROVIDER": "--keyring-provider", "UV_RESOLUTION": "--resolution", "UV_PRERELEASE": "--prerelease",
    "UV_FORK_STRATEGY": "--fork-strategy", "UV_EXCLUDE_NEWER": "--exclude-newer", "UV_NO_SOURCES": "--no-sources",
    "UV_NO_SOURCES_PACKAGE": "--no-sources-package", "UV_LINK_MODE": "--link-mode",
    "UV_COMPILE_BYTECODE": "--compile-bytecode", "UV_NO_BUILD_ISOLATION": "--no-build-isolation",
    "UV_NO_CACHE": "--no-cache", "UV_CACHE_DIR": "--cache-dir", "UV_PYTHON": "--python",
    "UV_MANAGED_PYTHON": "--managed-python", "UV_NO_MANAGED_PYTHON": "--no-managed-python",
    "UV_SYSTEM_CERTS": "--system-certs", "UV_OFFLINE": "--offline", "UV_INSECURE_HOST": "--allow-insecure-host",
    "UV_NO_PROGRESS": "--no-progress", "UV_WORKING_DIR": "--directory", "UV_PROJECT": "--project",
    "UV_CONFIG_FILE": "--config-file", "UV_NO_CONFIG": "--no-config", "UV_NO_DEV": "--no-dev",
    "UV_NO_GROUP": "--no-group", "UV_NO_DEFAULT_GROUPS": "--no-default-groups",
    "UV_NO_INSTALL_PROJECT": "--no-install-project", "UV_NO_INSTALL_WORKSPACE": "--no-install-workspace",
    "UV_NO_INSTALL_LOCAL": "--no-install-local", "UV_LOCKED": "--locked", "UV_FROZEN": "--frozen",
    "UV_NO_BUILD": "--no-build", "UV_NO_BUILD_PACKAGE": "--no-build-package", "UV_NO_BINARY": "--no-binary",
    "UV_NO_BINARY_PACKAGE": "--no-binary-package", "UV_INDEX_URL": "--index-url",
    "UV_EXTRA_INDEX_URL": "--extra-index-url", "UV_INDEX": "--index", "UV_DEFAULT_INDEX": "--default-index",
    "UV_FIND_LINKS": "--find-links",
}

HIDDEN_ENV: frozenset[str] = frozenset({"UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX",
                                         "UV_FIND_LINKS"})
