"""src/dockfix/model/copy.py against real buildah builds.

Each case is a tiny context and a `FROM scratch` Dockerfile (no base image, no registry). It is
built with `buildah build --isolation chroot`; the image is mounted and its files (type, owner,
mode) are compared with what the model says every COPY/ADD put there. A case the model says fails
must fail; one it says is unknown must build, with every file at or below the unknown path.

Not here, because buildah 1.28 (Debian bookworm) lacks them and the model follows BuildKit:
heredocs, --exclude, --parents, --link, per-Dockerfile ignore files; tests/model/test_copy.py
covers those from BuildKit's source. Where buildah and BuildKit build differently (DIVERGENT),
the model follows BuildKit and the test pins buildah's other answer.
"""

from __future__ import annotations

import gzip
import http.server
import io
import os
import posixpath
import secrets
import stat
import subprocess
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dockfix.graph.dockerignore import EMPTY, DockerIgnore
from dockfix.model.copy import (
    BuildContext,
    CopyResult,
    CopySpec,
    EntryType,
    Origin,
    PathKind,
    StageFiles,
    copy_result,
)
from dockfix.syntax import parse

REPO = Path(__file__).resolve().parents[2]
BUILDAH = ["buildah"]


def _tar(members: dict[str, bytes], compress: str = "") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=f"w:{compress}") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


BASIC = {"a.txt": b"a\n", "b.txt": b"b\n", "req.txt": b"six\n", "d/x.py": b"x\n", "d/sub/y.py": b"y\n",
         "d/sub/z.log": b"z\n", "dd/w.txt": b"w\n", "!.txt": b"!\n"}
PASSWD = {"passwd": b"root:x:0:0::/root:/bin/sh\napp:x:1500:1600::/home/app:/bin/sh\n",
          "group": b"root:x:0:\ngrp:x:1700:\n"}


@dataclass(frozen=True)
class Case:
    name: str
    dockerfile: str  # after "FROM scratch\n" (add more FROM lines for more stages)
    files: dict[str, bytes] = field(default_factory=lambda: dict(BASIC))
    fails: bool = False  # the model says the build fails
    unknown: bool = False  # the model says some files are unknown
    symlinks: dict[str, str] = field(default_factory=dict)
    url: bool = False  # the Dockerfile names {url}: a local HTTP server's file
    # Paths the model is told it cannot place (PathKind.UNKNOWN), as an unlisted base or an
    # unread RUN leaves them: a single file copied there lands at one of its two places.
    unplaced: tuple[str, ...] = ()


