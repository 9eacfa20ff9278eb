"""One drawing of a searched cell as a DAG, for both search spaces (the CIFAR-10 cell of
Fig. 5 and the recurrent cell of Fig. 6): nodes at given positions, each edge an arrow
labelled with its operation.

A space describes its drawing once, in a ``CellStyle``; ``draw_cell`` takes the edges as
(source, target, op) triples. An edge whose op is ``None`` is a plain link (e.g. the input
into node 0), drawn with ``link_style`` and no label. ``text_overlaps`` finds the texts of a
drawn figure (edge labels, node names, titles) that collide or leave the figure; the tests
require none.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from matplotlib.patches import FancyArrowPatch

Node = Hashable


@dataclass(frozen=True)
class CellStyle:
    positions: dict[Node, tuple[float, float]]  # node -> (x, y)
    names: dict[Node, str] = field(default_factory=dict)  # node -> its text (default str(node))
    node_colours: dict[Node, str] = field(default_factory=dict)  # node -> fill (default light yellow)
    boxed: frozenset = frozenset()  # nodes drawn as squares (inputs, outputs); the others round
    short: dict[str, str] = field(default_factory=dict)  # op -> edge label (default the op's name)
    colours: dict[str, str] = field(default_factory=dict)  # op -> colour (default black)
    dashed: frozenset = frozenset()  # ops drawn dashed
    hidden: frozenset = frozenset()  # ops not drawn at all
    bends: dict[tuple, float] = field(default_factory=dict)  # (source, target) -> arc3 radius
    label_at: dict[tuple, float] = field(default_factory=dict)  # (source, target) -> position along it
    links: dict[tuple, dict] = field(default_factory=dict)  # (source, target) -> style of a plain link
    margin: float = 0.55
    label_size: float = 8  # points, edge labels
    node_size: float = 10  # points, node names
    title_size: float = 9


def _point_on_arc(p0, p1, rad: float, t: float) -> tuple[float, float]:
    """The point at parameter ``t`` of matplotlib's arc3 curve from p0 to p1 (a quadratic Bézier)."""
    (x0, y0), (x1, y1) = p0, p1
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)  # arc3's control point
    return ((1 - t) ** 2 * x0 + 2 * t * (1 - t) * cx + t ** 2 * x1,
            (1 - t) ** 2 * y0 + 2 * t * (1 - t) * cy + t ** 2 * y1)


def draw_cell(ax, edges: Iterable[tuple[Node, Node, str | None]], style: CellStyle, title: str = "") -> None:
    """Draw the DAG of ``edges`` on ``ax``: an arrow per edge, labelled with its op's short name."""
    pos = style.positions

    def arrow(source, target, colour, linestyle, rad):
        ax.add_patch(FancyArrowPatch(pos[source], pos[target], arrowstyle="-|>", mutation_scale=12,
                                     color=colour, linestyle=linestyle, lw=1.5, shrinkA=13, shrinkB=13,
                                     connectionstyle=f"arc3,rad={rad}"))

    # what the drawing must show, the same for every cell of a space: the nodes and the middles
    # of the style's arcs (a straight edge's middle lies between its nodes)
    reach = [*pos.values(), *(_point_on_arc(pos[s], pos[t], rad, 0.5) for (s, t), rad in style.bends.items())]
    for source, target, op in edges:
        key = (source, target)
        if op is None:
            link = style.links.get(key, {})
            arrow(source, target, link.get("colour", "black"), link.get("linestyle", "-"), 0.0)
            continue
        if op in style.hidden:
            continue
        colour, rad = style.colours.get(op, "black"), style.bends.get(key, 0.0)
        arrow(source, target, colour, "--" if op in style.dashed else "-", rad)
        x, y = _point_on_arc(pos[source], pos[target], rad, style.label_at.get(key, 0.5))
        ax.text(x, y, style.short.get(op, op), fontsize=style.label_size, ha="center", va="center", color=colour,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.75"}, zorder=4)
    for node, (x, y) in pos.items():
        ax.text(x, y, style.names.get(node, str(node)), ha="center", va="center", fontsize=style.node_size, zorder=5,
                bbox={"boxstyle": "square,pad=0.35" if node in style.boxed else "circle,pad=0.3",
                      "fc": style.node_colours.get(node, "lightyellow"), "ec": "black"})
    xs, ys = [p[0] for p in reach], [p[1] for p in reach]
    ax.set_xlim(min(xs) - style.margin, max(xs) + style.margin)
    ax.set_ylim(min(ys) - style.margin, max(ys) + style.margin)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=style.title_size)


def _extent(text, renderer):
    """The window extent of a text, its box (``bbox``) included."""
    from matplotlib.transforms import Bbox

    box = text.get_window_extent(renderer)
    patch = text.get_bbox_patch()
    return Bbox.union([box, patch.get_window_extent(renderer)]) if patch is not None else box


def text_overlaps(fig, tolerance: float = 1.0) -> list[str]:
    """Every pair of visible, non-empty texts of ``fig`` (edge labels, node names, axes titles,
    in any axes) whose boxes overlap by more than ``tolerance`` pixels both ways, and every text
    that reaches outside the figure, as one line each; empty when the drawing is clean."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in (*ax.texts, ax.title, ax._left_title, ax._right_title)
             if t.get_visible() and t.get_text().strip()]
    texts += [t for t in fig.texts if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), _extent(t, renderer)) for t in texts]
    page = fig.bbox
    found = [f"{name!r} reaches outside the figure" for name, box in boxes
             if box.x0 < page.x0 - tolerance or box.y0 < page.y0 - tolerance
             or box.x1 > page.x1 + tolerance or box.y1 > page.y1 + tolerance]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
            height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
            if width > tolerance and height > tolerance:
                found.append(f"{a!r} overlaps {b!r}")
    return found
