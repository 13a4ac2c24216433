"""Repository graph: discovery, .dockerignore, image map, FROM resolution."""

from dockfix.graph.model import BaseRef, DockerfileNode, Graph, build_graph, format_graph, graph_to_json
from dockfix.graph.sources import ImageMapping, Provenance, normalise_ref

__all__ = ["BaseRef", "DockerfileNode", "Graph", "ImageMapping", "Provenance", "build_graph",
           "format_graph", "graph_to_json", "normalise_ref"]
