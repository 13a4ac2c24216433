"""apt-get/apt, apk and dnf/yum/microdnf commands: what they install, remove and clean.

Options are read from each manager's own option list (apt-get(8), apk(8), dnf(8)); an option not
in it makes the command inexact (`unknowns`), as apt and apk refuse options they do not know.
Package words keep their text (`libpq5=15.*`, `curl~=8`, `python3-dev>3.11`).
"""

from __future__ import annotations

import enum
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from dockfix.memo import Memo
from dockfix.model.argv import UNKNOWN, Grammar, ParsedOption, Unknown, Value, Word, effective, read_options
from dockfix.model.pip_options import option_table


class PackageManager(enum.Enum):
    APT_GET = "apt-get"
    APT = "apt"
    APK = "apk"
    DNF = "dnf"
    YUM = "yum"
    MICRODNF = "microdnf"


class PackageAction(enum.Enum):
    INSTALL = "install"
    REMOVE = "remove"  # apt remove, apk del, dnf remove/erase
    PURGE = "purge"  # apt purge (configuration files too)
    AUTOREMOVE = "autoremove"
    UPDATE = "update"  # refresh the package index (apt update, apk update, dnf makecache)
    UPGRADE = "upgrade"  # upgrade installed packages
    CLEAN = "clean"  # apt-get clean, dnf/yum clean all, apk cache clean
    OTHER = "other"
    NONE = "none"  # no sub-command
    UNKNOWN = "unknown"


_APT_OPTIONS = option_table("""
-y/--yes/--assume-yes t yes
--assume-no t assume_no
-q/--quiet c quiet
-d/--download-only t download_only
-f/--fix-broken t fix_broken
-m/--ignore-missing/--fix-missing t fix_missing
-s/--simulate/--just-print/--dry-run/--recon/--no-act t simulate
-u/--show-upgraded t show_upgraded
-V/--verbose-versions t verbose_versions
-b/--compile/--build t build
-h/--help t help
-v/--version t version
-o/--option a option
-c/--config-file s config_file
-t/--target-release/--default-release s target_release
-a/--host-architecture s host_architecture
-P/--build-profiles s build_profiles
--no-install-recommends f install_recommends
--install-recommends t install_recommends
--no-install-suggests f install_suggests
--install-suggests t install_suggests
--reinstall t reinstall
--no-upgrade t no_upgrade
--only-upgrade t only_upgrade
--allow-downgrades t allow_downgrades
--allow-remove-essential t allow_remove_essential
--allow-change-held-packages t allow_change_held_packages
--allow-unauthenticated t allow_unauthenticated
--allow-insecure-repositories t allow_insecure_repositories
--allow-releaseinfo-change t allow_releaseinfo_change
--force-yes t force_yes
--purge t purge
--autoremove/--auto-remove t autoremove
--no-download t no_download
--ignore-hold t ignore_hold
--print-uris t print_uris
--no-remove t no_remove
--trivial-only t trivial_only
--list-cleanup t list_cleanup
--no-list-cleanup f list_cleanup
--mark-auto t mark_auto
--no-show-upgraded f show_upgraded
--with-new-pkgs t with_new_pkgs
--fix-policy t fix_policy
--show-progress t show_progress
-U/--update t update
-S/--snapshot s snapshot
""")

# apk takes a unique prefix of a long option (apk-tools 2: getopt_long; apk-tools 3: apk.c
# opt_parse_desc, a PARTIAL match when exactly one option starts with it). `--update`, the
# spelling most Dockerfiles use, is the prefix of `--update-cache` alone in both; other
# prefixes are not read (the table holds every applet's options, not each applet's own).
_APK_OPTIONS = option_table("""
--no-cache t no_cache
-U/--update-cache/--update t update_cache
-X/--repository a repositories
--repositories-file s repositories_file
--allow-untrusted t allow_untrusted
-q/--quiet c quiet
-v/--verbose c verbose
-i/--interactive t interactive
--no-interactive f interactive
-p/--root s root
--arch s arch
--keys-dir s keys_dir
--cache-dir s cache_dir
--cache-max-age s cache_max_age
--cache-packages t cache_packages
--no-progress t no_progress
--progress t progress
--purge t purge
--force t force
--force-broken-world t force_broken_world
--force-non-repository t force_non_repository
--force-overwrite t force_overwrite
--force-old-apk t force_old_apk
--force-refresh t force_refresh
--force-missing-repositories t force_missing_repositories
--no-network t no_network
--no-check-certificate t no_check_certificate
--no-logfile t no_logfile
--no-scripts t no_scripts
--preserve-env t preserve_env
--print-arch t print_arch
--timeout s timeout
--wait s wait
--usermode t usermode
-h/--help t help
-V/--version t version
-t/--virtual s virtual
--initdb t initdb
-l/--latest t latest
-u/--upgrade t upgrade
-s/--simulate t simulate
--no-chown t no_chown
-r/--rdepends t rdepends
-a/--available t available
""")

