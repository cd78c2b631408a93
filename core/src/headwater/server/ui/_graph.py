"""The dependency graph of a flow run's task runs, laid out for an inline SVG.

Nodes are task runs; an edge goes from each run named in a run's
``task_inputs`` or ``wait_for`` to that run. Nodes sit in layers left to
right by the longest path from a run without upstreams, so every edge points
to a later layer. Within a layer, nodes are ordered by the mean position of
their upstreams (one barycentre pass), which untangles most fan-in/fan-out
flows. A run with more than :data:`MAX_NODES` task runs is drawn as one node
per task key (with its count and state breakdown); keys can depend on
themselves or on each other both ways, so their layers come from the graph
of strongly connected components, and edges inside one component stay within
its layer. The layout is plain data; the template draws it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from headwater._store.records import TaskRunRecord
from headwater.server.ui._timeline import STATE_ORDER, base_name, worst_state

__all__ = [
    "GAP_X",
    "GAP_Y",
    "MAX_EDGES",
    "MAX_NODES",
    "NODE_HEIGHT",
    "NODE_WIDTH",
    "Edge",
    "Graph",
    "Node",
    "build_graph",
    "dependencies",
    "layers",
    "strongly_connected",
]

MAX_NODES = 300
"""More task runs than this and the graph has one node per task key."""
MAX_EDGES = 3000
"""At most this many edges are drawn (the rest are counted and reported)."""
NODE_WIDTH = 150
NODE_HEIGHT = 26
GAP_X = 50
GAP_Y = 10
PAD = 6
_DIP = 28
"""How far below its row an edge that skips layers bends (into the gap between rows)."""

_RANK = {state: i for i, state in enumerate(STATE_ORDER)}


@dataclass(frozen=True, slots=True)
class Node:
    """A task run (or every run of one task key) placed in its layer."""

    id: str
    label: str
    layer: int
    x: float
    y: float
    state_type: str
    title: str
    href: str | None
    count: int = 1


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from an upstream node to a downstream node, as an SVG path."""

    source: str
    target: str
    path: str


