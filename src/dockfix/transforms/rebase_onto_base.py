"""rebase-onto-base: a Dockerfile that rebuilds what an in-repo base image provides is
rebuilt FROM that base.

What it does: for a Dockerfile whose final stage starts FROM the same external image as an
in-repo base image (an image other Dockerfiles build on) and repeats the base's ENV,
WORKDIR and application COPYs, it rewrites the FROM to the base in the repo's own
convention (`ARG BASE_IMAGE=<tag>` + `FROM ${BASE_IMAGE}` as the other derived Dockerfiles
write it) and deletes only the instructions the base provides. Everything else stays: the
stage's own ENV, apt packages, requirement COPY/RUN pairs (every requirement file a kept
`pip install -r` reads, includes too), and extra COPYs such as `scripts`.

When it must not fire: different FROM ancestry or Python (a CUDA image); a Dockerfile with
nothing of its own beyond the base (it is a duplicate of the base: reported as a skip);
when the base sets ENV, WORKDIR, files, USER or metadata the Dockerfile does not have with
the same values (the rebased image would change); when the base installs requirements the
Dockerfile does not; the base itself; `# dockfix: ignore[rebase-onto-base]` above the FROM.

Why it is equivalent: the deleted instructions are exactly ones the base's final stage
already has, with the same values, from the same build context and in an order that
yields the same state; the base adds nothing the Dockerfile did not have (checked above),
except system packages of the base's runtime stage, which the prover reports as allowed.
"""

from __future__ import annotations

import posixpath
import re

from dockfix.syntax import Document, Instruction
from dockfix.syntax.edit import Editor
from dockfix.transforms import _text
from dockfix.transforms.base import Context, Safety, Transform

# Instructions whose effect a base can provide; anything else in the base must be absent.
_META = ("USER", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "VOLUME", "STOPSIGNAL", "ONBUILD", "SHELL", "LABEL")


def _env_pairs(ins: Instruction) -> list[tuple[str, str]]:
    v = ins.value
    return [(v[i], v[i + 1]) for i in range(0, len(v) - 1, 2)]


def _step_sig(doc: Document, ins: Instruction) -> tuple:
    """A RUN or COPY --from as a comparable value; a COPY --from includes the text of the
    stage it copies from, so two files' `builder` stages must be the same to match."""
    sig = (ins.keyword, tuple(sorted(ins.flags)), ins.value, tuple((h.name, h.content) for h in ins.heredocs))
    frm = ins.flag("from")
    if frm is not None:
        stage = next((st for st in doc.stages if st.name == frm.lower()), None)
        body = tuple((i.keyword, tuple(sorted(i.flags)), i.value) for i in doc.stage_instructions(stage)) if stage else frm
        sig += (body,)
    return sig


def _copy_key(ins: Instruction, workdir: str) -> tuple:
    dest = ins.value[-1]
    if not dest.startswith("/"):
        dest = posixpath.join(workdir, dest) + ("/" if dest.endswith("/") else "")
    return (ins.keyword, tuple(ins.value[:-1]), posixpath.normpath(dest), ins.flag("chown"), ins.flag("chmod"))