CASES = [
    Case("file-to-file", "COPY a.txt /x.txt\n"),
    Case("file-to-dir-slash", "COPY a.txt /d/\n"),
    Case("file-to-dot-workdir", "WORKDIR /w\nCOPY a.txt .\n"),
    Case("relative-dest-joins-workdir", "WORKDIR /w\nCOPY a.txt sub/b.txt\n"),
    Case("relative-dir-dest-joins-workdir", "WORKDIR /w\nCOPY a.txt ./sub/\n"),
    Case("file-into-existing-dir-from-copy", "COPY a.txt /src/\nCOPY req.txt /src\n"),
    Case("file-into-existing-dir-from-workdir", "WORKDIR /src\nCOPY req.txt /src\n"),
    Case("file-into-parent-of-workdir", "WORKDIR /opt/app\nCOPY req.txt /opt\n"),
    Case("file-over-existing-file", "COPY a.txt /x\nCOPY b.txt /x\n"),
    Case("dir-copies-contents", "COPY d /out\n"),
    Case("dir-to-slash", "COPY d /out/\n"),
    Case("nested-dir", "COPY d/sub /s/\n"),
    Case("whole-context", "COPY . /all/\n"),
    Case("dot-slash-context", "COPY ./ /all\n"),
    Case("leading-slash-source", "COPY /a.txt /l/\n"),
    Case("dotdot-stays-in-context", "COPY ../a.txt /up/\n"),
    Case("several-sources-to-dir", "COPY a.txt d /m/\n"),
    Case("wildcard-star", "COPY *.txt /t/\n"),
    Case("wildcard-one-match-to-file", "COPY r*.txt /one.txt\n"),
    Case("wildcard-dir-contents", "COPY d* /dd/\n"),
    Case("wildcard-in-subdir", "COPY d/*.py /py/\n"),
    Case("wildcard-deep", "COPY d/*/*.py /deep/\n"),
    Case("wildcard-question", "COPY ?.txt /q/\n"),
    Case("wildcard-class", "COPY [ab].txt /c/\n"),
    Case("wildcard-go-negation", "COPY [^a].txt /n/\n"),
    Case("wildcard-bang-is-literal", "COPY [!a].txt /bang/\n"),
    Case("empty-wildcard-beside-a-file", "COPY nomatch* a.txt /w/\n"),
    Case("empty-class-wildcard-beside-a-file", "COPY cwallet.ss[o] a.txt ./\n"),
    Case("missing-source-fails", "COPY missing.txt /x\n", fails=True),
    Case("wildcard-in-ignored-dir-fails", "COPY a.txt d/*.py /x/\n", {**BASIC, ".dockerignore": b"d/\n"}, fails=True),
    Case("empty-wildcard-in-present-dir", "COPY a.txt d/*.none /x/\n"),
    Case("missing-beside-present-fails", "COPY a.txt missing.txt /x/\n", fails=True),
    Case("ignored-source-fails", "COPY secret.txt /x\n",
         {**BASIC, "secret.txt": b"s\n", ".dockerignore": b"# keep out\nsecret.txt\n"}, fails=True),
    Case("ignore-inside-dir", "COPY d /d/\n", {**BASIC, ".dockerignore": b"d/**/*.log\n"}),
    Case("ignore-exception", "COPY . /c/\n",
         {"README.md": b"r\n", "CHANGES.md": b"c\n", "a.txt": b"a\n", ".dockerignore": b"*.md\n!README.md\n"}),
    Case("ignored-dir-partly-kept", "COPY d/ /k/\n", {**BASIC, ".dockerignore": b"d\n!d/x.py\n"}),
    Case("ignore-posix-class", "COPY . /c/\n",  # Go's regexp reads the POSIX class moby hands it
         {"a1.txt": b"1\n", "ab.txt": b"b\n", "a[.txt": b"[\n", ".dockerignore": b"a[[:digit:]].txt\nx[[]\n"}),
    Case("chown-numeric", "COPY --chown=1000:2000 a.txt d /o/\n"),
    Case("chown-lone-uid", "COPY --chown=1234 a.txt /o/\n"),
    Case("chown-names-unknown-numbers", "COPY passwd group /etc/\nCOPY --chown=app:grp a.txt /o/\n",
         {**BASIC, **PASSWD}),
    Case("chmod-file", "COPY --chmod=0700 a.txt /m.txt\n"),
    Case("chmod-dir-contents", "COPY --chmod=755 d /m/\n"),
    Case("from-stage-dir", "COPY d /x/\nFROM scratch\nCOPY --from=0 /x /y/\n"),
    Case("from-named-stage-file", "FROM scratch AS b\nCOPY a.txt /bin/svc\nFROM scratch\nCOPY --from=b /bin/svc /svc\n"),
    Case("from-stage-missing-fails", "COPY a.txt /x\nFROM scratch\nCOPY --from=0 /nothere /y\n", fails=True),
    Case("add-tar-extracts", "ADD arch.tar /ex/\n", {"arch.tar": _tar({"p/q.txt": b"q\n", "r.txt": b"r\n"})}),
    Case("add-tgz-extracts-into-dest", "ADD arch.tar.gz /ex2\n",
         {"arch.tar.gz": _tar({"m/n.txt": b"n\n"}, "gz")}),
    Case("add-tar-by-content-not-name", "ADD blob.bin /ex3/\n", {"blob.bin": _tar({"k.txt": b"k\n"})}),
    Case("add-plain-gzip-copied", "ADD notes.gz /g/\n", {"notes.gz": gzip.compress(b"not a tar\n")}),
    Case("add-zeros-not-an-archive", "ADD zeros.bin /z/\n", {"zeros.bin": bytes(4096)}),
    Case("copy-tar-not-extracted", "COPY arch.tar /ct/\n", {"arch.tar": _tar({"r.txt": b"r\n"})}),
    # copy-for-add: the context root is a directory, which ADD never extracts (a tar inside it
    # is copied as a file, as COPY copies it), whatever the context holds.
    Case("add-context-root-keeps-tars", "ADD . /r/\nCOPY . /c/\n",
         {"a.txt": b"a\n", "arch.tar": _tar({"r.txt": b"r\n"}), "d/in.tar": _tar({"s.txt": b"s\n"})}),
    Case("add-dot-slash-root", "ADD ./ /r/\n", {"arch.tar": _tar({"r.txt": b"r\n"})}),
    # ... but a trailing `/` does not make a source a directory (BuildKit cleans the path):
    # a tar named `arch.tar/` is extracted. Only the root is a directory whatever the context.
    Case("add-file-with-slash", "ADD arch.tar/ /r/\n", {"arch.tar": _tar({"r.txt": b"r\n"})}),
    Case("add-dir-keeps-tars-inside", "ADD d/ /r/\n", {"d/in.tar": _tar({"s.txt": b"s\n"})}),
    Case("add-url-named-by-path", "ADD {url}/files/tool.sh /u/\n", url=True),
    Case("symlink-inside-dir", "COPY d /l/\n", {"d/real.txt": b"r\n"}, symlinks={"d/link.txt": "real.txt"}),
    Case("dir-over-file-fails", "COPY a.txt /f\nCOPY d /f\n", fails=True),
    Case("file-to-slash-over-file-fails", "COPY a.txt /f\nCOPY b.txt /f/\n", fails=True),
    Case("several-sources-no-slash-unknown", "COPY a.txt b.txt /multi\n", unknown=True),
    Case("unplaced-dest-is-a-directory", "COPY d /x/\nCOPY a.txt /x\n", unplaced=("/x",)),
    Case("unplaced-dest-is-absent", "COPY a.txt /y\n", unplaced=("/y",)),
    Case("unplaced-dest-of-a-stage-file", "COPY a.txt /s\nFROM scratch\nCOPY d /z/\nCOPY --from=0 /s /z\n",
         unplaced=("/z",)),
    Case("unplaced-dest-takes-a-directory-inside", "COPY d /u\n", unplaced=("/u",)),
]


