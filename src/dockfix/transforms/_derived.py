"""What non-root and root-swap ask about the images around a base: the stages built on it,
whether its user is the one its authors wrote or one this run's non-root gave it, whether a
stage sets its own USER, and how many leading steps a stage shares with another image of the
repository (layer identity is `model.layers`). Imports no transform."""

from __future__ import annotations

from dockfix.graph.model import parse_cached
from dockfix.model.entry_point import EntryConfig, EntryProgram, entry_program, named_ports
from dockfix.model.layers import Step, common_prefix, layer_steps
from dockfix.model.stage_state import state_at_end
from dockfix.syntax import Document, Instruction, Stage
from dockfix.transforms._image_user import StageRef, chain, state_after
from dockfix.transforms.base import Context


def original_last_user(ctx: Context, refs: list[StageRef]) -> tuple[str | None, bool]:
    """(USER, known) at the end of the chain as the repository itself has it, before this
    run's transforms (the files on disk). Not known when a file of the chain is new, does not
    parse, or has another number of stages than now."""
    for ref in refs:
        data = ctx.tree.original(ref.path)
        doc = parse_cached(ref.path, data)[0] if data is not None else None
        if doc is None or len(doc.stages) != len(ctx.document(ref.path).stages):
            return None, False
        user = state_at_end(doc, ref.stage).user  # this stage's, else one of this file it is FROM
        if user is not None:
            written = doc.instructions[user.at]
            return (written.value[0] if written.value else ""), True
    return None, True


def own_user(doc: Document, stage: Stage) -> Instruction | None:
    """The stage's first USER instruction (None: it sets none itself)."""
    return next((i for i in doc.stage_instructions(stage) if i.keyword == "USER"), None)


def descendants(ctx: Context, base: StageRef) -> list[StageRef]:
    """Every stage of the repository whose chain reaches `base` (built on it, directly or
    through other stages and images), in file order."""
    index = ctx.linked.get("descendants")
    if index is None:  # every base's at once, from the chains (`Context.linked`)
        index = ctx.linked["descendants"] = _descendants_index(ctx)
    return list(index.get(base, ()))


def _descendants_index(ctx: Context) -> dict[StageRef, list[StageRef]]:
    out: dict[StageRef, list[StageRef]] = {}
    for path in ctx.dockerfiles():
        for stage in ctx.document(path).stages:
            for ref in chain(ctx, path, stage.index)[1:]:
                out.setdefault(ref, []).append(StageRef(path, stage.index))
    return out


def standalone_images(ctx: Context, bases: dict[StageRef, list[StageRef]]) -> list[StageRef]:
    """The image stage of every Dockerfile that is not an in-repo base and is not built on one
    (its chain stays in its own file, down to an external image): the target stage of each
    image the graph maps to it, else its last stage."""
    out: set[StageRef] = set()
    for path in ctx.dockerfiles():
        for index in image_stages(ctx, path):
            ref = StageRef(path, index)
            if index >= 0 and ref not in bases and all(r.path == path for r in chain(ctx, path, index)):
                out.add(ref)
    return sorted(out)


def image_stages(ctx: Context, path: str) -> set[int]:
    """The stages of a Dockerfile that are images: the target of each image the graph maps to
    it, else its last stage."""
    graph = ctx.graph()
    mapped = [graph.image_stage(m) for m in graph.images_built_from(path)]
    return {i for i in mapped if i is not None} or {len(ctx.document(path).stages) - 1}


def entry_config(ctx: Context, ref: StageRef) -> EntryConfig:
    """ENTRYPOINT and CMD the stage's image starts (`model.entry_point`), read down its in-repo
    chain; an external base's own is not read (none set: `EntryProgram.BASE_IMAGE`)."""
    config = EntryConfig()
    for r in reversed(chain(ctx, ref.path, ref.stage)):
        doc = ctx.document(r.path)
        config = config.next_stage()
        for ins in doc.stage_instructions(doc.stages[r.stage])[1:]:
            config = config.step(ins)
    return config


def _steps(ctx: Context, path: str, stage: int) -> list[Step]:
    node = ctx.graph().dockerfiles.get(path)
    if node is None or node.document is None:
        return []
    # a context that cannot be read is no one else's: its COPYs match nothing (as share-layers)
    copy_key = (node.context, node.dockerignore) if node.context_unknown is None else (path,)
    return layer_steps(ctx.document(path), stage, path, copy_key)


