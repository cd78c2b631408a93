"""The Gantt chart of a flow run's task runs, laid out for an inline SVG.

One bar per task run: x spans its start..end relative to the flow run's start,
coloured by its state type; a run still going extends to ``now``. A run with
more than :data:`MAX_ROWS` task runs is drawn as one row per task key instead
(count, min start..max end, and the bar split into one segment per state type
in proportion to how many runs ended there), so the page stays bounded in size
whatever the run's width. The layout is plain data; the template draws it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from headwater._store.records import FlowRunRecord, TaskRunRecord
from headwater.server.ui._render import format_duration

__all__ = [
    "AXIS_HEIGHT",
    "BAR_HEIGHT",
    "CHART_WIDTH",
    "LABEL_WIDTH",
    "MAX_ROWS",
    "ROW_HEIGHT",
    "STATE_ORDER",
    "Bar",
    "Segment",
    "Timeline",
    "base_name",
    "build_timeline",
    "nice_step",
    "worst_state",
]

MAX_ROWS = 300
"""More task runs than this and the chart has one row per task key."""
LABEL_WIDTH = 220
CHART_WIDTH = 900
ROW_HEIGHT = 18
BAR_HEIGHT = 12
AXIS_HEIGHT = 22

STATE_ORDER: tuple[str, ...] = (
    "FAILED",
    "CRASHED",
    "CANCELLING",
    "CANCELLED",
    "RUNNING",
    "PAUSED",
    "PENDING",
    "SCHEDULED",
    "COMPLETED",
)
"""State types from the most to the least deserving of attention."""

_RANK = {state: i for i, state in enumerate(STATE_ORDER)}
_LIVE = frozenset({"RUNNING", "CANCELLING"})
_SUFFIX = re.compile(r"-\d+$")


@dataclass(frozen=True, slots=True)
class Segment:
    """A part of an aggregated bar: the share of its runs in one state type."""

    x: float
    width: float
    state_type: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the chart (a task run, or every run of one task key)."""

    label: str
    y: float
    x: float
    width: float
    state_type: str
    title: str
    href: str | None
    count: int = 1
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True, slots=True)
class Timeline:
    """What the template draws: bars, axis ticks (x, label) and the SVG size."""

    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]
    width: int
    height: int
    span: float
    aggregated: bool
    task_run_count: int


def worst_state(state_types: Sequence[str]) -> str:
    """The state type among ``state_types`` that most deserves attention (FAILED first)."""
    return min(state_types, key=lambda s: _RANK.get(s, len(_RANK)), default="PENDING")


def base_name(task_run_name: str) -> str:
    """A task run's name without its call-number suffix: ``extract-12`` -> ``extract``."""
    return _SUFFIX.sub("", task_run_name)