# -- the model's side ------------------------------------------------------------------------
@dataclass
class _Image:
    files: dict[str, tuple] = field(default_factory=dict)  # path -> (Landed)
    dirs: set[str] = field(default_factory=lambda: {"/"})
    workdir: str = "/"
    unplaced: tuple[str, ...] = ()

    def kind(self, path: str) -> PathKind:
        if path in self.unplaced:
            return PathKind.UNKNOWN
        if path in self.files:
            return PathKind.FILE
        if path in self.dirs or any(p.startswith(path.rstrip("/") + "/") for p in self.files):
            return PathKind.DIRECTORY
        return PathKind.ABSENT

    def add_dir(self, path: str) -> None:
        while path not in self.dirs:
            self.dirs.add(path)
            path = posixpath.dirname(path)


def _context(root: Path) -> BuildContext:
    every = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink())
    ignore_file = root / ".dockerignore"
    ignore = DockerIgnore.parse(ignore_file.read_bytes()) if ignore_file.exists() else EMPTY
    kept = ignore.filter(every)
    links = frozenset(p for p in every if (root / p).is_symlink())
    return BuildContext(kept, every, ignore, ".dockerignore", links, lambda rel: (root / rel).read_bytes())


def model(dockerfile: str, context: BuildContext, unplaced: tuple[str, ...] = ()) -> tuple[_Image, list[CopyResult]]:
    """Replays the stages (all FROM scratch) with the model: the last stage and every result."""
    doc = parse(dockerfile.encode())
    stages: list[_Image] = []
    names: dict[str, int] = {}
    results: list[CopyResult] = []
    for st in doc.stages:
        image = _Image(unplaced=unplaced)
        for ins in doc.stage_instructions(st)[1:]:
            if ins.keyword == "WORKDIR":
                image.workdir = posixpath.normpath(posixpath.join(image.workdir, ins.value[0]))
                image.add_dir(image.workdir)
            elif ins.keyword in ("COPY", "ADD"):
                spec = CopySpec.of(ins)
                stage = None
                if spec.from_ is not None:
                    other = stages[names.get(spec.from_.lower(), int(spec.from_) if spec.from_.isdigit() else -1)]
                    stage = StageFiles({p: f"{e.origin.value}:{e.source}" for p, e in other.files.items()}, True)
                result = copy_result(spec, image.workdir, context, image.kind, stage)
                results.append(result)
                for landed in result.landed:
                    image.files[landed.path] = landed
                    image.add_dir(posixpath.dirname(landed.path))
        if st.name:
            names[st.name.lower()] = st.index
        stages.append(image)
    return stages[-1], results


