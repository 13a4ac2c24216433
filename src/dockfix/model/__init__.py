"""One reading of a Docker build, derived once and shared by the transforms, the prover and scan.

Each module reads one kind of fact and is tested against a ground truth, not against another
reading of ours: `shell` against the real `/bin/sh`, `copy` against real buildah builds, the
Dockerfile syntax (`dockfix.syntax`) against BuildKit's own parser. What a reader cannot follow
exactly is returned as unknown, never guessed: the prover treats unknown as unproven.
"""
