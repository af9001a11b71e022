"""Draw a flow definition as SVG with Graphviz (states as boxes, transitions as arrows)."""

from __future__ import annotations

import graphviz

from workflow.definition import WorkflowDefinition


def flow_svg(definition: WorkflowDefinition, lang: str = "id") -> str:
    """Return an SVG document of the flow (labels in the given language)."""
    dot = graphviz.Digraph("flow", format="svg", graph_attr={
        "rankdir": "LR", "fontname": "DejaVu Sans", "bgcolor": "transparent"})
    dot.attr("node", shape="box", style="rounded,filled", fillcolor="#e9ecef",
             fontname="DejaVu Sans", fontsize="11")
    dot.attr("edge", fontname="DejaVu Sans", fontsize="9")
    for state in definition.states:
        fill = "#d1e7dd" if state in definition.final else (
            "#cfe2ff" if state == definition.initial else "#e9ecef")
        dot.node(state, f"{definition.label(state, lang)}\n({state})", fillcolor=fill)
    for rule in definition.transitions:
        label = rule.label_en if lang == "en" else rule.label
        for source in rule.sources:
            dot.edge(source, rule.dest, label=f"{label}\n[{', '.join(rule.by)}]")
    svg: bytes = dot.pipe(format="svg")
    text = svg.decode()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype for inline use
