"""The import graph that detects cycles (importgraph.go): nodes are files or "file:snippet"."""
from __future__ import annotations


class ImportCycleError(Exception):
    pass


class ImportGraph:
    def __init__(self) -> None:
        self.nodes: set[str] = set()
        self.edges: dict[str, list[str]] = {}

    def add_nodes(self, names: list[str]) -> None:
        self.nodes.update(names)

    def remove_nodes(self, names: list[str]) -> None:
        for name in names:
            self.nodes.discard(name)

    def add_edges(self, src: str, targets: list[str]) -> None:
        for dst in targets:
            self.add_edge(src, dst)

    def add_edge(self, src: str, dst: str) -> None:
        if src not in self.nodes or dst not in self.nodes:
            raise ImportCycleError("one of the nodes does not exist")
        if self._reachable_from_successors(dst, src):
            raise ImportCycleError(f"a cycle of imports exists between {src} and {dst}")
        succ = self.edges.setdefault(src, [])
        if dst not in succ:
            succ.append(dst)

    def _reachable_from_successors(self, start: str, target: str) -> bool:
        """Whether target is reachable from start's successors (start itself does not count)."""
        seen: set[str] = set()
        stack = list(self.edges.get(start, ()))
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(self.edges.get(node, ()))
        return target in seen