_DNF_OPTIONS = option_table("""
-y/--assumeyes t yes
--assumeno t assume_no
-q/--quiet t quiet
-v/--verbose t verbose
-h/--help t help
--version t version
--nodocs t nodocs
--setopt a setopt
--enablerepo a enablerepo
--disablerepo a disablerepo
--repo/--repoid a repo
--installroot s installroot
--releasever s releasever
-x/--exclude a exclude
--disableexcludes a disableexcludes
--nogpgcheck t nogpgcheck
--best t best
--nobest f best
--allowerasing t allowerasing
--refresh t refresh
-C/--cacheonly t cacheonly
--noplugins t noplugins
--enableplugin a enableplugin
--disableplugin a disableplugin
--skip-broken t skip_broken
--skip-unavailable t skip_unavailable
-c/--config s config
--downloadonly t downloadonly
--downloaddir/--destdir s downloaddir
--color s color
--forcearch s forcearch
--noautoremove t noautoremove
--security t security
--bugfix t bugfix
--advisory/--advisories a advisory
--module-platform-id s module_platform_id
--setup-only t setup_only
--install-weak-deps s install_weak_deps
--disable-repo a disablerepo
--enable-repo a enablerepo
-d/--debuglevel s debuglevel
-e/--errorlevel s errorlevel
--rpmverbosity s rpmverbosity
--showduplicates t showduplicates
--obsoletes t obsoletes
-R/--randomwait s randomwait
""")

_TABLES = {PackageManager.APT_GET: _APT_OPTIONS, PackageManager.APT: _APT_OPTIONS, PackageManager.APK: _APK_OPTIONS,
           PackageManager.DNF: _DNF_OPTIONS, PackageManager.YUM: _DNF_OPTIONS, PackageManager.MICRODNF: _DNF_OPTIONS}

_ACTIONS = {
    "install": PackageAction.INSTALL, "add": PackageAction.INSTALL, "reinstall": PackageAction.INSTALL,
    "groupinstall": PackageAction.INSTALL, "localinstall": PackageAction.INSTALL,
    "remove": PackageAction.REMOVE, "erase": PackageAction.REMOVE, "del": PackageAction.REMOVE,
    "purge": PackageAction.PURGE, "autoremove": PackageAction.AUTOREMOVE,
    "update": PackageAction.UPDATE, "makecache": PackageAction.UPDATE,
    "upgrade": PackageAction.UPGRADE, "dist-upgrade": PackageAction.UPGRADE, "full-upgrade": PackageAction.UPGRADE,
    "distro-sync": PackageAction.UPGRADE,
    "clean": PackageAction.CLEAN, "autoclean": PackageAction.CLEAN,
}
# `apk update`, `apk upgrade` and yum/dnf `update` mean what they say for each manager.
_MANAGER_ACTIONS = {(PackageManager.DNF, "update"): PackageAction.UPGRADE,
                    (PackageManager.YUM, "update"): PackageAction.UPGRADE,
                    (PackageManager.MICRODNF, "update"): PackageAction.UPGRADE}


@dataclass(frozen=True)
class SystemPackageCommand:
    manager: PackageManager
    action: PackageAction
    subcommand: Word  # as written ("install", "add", "del", "clean")
    arguments: tuple[Word, ...]  # packages (text kept: "libpq5=15.*"), or clean's targets ("all")
    options: tuple[ParsedOption, ...]
    unknown_options: tuple[Word, ...]
    unknowns: tuple[str, ...]  # why this reading is not exact

    @property
    def exact(self) -> bool:
        return not self.unknowns

    def value(self, dest: str) -> Value | tuple[Value, ...] | None:
        return effective(self.options, dest)

    @property
    def packages(self) -> tuple[Word, ...]:
        installs = (PackageAction.INSTALL, PackageAction.REMOVE, PackageAction.PURGE)
        return self.arguments if self.action in installs else ()

    @property
    def yes(self) -> bool:
        return self.value("yes") is True

    @property
    def no_install_recommends(self) -> bool | Unknown:
        """apt: --no-install-recommends (or `-o APT::Install-Recommends=false`)."""
        for o in reversed(self.options):
            if o.dest == "install_recommends":
                return o.value is False
            if o.dest == "option" and isinstance(o.value, str) and o.value.lower().startswith("apt::install-recommends="):
                return o.value.split("=", 1)[1].lower() in ("0", "false", "no", "off")
            if o.dest == "option" and o.value is UNKNOWN:
                return UNKNOWN
        return False

    @property
    def no_cache(self) -> bool:
        """apk --no-cache: the index and packages are not kept in the layer."""
        return self.value("no_cache") is True

    @property
    def virtual(self) -> Value | None:
        """apk add --virtual NAME: the packages are grouped under NAME for a later `apk del NAME`."""
        return self.value("virtual")  # type: ignore[return-value]

    @property
    def cleans_cache(self) -> bool:
        """apt-get clean, apk cache clean, dnf/yum clean all (or packages/metadata)."""
        if self.action is not PackageAction.CLEAN:
            return False
        if self.manager in (PackageManager.APT_GET, PackageManager.APT, PackageManager.APK):
            return True
        return bool(self.arguments) and self.arguments[0] in ("all", "packages", "metadata", "dbcache")


