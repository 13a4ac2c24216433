"""The `dockfix` command line: typer commands only; the work lives in the pipeline modules.

Exit codes (as ruff and black): 0 ok, 1 changes pending / invariant broken / refused,
2 bad input or usage. Heavy modules (libcst, the prover) are imported inside commands.

No `from __future__ import annotations` here: typer reads every command's annotations on
every start, and would compile each one given as a string.
"""

import functools
import gc
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from dockfix.errors import DockfixError

EXIT_CODES = """Exit codes: 0 ok; 1 changes pending, invariant broken or write refused; 2 bad input."""

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=f"A verified codemod for Dockerfiles: transforms that emit diffs, and a prover that checks them.\n\n{EXIT_CODES}",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _fail(err: DockfixError) -> None:
    typer.echo(str(err), err=True)
    raise typer.Exit(err.exit_code)


def handled(fn):
    """Turn DockfixError and OS errors into `path:line: message` and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DockfixError as err:
            _fail(err)
        except OSError as err:
            _fail(DockfixError(err.strerror or str(err), path=err.filename and str(err.filename)))
        except KeyboardInterrupt as err:  # SIGINT; SIGTERM too during apply (dockfix.interrupts)
            typer.echo("dockfix: interrupted; nothing written", err=True)
            raise typer.Exit(getattr(err, "exit_code", 130)) from None

    return wrapper


def _root(path: Path, recover: bool = True) -> Path:
    """A repository root given on the command line. First of all, a journal left there by
    an apply that was killed is rolled back (dockfix/journal.py), unless the caller (apply)
    does that itself under its lock."""
    if not path.exists():
        raise DockfixError("no such directory", path=str(path))
    if not path.is_dir():
        raise DockfixError("not a directory", path=str(path))
    from dockfix.tree import OWN_FILES

    if recover and any(os.path.lexists(path / name) for name in OWN_FILES):
        from dockfix.journal import recover as roll_back  # only then: it imports hashlib and json

        roll_back(path)
    return path


def _recover_above(file: Path) -> None:
    """For commands given a file: roll back a journal in any directory above it."""
    from dockfix.journal import JOURNAL_NAME, recover as roll_back

    for directory in Path(os.path.abspath(file)).parents:
        if os.path.lexists(directory / JOURNAL_NAME):
            roll_back(directory)


def _output(output: Optional[Path]) -> Optional[Path]:
    """--output FILE: its folder must exist (checked before any work; never created)."""
    if output is not None and not output.parent.is_dir():
        raise DockfixError("the folder of --output does not exist (dockfix does not create it); "
                           "nothing written", path=str(output))
    return output


def _warn_templates() -> None:
    """Templates (Jinja, cookiecutter) are not built, and Dockerfiles BuildKit rejects are
    not read: the graph skipped them; name each once, in path order."""
    from dockfix.graph.discover import skipped_links
    from dockfix.graph.model import skipped_templates, skipped_unparsable

    found = sorted([t.warning() for t in skipped_templates()] + skipped_unparsable() + skipped_links())
    if found:
        typer.echo("\n".join(found), err=True)


def _emit(data: bytes | str, output: Optional[Path]) -> None:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if output is not None:
        _output(output).write_bytes(raw)
        return
    sys.stdout.buffer.write(raw)
    sys.stdout.flush()


def _names(root: Path, option: Optional[int], only: Optional[str], skip: Optional[str],
           select: Optional[str] = None):
    from dockfix import transforms
    from dockfix.config import load_config

    config = load_config(root)
    if select:  # --select takes names and hadolint codes, like --only (transforms.resolve)
        only = ",".join(x for x in (only, select) if x)
    chosen = option if option is not None else (config.option or 1)
    split = lambda s: [x.strip() for x in s.split(",") if x.strip()] if s else None  # noqa: E731
    only_l = split(only)
    skip_l = (split(skip) or []) + list(config.ignore)
    if only_l and option is None:
        # Naming transforms without a preset runs exactly those: naming is the opt-in
        # (non-root is Safety.UNSAFE and runs only when a preset or the user names it).
        return config, chosen, transforms.select(None, only_l, skip_l)
    only_l = only_l or (list(config.select) or None)
    return config, chosen, transforms.select(chosen, only_l, skip_l, only_within_preset=option is not None)


SELECT_HELP = "Run only the transforms answering these hadolint codes or names (DL3042,merge-pip-runs)."
OPTION_HELP = "Preset: 1 layers, 2 no surgery (seed plan), 3 ideal structure."
COLOR_HELP = ("Colour the diff and the summary (default: when stdout is a terminal and NO_COLOR is "
              "unset). Piped output is the plain diff.")
JOBS_HELP = ("Worker processes for a large repository, split into independent parts (default: one "
             "per CPU). The result is the same whatever the number.")


@app.command("parse")
@handled
def parse_cmd(
    file: Path = typer.Argument(..., help="A Dockerfile."),
    fmt: Format = typer.Option(Format.text, "--format", help="text or json."),
) -> None:
    """Parse one Dockerfile the way BuildKit does and list its instructions."""
    from dockfix.syntax import parse

    _recover_above(file)
    data = file.read_bytes()
    doc = parse(data, str(file))
    if fmt is Format.json:
        _emit(json.dumps({"instructions": [i.to_json() for i in doc.instructions]},
                         indent=2, ensure_ascii=False) + "\n", None)
        return
    lines = []
    for ins in doc.instructions:
        span = f"{ins.start_line}" if ins.start_line == ins.end_line else f"{ins.start_line}-{ins.end_line}"
        flags = " ".join(ins.flags)
        lines.append(f"{span:>7}  {ins.keyword:<11} {flags + ' ' if flags else ''}{ins.value!r}"
                     + (f"  heredocs={[h.name for h in ins.heredocs]}" if ins.heredocs else ""))
    _emit("\n".join(lines) + "\n", None)


@app.command("graph")
@handled
def graph_cmd(
    root: Path = typer.Argument(Path("."), help="Repository root."),
    fmt: Format = typer.Option(Format.text, "--format", help="text or json."),
) -> None:
    """Show the image graph: image -> Dockerfile, stage, base, context, and where each mapping came from."""
    from dockfix.config import load_config
    from dockfix.graph import build_graph, format_graph, graph_to_json
    from dockfix.tree import Tree

    root = _root(root)
    config = load_config(root)
    graph = build_graph(Tree(root, exclude=config.exclude), config)
    _warn_templates()
    if fmt is Format.json:
        _emit(json.dumps(graph_to_json(graph), indent=2, ensure_ascii=False) + "\n", None)
    else:
        _emit(format_graph(graph), None)


@app.command("plan")
@handled
def plan_cmd(
    root: Path = typer.Argument(Path("."), help="Repository root."),
    option: Optional[int] = typer.Option(None, "--option", help=OPTION_HELP),
    only: Optional[str] = typer.Option(None, "--only", help="Run only these transforms (comma-separated)."),
    select: Optional[str] = typer.Option(None, "--select", help=SELECT_HELP),
    skip: Optional[str] = typer.Option(None, "--skip", help="Skip these transforms (comma-separated)."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (a unified diff), json or sarif."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help=COLOR_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
) -> None:
    """Preview: print the diff to stdout (`dockfix plan > x.patch && git apply x.patch`),
    and the summary and the prover's verdict to stderr. Exits 0 whether or not changes are pending."""
    _output(output)
    root = _root(root)
    config, chosen, names = _names(root, option, only, skip, select)
    plan = _make_plan(root, config, names, chosen, jobs)
    _warn_templates()
    if fmt is Format.text and _use_color(color):
        _emit_colored(plan.diff(), output, color)
        _rich_summary(plan, color)
        return
    if fmt is Format.json:
        _emit(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt is Format.sarif:
        from dockfix.report import plan_to_sarif

        _emit(json.dumps(plan_to_sarif(plan), indent=2) + "\n", output)
    else:
        _emit(plan.diff(), output)
    _summary(plan)


def _make_plan(root: Path, config, names: list[str], option: Optional[int], jobs: Optional[int],
               second_pass: bool = False):
    """make_plan with a progress bar on stderr when it is a terminal (large runs only: the
    scheduler reports progress only when it splits the repository)."""
    from dockfix import pipeline

    progress = None
    if _is_terminal(sys.stderr):
        from dockfix.progress import ProgressBar

        progress = ProgressBar()
    try:
        return pipeline.make_plan(root, config, names, option, jobs=jobs, second_pass=second_pass,
                                  progress=progress)
    finally:
        if progress is not None:
            progress.close()


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _use_color(flag: Optional[bool]) -> bool:
    """--color/--no-color decide; else a non-empty NO_COLOR (no-color.org) turns colours off;
    else colours when stdout is a terminal."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    return _is_terminal(sys.stdout)


def _emit_colored(diff: bytes, output: Optional[Path], forced: Optional[bool]) -> None:
    """The diff with ANSI colours on stdout; a file named by --output gets the plain bytes."""
    if output is not None:
        _emit(diff, output)
        return
    from dockfix.terminal import color_diff, console

    _emit(color_diff(diff, console(stderr=False, forced=bool(forced)).color_system), None)


def _rich_summary(plan, forced: Optional[bool], defects=None) -> None:
    from dockfix.terminal import console, summary_lines

    out = console(stderr=True, forced=bool(forced))
    for text, style in summary_lines(plan, defects):
        out.print(text, style=style, markup=False, highlight=False, emoji=False, soft_wrap=True)


def _summary(plan) -> None:
    n = len(plan.changed)
    lines = [str(note) for note in plan.outcome.notes]  # one write: a large run has thousands
    lines.append(f"dockfix: {n} file{'s' if n != 1 else ''} would change "
                 f"({', '.join(plan.outcome.names) or 'no transforms'})")
    lines.append(plan.verdict.report())
    typer.echo("\n".join(lines), err=True)


@app.command("apply")
@handled
def apply_cmd(
    root: Path = typer.Argument(Path("."), help="Repository root."),
    option: Optional[int] = typer.Option(None, "--option", help=OPTION_HELP),
    only: Optional[str] = typer.Option(None, "--only", help="Run only these transforms (comma-separated)."),
    select: Optional[str] = typer.Option(None, "--select", help=SELECT_HELP),
    skip: Optional[str] = typer.Option(None, "--skip", help="Skip these transforms (comma-separated)."),
    plan_file: Optional[Path] = typer.Option(None, "--plan", help="Apply exactly this JSON plan; refuse if files changed since."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
) -> None:
    """Rewrite the files, after the prover holds and a second pass changes nothing. All or nothing:
    one apply per repository at a time (a lock), every file compared with what dockfix read just
    before it is replaced, and a journal that rolls back a run killed midway."""
    from dockfix import faults, interrupts, journal, pipeline
    from dockfix.lock import RepoLock

    root = _root(root, recover=False)
    expected = pipeline.load_plan_file(str(plan_file)) if plan_file else None
    if expected is not None and option is None and only is None and skip is None and select is None:
        option = expected.get("option")
        only = ",".join(expected.get("transforms", [])) or None
    with interrupts.trapped(), RepoLock.acquire(root) as lock:
        faults.point("locked")
        journal.recover(root, lock)
        config, chosen, names = _names(root, option, only, skip, select)
        plan = _make_plan(root, config, names, chosen, jobs, second_pass=True)
        _warn_templates()
        faults.point("planned")
        written = pipeline.apply(plan, config, expected)
    for note in plan.outcome.notes:
        typer.echo(str(note), err=True)
    for path in written:
        typer.echo(f"rewrote {path}", err=True)
    typer.echo(f"dockfix: {len(written)} file{'s' if len(written) != 1 else ''} rewritten; "
               f"{plan.verdict.summary()}", err=True)


@app.command("check")
@handled
def check_cmd(
    root: Path = typer.Argument(Path("."), help="Repository root."),
    option: Optional[int] = typer.Option(None, "--option", help=OPTION_HELP),
    select: Optional[str] = typer.Option(None, "--select", help=SELECT_HELP),
    fmt: Format = typer.Option(Format.text, "--format", help="text, json or sarif."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    color: Optional[bool] = typer.Option(None, "--color/--no-color", help=COLOR_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
) -> None:
    """For CI and pre-commit: exit 1 when the preset would change files or a defect exists."""
    _output(output)
    root = _root(root)
    config, chosen, names = _names(root, option, None, None, select)
    plan = _make_plan(root, config, names, chosen, jobs)
    _warn_templates()
    from dockfix.prover import build_defects

    found = plan.defects  # build defects, then warnings (reported, not failing check)
    defects = build_defects(found)
    if fmt is Format.text and _use_color(color):
        _emit_colored(plan.diff(), output, color)
        _rich_summary(plan, color, found)
    elif fmt is Format.sarif:
        from dockfix.report import check_to_sarif

        _emit(json.dumps(check_to_sarif(plan, found), indent=2) + "\n", output)
    elif fmt is Format.json:
        body = plan.to_json()
        body["defects"] = [d.to_json() for d in defects]
        body["warnings"] = [d.to_json() for d in found if d not in defects]
        _emit(json.dumps(body, indent=2, ensure_ascii=False) + "\n", output)
    else:
        _emit(plan.diff(), output)
        for d in found:
            typer.echo(d.line_text(), err=True)
    warned = len(found) - len(defects)
    if warned:
        typer.echo(f"dockfix: {warned} warning(s) (not build defects)", err=True)
    if plan.changed or defects:
        typer.echo(f"dockfix: {len(plan.changed)} file(s) would change, {len(defects)} defect(s)", err=True)
        raise typer.Exit(1)


@app.command("verify")
@handled
def verify_cmd(
    before: Optional[Path] = typer.Argument(None, help="Repository root before (or ROOT with --base)."),
    after: Optional[Path] = typer.Argument(None, help="Repository root after."),
    base: Optional[str] = typer.Option(None, "--base", help="Compare git revision REV with the working tree of ROOT."),
    fmt: Format = typer.Option(Format.text, "--format", help="text or json."),
    build: bool = typer.Option(False, "--build", help="Also build every image of both trees and compare the real "
                               "configs, smoke checks and sizes (needs docker, buildah or podman)."),
    engine: Optional[str] = typer.Option(None, "--engine", help="With --build: docker, buildah or podman "
                                         "(default: the first that works, in that order)."),
) -> None:
    """Prove CMD/ENTRYPOINT, paths, constants, requirements and the Python version are untouched."""
    _check_verify_options(after, base, build, engine)
    verdict, configs = _static_verdict(before, after, base)
    _warn_templates()
    chosen = _build_engine(engine) if build else None  # an unusable engine is bad input: before any output
    real = None
    if chosen is not None:
        if fmt is Format.text:
            _emit(verdict.report() + "\n", None)  # the static verdict first: builds take minutes
        real = _real_builds(before, after, configs, chosen)
    _emit_verify(verdict, real, fmt)
    if not verdict.holds or (real is not None and not real.holds):
        raise typer.Exit(1)


def _check_verify_options(after: Optional[Path], base: Optional[str], build: bool, engine: Optional[str]) -> None:
    if (build or engine) and base is not None:
        raise DockfixError("--build compares two directories: give BEFORE and AFTER, not --base")
    if engine is not None and not build:
        raise DockfixError("--engine only applies with --build")
    if base is not None and after is not None:
        raise DockfixError("with --base, give at most one ROOT")


def _static_verdict(before: Optional[Path], after: Optional[Path], base: Optional[str]):
    """The prover's verdict, and (BEFORE's, AFTER's) configuration for two directories."""
    from dockfix.config import load_config
    from dockfix.prover import verify_revision, verify_trees

    if base is not None:
        root = _root(before or Path("."))
        return verify_revision(base, root, load_config(root)), None
    if before is None or after is None:
        raise DockfixError("give BEFORE and AFTER roots, or --base REV [ROOT]")
    configs = (load_config(_root(before)), load_config(_root(after)))  # each tree is read with its own
    return verify_trees(_root(before), _root(after), configs[1], configs[0]), configs


def _build_engine(engine: Optional[str]):
    from dockfix.build import EngineUnavailable, detect_engine

    try:
        return detect_engine(engine)
    except EngineUnavailable as err:
        raise DockfixError(str(err), path="--engine" if engine else None) from None


def _real_builds(before, after, configs, engine):
    from dockfix.build import EngineError
    from dockfix.build.verify import verify_build

    try:
        return verify_build(before, after, configs[1], engine, before_config=configs[0],
                            progress=lambda msg: typer.echo(f"  {msg}", err=True))
    except EngineError as err:
        raise DockfixError(f"container engine: {err}") from None


def _emit_verify(verdict, real, fmt: Format) -> None:
    if fmt is Format.json:
        data = verdict.to_json() if real is None else {"static": verdict.to_json(), "build": real.to_json(),
                                                         "holds": verdict.holds and real.holds}
        _emit(json.dumps(data, indent=2, ensure_ascii=False) + "\n", None)
    else:
        _emit((verdict if real is None else real).report() + "\n", None)


class ScanFormat(str, Enum):
    markdown = "markdown"
    json = "json"


@app.command("scan")
@handled
def scan_cmd(
    root: Path = typer.Argument(Path("."), help="Repository root."),
    fmt: ScanFormat = typer.Option(ScanFormat.markdown, "--format", help="markdown or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
    layers_svg: Optional[Path] = typer.Option(None, "--layers-svg", help="Also draw the images' layer tree to FILE (SVG)."),
) -> None:
    """Analyse every Dockerfile: base image, Python version, stages, layers, apt and pip caches,
    user, COPY sources against .dockerignore, duplicates, and what each preset would change."""
    from dockfix.config import load_config
    from dockfix.scan import scan, to_json, to_markdown

    _output(output)
    root = _root(root)
    report = scan(root, load_config(root))
    _warn_templates()
    if layers_svg is not None:
        from dockfix.layers_view import to_svg

        layers_svg.write_text(to_svg(report.layer_trees, str(root)), encoding="utf-8")
    if fmt is ScanFormat.json:
        _emit(json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n", output)
    else:
        _emit(to_markdown(report), output)


@app.command("transforms")
@handled
def transforms_cmd() -> None:
    """List the transforms with one-line summaries."""
    from dockfix import transforms

    rows = []
    for name in sorted(transforms.REGISTRY):
        t = transforms.load(name)
        presets = ",".join(str(k) for k, v in transforms.PRESETS.items() if name in v)
        rows.append(f"{name:<20} {t.safety.value:<7} option {presets or '-':<6} {t.summary}")
    _emit("\n".join(rows) + "\n", None)


@app.command("explain")
@handled
def explain_cmd(name: str = typer.Argument(..., help="A transform name.")) -> None:
    """Print a transform's README: what it does, when it must not fire, why it is equivalent."""
    from dockfix import transforms

    transforms.load(name)  # unknown names fail with the list of known ones
    readme = _transform_readme(name)
    _emit(readme, None)


def _transform_readme(name: str) -> bytes:
    from importlib import resources

    packaged = resources.files("dockfix").joinpath("docs", f"{name}.md")
    if packaged.is_file():
        return packaged.read_bytes()
    source = Path(__file__).resolve().parents[2] / "transforms" / name / "README.md"
    if source.is_file():
        return source.read_bytes()
    raise DockfixError(f"no README for transform {name}")


def main() -> None:
    # A short run whose own objects make no reference cycles (tests/test_gc.py): reference
    # counting frees them, and the cyclic collector only walked the live ones, 8% of a large run.
    gc.disable()
    try:
        app()
    except KeyboardInterrupt as err:  # SIGINT, or SIGTERM during apply (dockfix.interrupts)
        typer.echo("dockfix: interrupted; nothing written", err=True)
        sys.exit(getattr(err, "exit_code", 130))


def entry() -> None:
    """The `dockfix` command: `main`, then exit without the interpreter's teardown, which
    frees a large run's objects one by one (about a tenth of a second for 2,000
    Dockerfiles; mypy exits the same way). Output is flushed first; a crash still goes
    through the normal exit with its traceback."""
    try:
        main()
        code = 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:  # sys.exit("message"): printed, and 1, as the interpreter does
            print(done.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`dockfix plan | head`): nothing to keep
            pass
    os._exit(code)
