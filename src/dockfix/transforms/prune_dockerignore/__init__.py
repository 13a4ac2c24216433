"""prune-dockerignore: give every COPY/ADD the context files it names.

What it does: for every build (a Dockerfile with its context and the `.dockerignore` in
force: `<Dockerfile>.dockerignore` when it exists, else `<context>/.dockerignore`) it finds
the COPY/ADD sources the build cannot get because `.dockerignore` removed them from the
context. Such a COPY fails the build ("not found"); it does not copy "nothing". For the
pattern that excludes the source it then either
- removes the pattern, when the pattern is a plain path (no wildcard) and removing it
  re-includes only files that failing COPYs name (academy: `scripts/`), or
- narrows it with an exception placed right after it, `!<source>` (`**/*.sh` followed by
  `!bin/entrypoint.sh`): a wildcard pattern is a policy for files that do not exist yet,
  so it is never removed, even when the source is the only file it matches today.
Comments, blank lines, line endings and every other pattern stay.

When it must not fire: sources that the build gets (also partly: `COPY scripts` where only
`scripts/*.pyc` is excluded copies what is left, deliberately); `COPY --from`, heredoc
sources, `ADD` of URLs and git repositories; stages the build never reaches; a wildcard
source whose directory exists but whose matches are all excluded (BuildKit allows an empty
wildcard: the COPY copies nothing and the build succeeds, so re-including would change a
working image: reported as a warning); when the edit would re-include a file that a build
which works today copies (its image would change), or a file that another pattern excludes
too; `# dockfix: ignore[prune-dockerignore]` above the COPY.

Why it is equivalent: every file the edit brings back into the context is named by a COPY
that failed, and by no COPY of a build that worked (checked by re-evaluating the edited
file with Docker's matcher). Builds that worked send the builder a context in which every
file they copy is the same, so they build the same images; builds that failed at the COPY
now get its files.

Layout: `builds` finds the builds, their reachable stages and their COPY/ADD sources (read
with `dockfix.model.copy` and `dockfix.model.words`); `edit` decides and checks the edits of
one .dockerignore; `ignore_text` edits its lines byte for byte.
"""

from __future__ import annotations

from dockfix.transforms.base import Context, Safety, Transform
from dockfix.transforms.prune_dockerignore.builds import builds_by_ignore_file
from dockfix.transforms.prune_dockerignore.edit import prune


class PruneDockerignore(Transform):
    name = "prune-dockerignore"
    summary = "Remove or narrow the .dockerignore patterns that exclude a COPY/ADD source."
    safety = Safety.SAFE
    answers = ('the build error "failed to compute cache key: ... not found" '
               "(a COPY/ADD of a path .dockerignore excludes)")

    def apply(self, ctx: Context) -> None:
        for ignore_path, builds in sorted(builds_by_ignore_file(ctx).items()):
            prune(ctx, ignore_path, builds)


__all__ = ["PruneDockerignore"]
