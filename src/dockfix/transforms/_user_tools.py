"""How a base image creates a user: its distribution family (shadow's useradd, BusyBox's
adduser, or none), whether the uid/gid non-root wants is taken, and the commands. Imports no
transform."""

from __future__ import annotations

import re

from dockfix.transforms._image_user import NewUser


def image_name_tag(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    return name.lower(), tag.lower()


def family(base: str, commands: frozenset[str] = frozenset()) -> tuple[str, str | None]:
    """("shadow" | "busybox-adduser" | "skip", why-skip); `commands`: the names of the commands
    the image's RUNs run (`apk` says alpine)."""
    name, tag = image_name_tag(base)
    short = name.rsplit("/", 1)[-1]
    if name == "scratch":
        return "skip", "FROM scratch: no shell to create a user with"
    if "distroless" in name or short in ("static", "static-debian12", "base-debian12"):
        return "skip", f"{base} is distroless: no shell to create a user with (use its nonroot tag)"
    if short == "busybox":
        return "skip", f"{base} is busybox: no distribution whose user tools non-root knows"
    if short in ("ubi-minimal", "ubi-micro", "ubi8-minimal", "ubi9-minimal", "ubi8-micro", "ubi9-micro"):
        return "skip", f"{base} has no useradd (shadow-utils is not installed)"
    if "alpine" in short or "alpine" in tag or "apk" in commands:
        return "busybox-adduser", None
    return "shadow", None


def uid_taken(base: str, user: NewUser) -> str | None:
    name, tag = image_name_tag(base)
    short = name.rsplit("/", 1)[-1]
    if short == "node" and 1000 in (user.uid, user.gid):
        return f"{base} already has the user node with uid/gid 1000"
    if short == "ubuntu" and 1000 in (user.uid, user.gid) and (
            tag in ("latest", "rolling", "devel", "noble", "oracular", "plucky")
            or re.match(r"^(2[4-9]|[3-9]\d)\.\d\d", tag)):
        return f"{base} already has the user ubuntu with uid/gid 1000"
    return None


def create_user_commands(fam: str, user: NewUser, appdir: str | None) -> list[str]:
    if fam == "busybox-adduser":
        cmds = [f"addgroup -g {user.gid} {user.group}",
                f"adduser -D -u {user.uid} -G {user.group} {user.name}"]
    else:
        cmds = [f"groupadd --gid {user.gid} {user.group}",
                f"useradd --uid {user.uid} --gid {user.group} --create-home {user.name}"]
    if appdir is not None:
        cmds.append(f"chown {user.chown} {appdir}")
    return cmds