class RebaseOntoBase(Transform):
    name = "rebase-onto-base"
    summary = "Rebuild a Dockerfile that duplicates the in-repo base image FROM that base."
    safety = Safety.SAFE
    answers = "duplicated base layers (no hadolint rule; seed 000 STEP 2.5)"

    def apply(self, ctx: Context) -> None:
        graph = ctx.graph()
        bases = sorted({b.ref for b in graph.bases.values() if b.kind == "internal"})
        for path in ctx.dockerfiles():
            doc = ctx.document(path)
            if ctx.file_ignored(doc) or not doc.stages:
                continue
            final = doc.stages[-1]
            mine = graph.base_of(path, final.index)
            if mine is None or mine.kind != "external":
                continue
            head = doc.instructions[final.from_index]
            if ctx.ignored(doc, head):
                continue
            for ref in bases:
                base = graph.images[ref]
                if base.dockerfile == path:
                    continue
                if graph.dockerfiles[base.dockerfile].context != graph.dockerfiles[path].context:
                    continue
                bstage = graph.image_stage(base)
                bbase = graph.base_of(base.dockerfile, bstage) if bstage is not None else None
                if bbase is None or bbase.kind != "external" or bbase.ref != mine.ref:
                    continue
                plan = self._plan(ctx, doc, path, graph.dockerfiles[base.dockerfile].document, bstage)
                if plan is None:
                    continue
                provided, reason = plan
                if reason:
                    ctx.skip(path, head.start_line, reason)
                    break
                self._rewrite(ctx, doc, path, head, provided, ref, graph)
                break

    def _plan(self, ctx, doc: Document, path: str, bdoc: Document, bstage: int):
        """(instructions the base provides, skip reason) or None when it is not a match."""
        mine = doc.stage_instructions(doc.stages[-1])[1:]
        theirs = bdoc.stage_instructions(bdoc.stages[bstage])[1:]
        # What the base's final stage establishes.
        b_env: dict[str, str] = {}
        b_workdir = "/"
        b_copies: set[tuple] = set()
        b_steps: list[tuple] = []  # RUNs and COPY --from of the base: the Dockerfile must have them too
        b_extra_ok: set[tuple] = set()  # ...unless they only add system packages or the pip site
        for ins in theirs:
            if ins.keyword == "ENV":
                b_env.update(_env_pairs(ins))
            elif ins.keyword == "WORKDIR":
                b_workdir = posixpath.normpath(posixpath.join(b_workdir, ins.value[0]))
            elif ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs:
                b_copies.add(_copy_key(ins, b_workdir))
            elif ins.keyword in ("RUN", "COPY", "ADD"):
                sig = _step_sig(bdoc, ins)
                b_steps.append(sig)
                if _adds_packages_only(ins):
                    b_extra_ok.add(sig)
            elif ins.keyword in _META:
                return None  # the base sets metadata the rebased image would inherit
        provided: list[Instruction] = []
        workdir = "/"
        env: dict[str, str] = {}
        app_copies = 0
        own = 0
        for ins in mine:
            kw = ins.keyword
            if kw == "ENV":
                pairs = _env_pairs(ins)
                env.update(pairs)
                if all(b_env.get(k) == v for k, v in pairs):
                    provided.append(ins)
                else:
                    own += 1
            elif kw == "WORKDIR":
                workdir = posixpath.normpath(posixpath.join(workdir, ins.value[0]))
                if workdir != b_workdir:
                    own += 1
                elif cwd_dependent_before(provided, ins, mine):
                    return None  # after the rebase those steps would run in another directory
                else:
                    provided.append(ins)
            elif kw in ("COPY", "ADD") and ins.flag("from") is None and not ins.heredocs:
                if _copy_key(ins, workdir) in b_copies:
                    provided.append(ins)
                    app_copies += 1
                else:
                    own += 1
            elif kw in ("RUN", "COPY", "ADD") and _step_sig(doc, ins) in b_steps:
                provided.append(ins)
                b_steps.remove(_step_sig(doc, ins))
            elif kw in ("CMD",):
                continue
            else:
                own += 1
        # The base must add nothing the Dockerfile lacks.
        if any(env.get(k) != v for k, v in b_env.items()):
            return None
        if workdir != b_workdir:
            return None
        if app_copies == 0 or app_copies < len(b_copies) or any(sig not in b_extra_ok for sig in b_steps):
            return None
        if not self._requirements_covered(ctx, bdoc, doc, ctx.graph().dockerfiles[path].context):
            return None
        if own == 0:
            return provided, "duplicates the base image and has nothing of its own: not rebased"
        return provided, ""

    def _requirements_covered(self, ctx: Context, bdoc: Document, doc: Document, context: str) -> bool:
        """Every requirement file the base installs (in any stage) is in the Dockerfile's own
        pip closure, so the base adds no package the Dockerfile did not install. Paths are
        read as written, relative to the shared build context; includes relative to the
        including file."""
        def reqs(d: Document) -> set[str]:
            out = set()
            for ins in d.instructions:
                if ins.keyword == "RUN" and ins.value and not ins.json:
                    for m in re.findall(r"(?:-r|--requirement)[\s=]+(\S+)", ins.value[0]):
                        out.add(posixpath.normpath(posixpath.join(context, m)))
            return out

        closure: set[str] = set()
        todo = list(reqs(doc))
        while todo:
            p = todo.pop()
            if p in closure:
                continue
            closure.add(p)
            if ctx.tree.exists(p):
                text = ctx.tree.read(p).decode("utf-8", "replace")
                for inc in re.findall(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)", text, re.M):
                    todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(p), inc)))
        return reqs(bdoc) <= closure

    def _rewrite(self, ctx, doc: Document, path: str, head: Instruction, provided: list[Instruction],
                 ref: str, graph) -> None:
        arg_line, from_line = self._convention(ctx, graph, ref)
        alias = ""
        v = head.value
        if len(v) >= 3 and v[1].lower() == "as":
            alias = f" AS {v[2]}"
        ed = Editor(doc)
        need_arg = arg_line and not self._has_arg(doc, arg_line)
        first_from = doc.instructions[doc.stages[0].from_index]
        if need_arg and first_from is not head:
            # An ARG after the first FROM belongs to that stage: FROM could not see it.
            ed.insert_before(first_from, arg_line, above_comments=True)
            ed.replace(head, from_line + alias)
        else:
            ed.replace(head, (arg_line + "\n" if need_arg else "") + from_line + alias)
        for ins in provided:
            _text.delete_instruction(ed, ins)
        ctx.write(path, ed.apply())
        ctx.note("info", path, head.start_line, f"rebased onto {ref}; removed {len(provided)} instruction(s) the base provides")

    @staticmethod
    def _has_arg(doc: Document, arg_line: str) -> bool:
        name = arg_line.split()[1].split("=")[0]
        return any(w.split("=")[0] == name for i in doc.global_args() for w in i.value)

    def _convention(self, ctx: Context, graph, ref: str) -> tuple[str, str]:
        """How the repo's other derived Dockerfiles spell FROM the base."""
        for dpath, stage in graph.derived_of(ref):
            d = ctx.document(dpath)
            b = graph.base_of(dpath, stage)
            head = d.instructions[d.stages[stage].from_index]
            raw = b.raw
            m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", raw)
            if m:
                for ins in d.global_args():
                    for w in ins.value:
                        if w.split("=")[0] == m.group(1):
                            arg_raw = d.text(ins).decode("utf-8", "surrogateescape").strip()
                            return arg_raw, f"FROM {raw}"
            del head
            return "", f"FROM {raw}"
        return "", f"FROM {graph.images[ref].raw_ref or ref}"


