"""dockfix: a verified codemod for Dockerfiles.

The pipeline, one package each: syntax (lossless parse) -> graph (repo, images,
contexts) -> transforms -> engine (compose, diff, second pass) -> prover -> write.
"""

__version__ = "0.1.0"