# -- the build's side ------------------------------------------------------------------------
def _run(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=300)
    assert not check or done.returncode == 0, f"{' '.join(argv)}: {done.stderr}"
    return done


def built_files(tag: str) -> tuple[dict[str, tuple[str, int, int, int]], set[str]]:
    """(non-directory path -> (type, uid, gid, mode), directories) of an image."""
    container = _run(*BUILDAH, "from", "--pull-never", tag).stdout.strip()
    try:
        root = Path(_run(*BUILDAH, "mount", container).stdout.strip())
        files, dirs = {}, set()
        for path in root.rglob("*"):
            st = os.lstat(path)
            rel = "/" + path.relative_to(root).as_posix()
            if stat.S_ISDIR(st.st_mode):
                dirs.add(rel)
                continue
            kind = "symlink" if stat.S_ISLNK(st.st_mode) else "file"
            files[rel] = (kind, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
        return files, dirs
    finally:
        _run(*BUILDAH, "umount", container, check=False)
        _run(*BUILDAH, "rm", container, check=False)


@pytest.fixture(scope="module")
def buildah() -> None:
    """buildah itself (no base image is needed: every case is FROM scratch)."""
    done = subprocess.run([str(REPO / "tools" / "stand-in-bases.sh"), "--deps-only"],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    """A local HTTP server for ADD <url> (the build shares the host's network)."""
    root = tmp_path_factory.mktemp("web")
    (root / "files").mkdir()
    (root / "files" / "tool.sh").write_bytes(b"echo hi\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _write(case: Case, tmp: Path, url: str) -> tuple[Path, Path, str]:
    ctx = tmp / "ctx"
    ctx.mkdir()
    for rel, data in case.files.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).write_bytes(data)
        (ctx / rel).chmod(0o644)
    for rel, target in case.symlinks.items():
        (ctx / rel).parent.mkdir(parents=True, exist_ok=True)
        (ctx / rel).symlink_to(target)
    text = "FROM scratch\n" + case.dockerfile.replace("{url}", url)
    dockerfile = tmp / "Dockerfile"  # outside the context: it is not one of the files copied
    dockerfile.write_text(text)
    return ctx, dockerfile, text


def _expected(image: _Image, ctx: Path) -> dict[str, tuple]:
    out = {}
    for path, e in image.files.items():
        uid = gid = 0
        if e.owner is not None:
            uid, gid = e.owner.uid, e.owner.gid
        mode = e.mode
        if mode is None and e.origin is Origin.CONTEXT and e.type is EntryType.FILE:
            mode = stat.S_IMODE(os.lstat(ctx / e.source).st_mode)
        elif mode is None and e.origin is Origin.ARCHIVE:
            mode = 0o644  # as _tar writes them
        out[path] = (e.type.value, uid, gid, mode)
    return out


def _compare(expected: dict[str, tuple], built: dict[str, tuple]) -> None:
    assert set(expected) == set(built)
    for path, (kind, uid, gid, mode) in expected.items():
        b_kind, b_uid, b_gid, b_mode = built[path]
        assert kind == b_kind, path
        if uid is not None:  # None: --chown names, resolved by the image's /etc/passwd
            assert (uid, gid) == (b_uid, b_gid), path
        if kind == "file" and mode is not None:
            assert mode == b_mode, path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_model_matches_buildah(case: Case, buildah: None, web: str, tmp_path: Path) -> None:
    ctx, dockerfile, text = _write(case, tmp_path, web)
    image, results = model(text, _context(ctx), case.unplaced)
    failures = [f for r in results for f in r.failures]
    unknown = [u for r in results for u in r.unknown]
    assert bool(failures) == case.fails, failures
    assert bool(unknown) == case.unknown, unknown
    tag = f"localhost/dockfix-copy-test:{secrets.token_hex(6)}"
    done = _run(*BUILDAH, "build", "--isolation", "chroot", "--pull=never", "--layers=false",
                "-f", str(dockerfile), "-t", tag, str(ctx), check=False)
    if case.fails:
        if done.returncode == 0:
            _run(*BUILDAH, "rmi", tag, check=False)
        assert done.returncode != 0, "the model says this build fails, buildah built it"
        return
    assert done.returncode == 0, done.stderr
    try:
        built, dirs = built_files(tag)
    finally:
        _run(*BUILDAH, "rmi", tag, check=False)
    if case.unknown:  # every file lands at or below an unknown path
        roots = [u.path for u in unknown]
        assert built and all(any(p == r or p.startswith(r + "/") for r in roots) for p in built)
        return
    expected = _expected(image, ctx)
    for result in results:  # a file with two places is at exactly one of them
        places = [f.path for f in result.landed if f.alternative]
        assert len(places) in (0, 2)
        if places:
            assert sum(p in built for p in places) == 1, (places, sorted(built))
            expected.pop(next(p for p in places if p not in built))
    _compare(expected, built)
    assert {posixpath.dirname(p) for p in built} <= dirs | {"/"}


# Where buildah 1.28 and BuildKit differ and the model follows BuildKit: pinned, so that a
# buildah that starts to agree is noticed. (case, why)
DIVERGENT = [
    (Case("empty-wildcard-alone", "COPY cwallet.ss[o] ./\n"),
     "BuildKit's dispatchCopy sets AllowEmptyWildcard: the step copies nothing; buildah fails it "
     "as the classic builder did"),
    (Case("wildcard-in-missing-dir", "COPY a.txt nodir/*.py /x/\n", fails=True),
     "fsutil's ResolveWildcards walks the static directory `nodir` and fails on its lstat; "
     "buildah takes the empty glob beside a.txt"),
]


@pytest.mark.parametrize("case, why", DIVERGENT, ids=[c.name for c, _ in DIVERGENT])
def test_buildah_differs_from_buildkit_here(case: Case, why: str, buildah: None, tmp_path: Path) -> None:
    ctx, dockerfile, text = _write(case, tmp_path, "")
    _, results = model(text, _context(ctx))
    assert bool([f for r in results for f in r.failures]) == case.fails
    assert not any(r.unknown for r in results)
    tag = f"localhost/dockfix-copy-test:{secrets.token_hex(6)}"
    done = _run(*BUILDAH, "build", "--isolation", "chroot", "--pull=never", "-f", str(dockerfile), "-t", tag,
                str(ctx), check=False)
    if done.returncode == 0:
        _run(*BUILDAH, "rmi", tag, check=False)
    assert (done.returncode == 0) == case.fails, why


# model.words.scope_before against buildah: which file a COPY source with variables names, with
# the file's ARGs taken at their defaults and with a build argument replacing one (why
# copy-for-add reads a source only when no ARG decides it).
SCOPE_DOCKERFILE = ("ARG G=g\nFROM scratch\nARG G\nENV E=${G}-e\nARG A=a\nENV F=f\n"
                    "COPY ${E}.txt ${A}.txt $F.txt /\n")


@pytest.mark.parametrize("build_args, expected", [((), {"/g-e.txt", "/a.txt", "/f.txt"}),
                                                  (("A=b",), {"/g-e.txt", "/b.txt", "/f.txt"})])
def test_scope_before_names_the_file_buildah_copies(build_args: tuple[str, ...], expected: set[str],
                                                     buildah: None, tmp_path: Path) -> None:
    from dockfix.model.words import expand_word, scope_before

    doc = parse(SCOPE_DOCKERFILE.encode())
    copy = doc.instructions[-1]
    defaults = [expand_word(w, scope_before(doc, copy), doc.escape).text for w in copy.value[:-1]]
    fixed = [expand_word(w, scope_before(doc, copy, arg_defaults=False), doc.escape).text for w in copy.value[:-1]]
    assert defaults == ["g-e.txt", "a.txt", "f.txt"]
    assert fixed == [None, None, "f.txt"]  # E is made of an ARG: a build may change both
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    for name in ("g-e.txt", "a.txt", "b.txt", "f.txt"):
        (ctx / name).write_bytes(name.encode())
    (tmp_path / "Dockerfile").write_text(SCOPE_DOCKERFILE)
    tag = f"localhost/dockfix-copy-test:{secrets.token_hex(6)}"
    flags = [x for a in build_args for x in ("--build-arg", a)]
    _run(*BUILDAH, "build", "--isolation", "chroot", "--pull=never", "--layers=false", *flags,
         "-f", str(tmp_path / "Dockerfile"), "-t", tag, str(ctx))
    try:
        built, _ = built_files(tag)
    finally:
        _run(*BUILDAH, "rmi", tag, check=False)
    assert set(built) == expected
    if not build_args:  # the build that passes nothing copies what the defaults name
        assert {"/" + d for d in defaults} == expected