@dataclass(frozen=True, slots=True)
class Graph:
    """What the template draws, and what was left out."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int
    aggregated: bool
    edges_dropped: int


def dependencies(run: TaskRunRecord) -> list[str]:
    """The ids of the task runs ``run`` depends on (inputs, then ``wait_for``), once each."""
    ids: list[str] = []
    for upstream in run.task_inputs.values():
        ids.extend(upstream)
    ids.extend(run.wait_for)
    return list(dict.fromkeys(ids))


def strongly_connected(nodes: Sequence[str], upstream: Mapping[str, Iterable[str]]) -> list[int]:
    """The strongly connected component of each node (an index per node, in ``nodes`` order).

    Iterative Tarjan, so a chain of thousands of nodes does not hit the recursion limit.
    Edges to names not in ``nodes`` are ignored.
    """
    index_of = {name: i for i, name in enumerate(nodes)}
    succ = [[index_of[u] for u in upstream.get(name, ()) if u in index_of] for name in nodes]
    count = len(nodes)
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    comp = [-1] * count
    next_index = 0
    next_comp = 0
    for root in range(count):
        if index[root] != -1:
            continue
        work: list[tuple[int, int]] = [(root, 0)]
        while work:
            v, pos = work.pop()
            if pos == 0:
                index[v] = low[v] = next_index
                next_index += 1
                stack.append(v)
                on_stack[v] = True
            recursed = False
            edges = succ[v]
            while pos < len(edges):
                w = edges[pos]
                pos += 1
                if index[w] == -1:
                    work.append((v, pos))
                    work.append((w, 0))
                    recursed = True
                    break
                if on_stack[w]:
                    low[v] = min(low[v], index[w])
            if recursed:
                continue
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = next_comp
                    if w == v:
                        break
                next_comp += 1
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return comp


def layers(nodes: Sequence[str], upstream: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """The layer of each node: the length of the longest upstream path into it.

    Nodes without upstreams are layer 0; every edge goes from a lower layer to a
    higher one, except edges inside a cycle, whose nodes share a layer.
    """
    comp = strongly_connected(nodes, upstream)
    index_of = {name: i for i, name in enumerate(nodes)}
    comp_up: dict[int, set[int]] = {}
    for i, name in enumerate(nodes):
        for u in upstream.get(name, ()):
            j = index_of.get(u)
            if j is not None and comp[j] != comp[i]:
                comp_up.setdefault(comp[i], set()).add(comp[j])
    # Tarjan numbers components in reverse topological order of the "upstream"
    # relation: a component's upstreams are finished (numbered) before it.
    depth: dict[int, int] = {}
    for c in range(max(comp, default=-1) + 1):
        ups = comp_up.get(c, set())
        depth[c] = 1 + max((depth[u] for u in ups), default=-1)
    return {name: depth[comp[i]] for i, name in enumerate(nodes)}


def _order_layers(
    names: Sequence[str], layer: Mapping[str, int], upstream: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    by_layer: dict[int, list[str]] = {}
    for name in names:
        by_layer.setdefault(layer[name], []).append(name)
    position: dict[str, float] = {}
    ordered: list[list[str]] = []
    for k in sorted(by_layer):
        members = by_layer[k]

        def key(name: str, members: list[str] = members) -> tuple[float, int]:
            ups = [position[u] for u in upstream.get(name, ()) if u in position]
            return (sum(ups) / len(ups) if ups else -1.0, members.index(name))

        members = sorted(members, key=key) if k > 0 else members
        for i, name in enumerate(members):
            position[name] = float(i)
        ordered.append(members)
    return ordered


def _place(
    specs: Mapping[str, tuple[str, str, str, str | None, int]],
    upstream: Mapping[str, Sequence[str]],
    *,
    aggregated: bool,
    max_edges: int,
) -> Graph:
    names = list(specs)
    layer = layers(names, upstream)
    ordered = _order_layers(names, layer, upstream)
    nodes: list[Node] = []
    where: dict[str, tuple[float, float]] = {}
    for k, members in enumerate(ordered):
        for i, name in enumerate(members):
            label, state_type, title, href, count = specs[name]
            x = PAD + k * (NODE_WIDTH + GAP_X)
            y = PAD + i * (NODE_HEIGHT + GAP_Y)
            where[name] = (x, y)
            nodes.append(Node(name, label, layer[name], x, y, state_type, title, href, count))
    edges: list[Edge] = []
    dropped = 0
    for name in names:
        for u in upstream.get(name, ()):
            if u not in where or u == name:
                continue
            if len(edges) >= max_edges:
                dropped += 1
                continue
            (x1, y1), (x2, y2) = where[u], where[name]
            sx, sy = x1 + NODE_WIDTH, y1 + NODE_HEIGHT / 2
            tx, ty = x2, y2 + NODE_HEIGHT / 2
            if layer[u] == layer[name]:  # inside a cycle of task keys: loop around the side
                sx, tx = x1 + NODE_WIDTH / 2, x2 + NODE_WIDTH / 2
                sy, ty = y1 + NODE_HEIGHT, y2
            mid = (sx + tx) / 2
            c1, c2 = f"{mid:.1f},{sy:.1f}", f"{mid:.1f},{ty:.1f}"
            if layer[name] - layer[u] > 1:
                # Skipping layers: dip into the gap under the row, not through the nodes between.
                c1 = f"{sx + GAP_X:.1f},{sy + _DIP:.1f}"
                c2 = f"{tx - GAP_X:.1f},{ty + _DIP:.1f}"
            path = f"M{sx:.1f},{sy:.1f} C{c1} {c2} {tx:.1f},{ty:.1f}"
            edges.append(Edge(u, name, path))
    columns = len(ordered)
    rows = max((len(m) for m in ordered), default=0)
    return Graph(
        nodes=tuple(nodes),
        edges=tuple(edges),
        width=int(PAD * 2 + max(columns, 1) * (NODE_WIDTH + GAP_X) - GAP_X),
        height=int(PAD * 2 + max(rows, 1) * (NODE_HEIGHT + GAP_Y) - GAP_Y + _DIP // 2),
        aggregated=aggregated,
        edges_dropped=dropped,
    )


def build_graph(
    task_runs: Sequence[TaskRunRecord],
    *,
    max_nodes: int = MAX_NODES,
    max_edges: int = MAX_EDGES,
) -> Graph:
    """Lay out the dependency graph of ``task_runs`` (one flow run's, in creation order)."""
    if len(task_runs) <= max_nodes:
        specs: dict[str, tuple[str, str, str, str | None, int]] = {}
        upstream: dict[str, list[str]] = {}
        for run in task_runs:
            specs[run.id] = (
                run.name,
                run.state_type,
                f"{run.name}: {run.state_name}",
                f"/task-runs/{run.id}",
                1,
            )
            upstream[run.id] = dependencies(run)
        return _place(specs, upstream, aggregated=False, max_edges=max_edges)
    key_of = {run.id: run.task_key for run in task_runs}
    grouped: dict[str, list[TaskRunRecord]] = {}
    key_up: dict[str, dict[str, None]] = {}
    for run in task_runs:
        grouped.setdefault(run.task_key, []).append(run)
        ups = key_up.setdefault(run.task_key, {})
        for dep in dependencies(run):
            dep_key = key_of.get(dep)
            if dep_key is not None:
                ups[dep_key] = None
    specs = {}
    for task_key, runs in grouped.items():
        counts: dict[str, int] = {}
        for run in runs:
            counts[run.state_type] = counts.get(run.state_type, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: _RANK.get(kv[0], len(_RANK)))
        breakdown = ", ".join(f"{n} {s.title()}" for s, n in ordered)
        name = base_name(runs[0].name)
        specs[task_key] = (
            f"{name} \u00d7{len(runs)}",
            worst_state(list(counts)),
            f"{name}: {len(runs)} task runs ({breakdown})",
            None,
            len(runs),
        )
    upstream = {key: list(ups) for key, ups in key_up.items()}
    return _place(specs, upstream, aggregated=True, max_edges=max_edges)