_MANAGERS = {m.value: m for m in PackageManager}


def sets_download_cache(option: ParsedOption) -> bool:
    """`-o APT::Keep-Downloaded-Packages=…` (apt, apt-get): whether the .deb files an install
    downloaded stay in /var/cache/apt/archives once it succeeds (apt-private/private-install.cc:
    it deletes the archives this run fetched, nothing else). apt's default is false, apt-get's
    true; configuration keys are case-insensitive."""
    return (option.dest == "option" and isinstance(option.value, str)
            and option.value.lower().startswith("apt::keep-downloaded-packages="))


def _manager(word: Word) -> PackageManager | None:
    # Asked of every command of every RUN (the prover's images too): a dict, not the enum's
    # lookup, which raises for every other program.
    return None if word is None else _MANAGERS.get(word[word.rfind("/") + 1:])  # posixpath.basename


def read_system_packages(argv: Sequence[Word]) -> SystemPackageCommand | None:
    """The reading of an apt-get/apt/apk/dnf/yum/microdnf command; None for any other program."""
    manager = _manager(argv[0]) if argv else None
    if manager is None:
        return None
    key = tuple(argv)
    found = _READ.get(key)
    if found is None:
        found = _READ.put(key, _read(manager, argv))
    return found


# By argv: each transform that cleans a package cache, and both models, read every install.
_READ: Memo = Memo(1 << 16)


def _read(manager: PackageManager, argv: Sequence[Word]) -> SystemPackageCommand:
    # apt, apk and dnf take options anywhere (getopt with permutation): the first positional
    # is the sub-command, the others its arguments.
    parsed = read_options(list(argv[1:]), _TABLES[manager], Grammar.CLAP)
    unknowns = list(parsed.unknowns)
    words = list(parsed.positionals)
    if manager is PackageManager.APK and words[:1] == ["cache"]:
        words = ["clean" if words[1:2] == ["clean"] else "cache", *words[2:]]
    if not words:
        return SystemPackageCommand(manager, PackageAction.NONE, None, (), parsed.options, parsed.unknown_options,
                                    tuple(unknowns))
    sub = words[0]
    if sub is None:
        action = PackageAction.UNKNOWN
        unknowns.append("the sub-command is unknown")
    else:
        action = _MANAGER_ACTIONS.get((manager, sub)) or _ACTIONS.get(sub, PackageAction.OTHER)
    if any(w is None for w in words[1:]):
        unknowns.append("a package word is unknown")
    return SystemPackageCommand(manager, action, sub, tuple(words[1:]), parsed.options, parsed.unknown_options,
                                tuple(unknowns))


_APT_LISTS = ("/var/lib/apt/lists", "/var/lib/apt/lists/", "/var/lib/apt/lists/*", "/var/lib/apt",
              "/var/lib/apt/", "/var/lib/apt/*")


def cleans_apt_lists(argv: Sequence[Word]) -> bool:
    """`rm -rf /var/lib/apt/lists/*` (or the directory, or /var/lib/apt): the apt index is not
    left in the layer. `*` is the word as written: the shell reader expands no pattern."""
    if not argv or argv[0] is None or posixpath.basename(argv[0]) != "rm":
        return False
    read = _rm_arguments(argv[1:])
    if read is None:
        return False
    recursive, operands = read
    return recursive and any(w in _APT_LISTS or posixpath.normpath(w) in _APT_LISTS for w in operands)


def _rm_arguments(args: Sequence[Word]) -> tuple[bool, list[str]] | None:
    """(recursive, operands) of rm; None when a word is unknown."""
    operands: list[str] = []
    options_done = recursive = False
    for w in args:
        if w is None:
            return None
        if options_done or not w.startswith("-") or w == "-":
            operands.append(w)
        elif w == "--":
            options_done = True
        elif w == "--recursive" or (not w.startswith("--") and ("r" in w or "R" in w)):
            recursive = True
    return recursive, operands