def nice_step(span: float, *, target: int = 8) -> float:
    """A round tick interval (1, 2 or 5 times a power of ten, or whole minutes/hours)
    that cuts ``span`` seconds into at most about ``target`` pieces."""
    if span <= 0:
        return 1.0
    raw = span / target
    for step in (60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0):
        if raw <= step and raw > 30:
            return step
    if raw > 86400:
        return 86400.0 * (int(raw // 86400) + 1)
    power = 10.0 ** _floor_log10(raw)
    for mult in (1.0, 2.0, 5.0, 10.0):
        if raw <= mult * power:
            return mult * power
    return 10.0 * power  # pragma: no cover - the loop always returns


def _floor_log10(value: float) -> int:
    exp = 0
    while value >= 10:
        value /= 10
        exp += 1
    while value < 1:
        value *= 10
        exp -= 1
    return exp


def _interval(run: TaskRunRecord, now: float) -> tuple[float, float]:
    start = run.start_time if run.start_time is not None else run.created
    if run.end_time is not None:
        end = run.end_time
    elif run.state_type in _LIVE:
        end = now
    else:
        end = start
    return start, max(start, end)


def _origin_and_end(
    flow_run: FlowRunRecord, spans: Sequence[tuple[float, float]], now: float
) -> tuple[float, float]:
    starts = [s for s, _ in spans]
    origin = flow_run.start_time
    if origin is None:
        origin = min(starts) if starts else flow_run.created
    origin = min([origin, *starts])
    if flow_run.end_time is not None:
        end = flow_run.end_time
    elif flow_run.state_type in _LIVE:
        end = now
    else:
        end = origin
    end = max([end, *(e for _, e in spans)])
    return origin, end


def build_timeline(
    flow_run: FlowRunRecord,
    task_runs: Sequence[TaskRunRecord],
    *,
    now: float,
    max_rows: int = MAX_ROWS,
) -> Timeline:
    """Lay out the Gantt chart of ``task_runs`` (all of ``flow_run``'s, in creation order)."""
    spans = [_interval(run, now) for run in task_runs]
    origin, end = _origin_and_end(flow_run, spans, now)
    span = max(end - origin, 0.001)
    scale = CHART_WIDTH / span

    def x_of(t: float) -> float:
        return LABEL_WIDTH + (t - origin) * scale

    aggregated = len(task_runs) > max_rows
    bars: list[Bar] = []
    if not aggregated:
        for i, (run, (start, stop)) in enumerate(zip(task_runs, spans, strict=True)):
            duration = (run.end_time or now) - run.start_time if run.start_time else None
            title = f"{run.name}: {run.state_name}"
            if duration is not None:
                title += f", {format_duration(max(duration, 0.0))}"
            bars.append(
                Bar(
                    label=run.name,
                    y=AXIS_HEIGHT + i * ROW_HEIGHT,
                    x=x_of(start),
                    width=max((stop - start) * scale, 1.0),
                    state_type=run.state_type,
                    title=title,
                    href=f"/task-runs/{run.id}",
                )
            )
    else:
        groups: dict[str, list[int]] = {}
        for i, run in enumerate(task_runs):
            groups.setdefault(run.task_key, []).append(i)
        for row, indexes in enumerate(groups.values()):
            runs = [task_runs[i] for i in indexes]
            start = min(spans[i][0] for i in indexes)
            stop = max(spans[i][1] for i in indexes)
            counts: dict[str, int] = {}
            for run in runs:
                counts[run.state_type] = counts.get(run.state_type, 0) + 1
            width = max((stop - start) * scale, 1.0)
            ordered = sorted(counts.items(), key=lambda kv: _RANK.get(kv[0], len(_RANK)))
            segments: list[Segment] = []
            left = x_of(start)
            for state_type, n in ordered:
                part = width * n / len(runs)
                segments.append(Segment(x=left, width=part, state_type=state_type))
                left += part
            breakdown = ", ".join(f"{n} {s.title()}" for s, n in ordered)
            name = base_name(runs[0].name)
            bars.append(
                Bar(
                    label=f"{name} \u00d7{len(runs)}",
                    y=AXIS_HEIGHT + row * ROW_HEIGHT,
                    x=x_of(start),
                    width=width,
                    state_type=worst_state(list(counts)),
                    title=f"{name}: {len(runs)} task runs ({breakdown}), "
                    f"{format_duration(stop - start)} from first start to last end",
                    href=None,
                    count=len(runs),
                    segments=tuple(segments),
                )
            )
    step = nice_step(span)
    ticks: list[tuple[float, str]] = []
    t = 0.0
    while t <= span + 1e-9 and len(ticks) < 50:
        ticks.append((LABEL_WIDTH + t * scale, "0" if t == 0 else "+" + format_duration(t)))
        t += step
    return Timeline(
        bars=tuple(bars),
        ticks=tuple(ticks),
        width=LABEL_WIDTH + CHART_WIDTH + 10,
        height=AXIS_HEIGHT + max(len(bars), 1) * ROW_HEIGHT + 4,
        span=span,
        aggregated=aggregated,
        task_run_count=len(task_runs),
    )