def shared_steps(ctx: Context, path: str, stage: int) -> tuple[int, str | None]:
    """How many leading steps of the stage (after its FROM) a stage of another Dockerfile built
    on the same base repeats (the builder builds those layers once for both, `model.layers`),
    and that Dockerfile."""
    graph = ctx.graph()
    base = graph.base_of(path, stage)
    if base is None or base.kind not in ("internal", "external"):
        return 0, None
    mine = _steps(ctx, path, stage)
    best: tuple[int, str | None] = (0, None)
    for other, index in _built_on(ctx, base.kind, base.ref, graph.part_of(path)):
        if other != path:
            n = common_prefix(mine, _steps(ctx, other, index))
            best = max(best, (n, other), key=lambda b: b[0])
    return best


def _built_on(ctx: Context, kind: str, ref: str, part: int | None) -> list[tuple[str, int]]:
    """The (Dockerfile, stage) pairs of one part whose base is of this kind and reference, in
    order: read from the graph once per transform (every stage asked about every other; by
    part, as a repository of a thousand images on one official base is no longer quadratic)."""
    index = ctx.cache.get("built_on")
    if index is None:
        graph = ctx.graph()
        index = ctx.cache["built_on"] = {}
        for key, b in sorted(graph.bases.items()):
            index.setdefault((b.kind, b.ref, graph.part_of(key[0])), []).append(key)
    return index.get((kind, ref, part), [])


def report_split_layers(ctx: Context, path: str, stages: list[int],
                         before: dict[tuple[str, int], tuple[int, str | None]]) -> None:
    """An info note where a rewritten stage now shares fewer leading steps with another image
    of the repository than it did (model.layers): an edit inside the shared steps (the site's
    ENV PATH entry) that the other image does not get the same way."""
    for index in stages:
        (was, other), (now, _) = before[(path, index)], shared_steps(ctx, path, index)
        if now < was:
            doc = ctx.document(path)
            first = doc.stage_instructions(doc.stages[index])[1 + now]
            ctx.note("info", path, first.start_line,
                     f"the {was - now} steps from here were shared with {other}, built on the same base, "
                     "and no longer are: non-root does not change that image the same way")


def entry_refusal(ctx: Context, base: StageRef, user: str) -> str | None:
    """Why an image that would run as `user` (the stage's own, or one built on it) keeps root:
    its entry point is not Python or a Python app server binding no port below 1024
    (`model.entry_point`), so whether it needs root is not known (the prover's judgement, read
    the same way; a console script pip installed is refused too: the transform does not read
    the image's pip sites)."""
    images = [base] + [d for d in descendants(ctx, base) if d.stage in image_stages(ctx, d.path)]
    for ref in images:
        argv = entry_config(ctx, ref).argv()
        program = entry_program(argv)
        if program is EntryProgram.PYTHON or (
                program is EntryProgram.APP_SERVER and not any(p < 1024 for p in named_ports(argv))):
            continue
        shown = " ".join(argv[:3]) if argv else "none set: the base image's own"
        return (f"{ref.path}: the entry point ({shown}) is not Python or a Python app server, so "
                f"whether it needs root is not known; it would run as {user}; left as it is")
    return None


def copied_mode_refusal(ctx: Context, base: StageRef, user: str, site: str) -> str | None:
    """Why an image that would run as `user` keeps root: it holds files a `COPY --from` took
    from another stage or image (made by its RUNs, or an image's own), whose mode the model
    does not know, so whether `user` reads them is not known (the prover's file access reads
    a file's mode from its source: the context, a heredoc, a URL). The pip `--user` site
    copied to `site` is read as a site, not as files."""
    images = [base] + [d for d in descendants(ctx, base) if d.stage in image_stages(ctx, d.path)]
    for ref in images:
        for r in chain(ctx, ref.path, ref.stage):
            doc = ctx.document(r.path)
            for ins in doc.stage_instructions(doc.stages[r.stage])[1:]:
                src = ins.flag("from") if ins.keyword == "COPY" else None
                if src is None or (ins.value and ins.value[-1].rstrip("/") == site):
                    continue
                return (f"{r.path}:{ins.start_line}: COPY --from={src} copies files another build made, whose "
                        f"mode is not known: {user} may not read them, as root could; left as it is")
    return None


def unowned_workdir(ctx: Context, path: str, doc: Document, stage: Stage,
                    owned: tuple[str, ...]) -> tuple[Instruction, str | None] | None:
    """(its last WORKDIR, the directory it ends in: None when not known) when the stage ends
    in a WORKDIR of its own that is not one of `owned`: run there as the user, the process
    may not write a directory root made or the base image has (`/srv`), where root could."""
    own = [i for i in doc.stage_instructions(stage) if i.keyword == "WORKDIR"]
    if not own:
        return None  # the base's
    final = state_after(ctx, path, doc, stage).workdir
    if final is not None and final in {d.rstrip("/") or "/" for d in owned}:
        return None
    return own[-1], final
