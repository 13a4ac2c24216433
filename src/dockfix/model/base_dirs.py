"""Which directories a base image's file system has before the first step of a Dockerfile.

A WORKDIR makes its directory as the current USER only when it does not exist yet (BuildKit's
dispatchWorkdir: Mkdir WithUser), and a COPY into an existing directory lands inside it: both
need to know what the base already holds. `BaseDirectories.presence(path)` answers DIRECTORY
(listed), ABSENT (below a directory whose every subdirectory is listed) or UNKNOWN.

The tables, and how far each is checked:
- Debian (debian:*, python:*, node:*, golang:* on Debian): measured on the stand-in base
  (tools/stand-in-bases.sh: debootstrap --variant=minbase bookworm, what debian:bookworm-slim
  is made of) by tests/build/test_base_dirs_buildah.py; only paths that base-files and the
  FHS give every Debian release since buster (the usrmerge links /bin, /sbin, /lib included).
- Ubuntu and Alpine cannot be pulled here (no registry): their tables hold only what the FHS
  and the distributions' base layouts document (Ubuntu's base-files as Debian's; Alpine's
  alpine-baselayout), fewer than Debian's. A directory left out costs a refusal (unknown); a
  directory listed that is not there would cost a false "holds".
- A directory is claimed complete (nothing below it but what is listed) only where no package
  of the distribution installs anything (Debian policy: /srv, /home, /mnt, /media, /usr/local
  and /usr/local/src hold nothing a package puts there); /opt and /usr/src are complete only
  until a step installs system packages (a third-party .deb in /opt, kernel headers in /usr/src).
- An official image built on a distribution adds its own (docker-library Dockerfiles, as read
  in model/bases.py): python puts Python under /usr/local (/usr/local/lib/pythonX.Y), node
  Yarn under /opt, golang /go and /usr/local/go.
An image the base table does not know has only what every Linux image has (the FHS root
directories BusyBox, UBI, Debian, Ubuntu and Alpine share); FROM scratch has nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Presence(Enum):
    """Whether a path is a directory of the base image."""

    DIRECTORY = "directory"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class BaseDirectories:
    """The directories an image has before the first step. `listed`: directories there (or
    links to one, as Debian's /bin); `complete`: listed directories nothing else is below;
    `complete_without_packages`: complete until a step installs system packages; `varying`:
    paths below a complete directory that some builds of the image have (by architecture);
    `owners`: (directory, login) of listed directories not root's (a login's home)."""

    listed: frozenset[str]
    complete: frozenset[str] = frozenset()
    complete_without_packages: frozenset[str] = frozenset()
    varying: frozenset[str] = frozenset()
    owners: tuple[tuple[str, str], ...] = ()

    def owner(self, path: str) -> str:
        """Who owns a listed directory: root unless `owners` names its login."""
        return next((login for where, login in self.owners if where == path), "root")

    def presence(self, path: str, packages_installed: bool = False) -> Presence:
        """`path` (absolute, normalised) in the base: a directory, surely absent, or unknown.
        `packages_installed`: a step installed system packages (which may fill /opt, /usr/src)."""
        if path in self.listed:
            return Presence.DIRECTORY
        complete = self.complete if packages_installed else self.complete | self.complete_without_packages
        parent = path
        while parent != "/":
            if parent in self.varying:
                return Presence.UNKNOWN
            parent = parent.rsplit("/", 1)[0] or "/"
            if parent in self.listed:
                return Presence.ABSENT if parent in complete else Presence.UNKNOWN
        return Presence.UNKNOWN


# The FHS root directories every Linux image has (Debian, Ubuntu, Alpine, BusyBox, UBI).
EVERY_LINUX = frozenset({"/", "/tmp", "/root", "/etc", "/usr", "/usr/local", "/usr/local/bin", "/usr/bin",
                         "/usr/lib", "/var", "/home", "/bin"})
UNKNOWN_BASE = BaseDirectories(EVERY_LINUX)
SCRATCH = BaseDirectories(frozenset({"/"}), complete=frozenset({"/"}))

# Debian since buster (base-files, the FHS; /bin, /sbin, /lib are links into /usr since
# bookworm). /lib64, /lib32 and /libx32 depend on the architecture: unknown (`_BY_ARCHITECTURE`).
_DEBIAN = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
    "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/usr/bin", "/usr/games", "/usr/include", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/usr/src",
    "/usr/local/bin", "/usr/local/etc", "/usr/local/games", "/usr/local/include", "/usr/local/lib",
    "/usr/local/man", "/usr/local/sbin", "/usr/local/share", "/usr/local/src",  # man: a link to share/man
    "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/log", "/var/mail", "/var/opt", "/var/spool",
    "/var/tmp", "/etc/apt", "/etc/default", "/etc/profile.d", "/etc/skel",
})
# Ubuntu's base-files and the FHS (no /usr/games, /var/backups, /etc/skel claims: not checked).
_UBUNTU = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt", "/proc", "/root", "/run",
    "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    "/usr/bin", "/usr/include", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/usr/src",
    "/usr/local/bin", "/usr/local/etc", "/usr/local/games", "/usr/local/include", "/usr/local/lib",
    "/usr/local/sbin", "/usr/local/share", "/usr/local/src",
    "/var/cache", "/var/lib", "/var/local", "/var/log", "/var/mail", "/var/opt", "/var/spool", "/var/tmp",
    "/etc/apt",
})
# alpine-baselayout: the root directories and those below /usr and /var it makes.
_ALPINE = frozenset({
    "/", "/bin", "/dev", "/etc", "/home", "/lib", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin",
    "/srv", "/sys", "/tmp", "/usr", "/var",
    "/usr/bin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/lib", "/usr/local/share", "/usr/sbin",
    "/usr/share", "/var/cache", "/var/lib", "/var/local", "/var/log", "/var/opt", "/var/spool", "/var/tmp",
})
# Directories whose every subdirectory (or link to one) the table lists, by distribution.
# Ubuntu's /home: empty up to 22.04; 24.04 has a login `ubuntu` with its home (`_UBUNTU_HOMES`);
# of a tag whose release is not known, not claimed. Nor Ubuntu's and Alpine's /usr/local
# (which links and directories their base layouts put there is not checked).
_COMPLETE = {
    "debian": (frozenset({"/", "/srv", "/home", "/mnt", "/media", "/usr/local", "/usr/local/src"}),
               frozenset({"/opt", "/usr/src"})),
    "ubuntu": (frozenset({"/", "/srv", "/mnt", "/media", "/usr/local/src"}),
               frozenset({"/opt", "/usr/src"})),
    "alpine": (frozenset({"/", "/srv", "/home", "/mnt"}), frozenset({"/opt"})),
}
_TABLES = {"debian": _DEBIAN, "ubuntu": _UBUNTU, "alpine": _ALPINE}
_UBUNTU_HOMES = {"18.04": (), "20.04": (), "22.04": (), "24.04": (("/home/ubuntu", "ubuntu"),)}
_BY_ARCHITECTURE = frozenset({"/lib64", "/lib32", "/libx32"})


def distribution_directories(distribution: str | None, version: str | None = None) -> BaseDirectories:
    """The directories of a distribution's own image (debian:*, ubuntu:*, alpine:*; `version`
    as model.bases spells it, "22.04"); an unknown distribution has only what every Linux
    image has."""
    listed = _TABLES.get(distribution or "")
    if listed is None:
        return UNKNOWN_BASE
    complete, until_packages = _COMPLETE[distribution or ""]
    homes = _UBUNTU_HOMES.get(version or "") if distribution == "ubuntu" else None
    if homes is None:
        return BaseDirectories(listed, complete, until_packages, _BY_ARCHITECTURE)
    return with_image(BaseDirectories(listed, complete | {"/home"}, until_packages, _BY_ARCHITECTURE), homes)


def with_image(base: BaseDirectories, homes: tuple[tuple[str, str], ...] = (), added: frozenset[str] = frozenset(),
               filled: frozenset[str] = frozenset(), listed_only: bool = False) -> BaseDirectories:
    """An image built on `base` by an official Dockerfile: `homes` (home, login) of logins it
    creates with their home (`useradd -m`: nothing below but the skeleton's dotfiles), `added`
    directories it makes (each below a listed one), `filled` directories it puts what is not
    listed below (no longer complete); `listed_only`: what else it adds is not known (no
    directory is complete)."""
    made = frozenset(home for home, _ in homes)
    listed, owners = base.listed | added | made, base.owners + homes
    if listed_only:
        return BaseDirectories(listed, owners=owners)
    return BaseDirectories(listed, (base.complete - filled) | made, base.complete_without_packages - filled,
                           base.varying, owners)