def _adds_packages_only(ins: Instruction) -> bool:
    """A base step the rebased image may gain: system packages (allowed: "packages added by a
    base"), or copying the builder's pip site (its requirements are checked to be covered)."""
    if ins.keyword in ("COPY", "ADD"):
        return ins.flag("from") is not None
    cmds = _text.split_and_chain(ins.value[0]) if ins.value and not ins.json and not ins.heredocs else None
    return bool(cmds) and all(_CWD_FREE.match(c) for c in cmds)


_CWD_FREE = re.compile(r"^\s*(apt-get|apt|apk|dnf|yum|microdnf)\b|^\s*rm\s+-rf?\s+/|^\s*(export\s+)?[A-Z_]+=\S*\s*$")


def cwd_dependent_before(provided: list[Instruction], ins: Instruction, mine: list[Instruction]) -> bool:
    """Does an instruction of the Dockerfile's own, before this WORKDIR, depend on the
    current directory? After the rebase it runs in the base's WORKDIR instead of `/`.
    Package-manager RUNs and absolute `rm -rf` do not; relative COPYs and other RUNs may."""
    for other in mine:
        if other is ins:
            return False
        if other in provided:
            continue
        if other.keyword in ("COPY", "ADD") and not other.value[-1].startswith("/"):
            return True
        if other.keyword == "RUN":
            cmds = _text.split_and_chain(other.value[0]) if other.value and not other.json else None
            if cmds is None or not all(_CWD_FREE.match(c) for c in cmds):
                return True
    return False
