//! The graph as an SVG picture (drawn by the playground and `routescope graph --format svg`)
//! and as Graphviz DOT. Every piece of user text is escaped.

use std::fmt::Write;

use super::layout::{HEADER, NODE_HEIGHT, NODE_WIDTH};
use super::{Layout, Stage, TrafficGraph, Wire};
use crate::diagnostic::{Diagnostic, Severity};

/// Styles for a standalone picture; the playground's stylesheet may override them (classes
/// all start with `rs-g-`).
const STYLE: &str = "\
.rs-g-col{font:600 12px system-ui,sans-serif;fill:#57606a}\
.rs-g-node rect{fill:#f6f8fa;stroke:#8c959f;stroke-width:1}\
.rs-g-node text{font:12px system-ui,sans-serif;fill:#1f2328}\
.rs-g-node .rs-g-detail{font-size:11px;fill:#57606a}\
.rs-g-node.rs-g-dead rect{stroke-dasharray:4 3;fill:#fff8c5}\
.rs-g-node.rs-g-warning rect{stroke:#9a6700;stroke-width:2}\
.rs-g-node.rs-g-error rect{stroke:#cf222e;stroke-width:2}\
.rs-g-node.rs-g-on rect{stroke:#0969da;stroke-width:3}\
.rs-g-edge{fill:none;stroke-width:2}\
.rs-g-wire-plaintext{stroke:#8c959f;stroke-dasharray:6 4}\
.rs-g-wire-client-tls{stroke:#0969da}\
.rs-g-wire-mesh-mtls{stroke:#1a7f37}\
.rs-g-wire-originated{stroke:#8250df}\
.rs-g-wire-double{stroke:#cf222e;stroke-width:5}\
.rs-g-edge.rs-g-broken{stroke:#cf222e}\
.rs-g-edge.rs-g-dead{stroke-dasharray:2 4;opacity:.7}\
.rs-g-edge.rs-g-on{stroke-width:4;opacity:1}\
.rs-g-inner{fill:none;stroke:#fff;stroke-width:1.5}\
.rs-g-elabel{font:11px system-ui,sans-serif;fill:#1f2328}\
.rs-g-lock{fill:none;stroke:#1f2328;stroke-width:1.4}\
.rs-g-legend text{font:11px system-ui,sans-serif;fill:#1f2328}";

const LABEL_CHARS: usize = 28;
const DETAIL_CHARS: usize = 32;

/// Escapes text for SVG/XML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
}

/// The worst severity among `indexes` of `diagnostics`.
fn worst(indexes: &[usize], diagnostics: &[Diagnostic]) -> Option<Severity> {
    indexes.iter().map(|&d| diagnostics[d].severity).max()
}

/// A lock glyph (closed, or open for plaintext) centred on (x, y).
fn lock(out: &mut String, x: i32, y: i32, open: bool) {
    let shackle = if open {
        format!("M{} {}v-5a3 3 0 0 1 6 0", x - 3, y - 7)
    } else {
        format!("M{} {}v-3a3 3 0 0 1 6 0v3", x - 3, y - 2)
    };
    let _ = write!(
        out,
        "<g class=\"rs-g-lock\"><rect x=\"{}\" y=\"{}\" width=\"10\" height=\"7\" rx=\"1\" fill=\"#fff\"/><path d=\"{shackle}\"/></g>",
        x - 5,
        y - 2
    );
}

/// The glyphs of a wire state: an open lock, a lock, or two locks.
fn wire_glyph(out: &mut String, wire: Wire, x: i32, y: i32) {
    match wire {
        Wire::Plaintext => lock(out, x, y, true),
        Wire::Double => {
            lock(out, x - 6, y, false);
            lock(out, x + 6, y, false);
        }
        _ => lock(out, x, y, false),
    }
}

/// The graph drawn at `layout` as a standalone SVG document. Nodes carry `data-node` (their
/// index) and `data-key`; edges carry `data-edge` and the keys of their ends (`data-from`,
/// `data-to`), so a page can make them interactive.
pub fn to_svg(graph: &TrafficGraph, layout: &Layout, diagnostics: &[Diagnostic]) -> String {
    let legend_height = 28;
    let width = layout.width;
    let height = layout.height + legend_height;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"rs-g\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Traffic graph\"><style>{STYLE}</style>"
    );
    for stage in Stage::ALL {
        let _ = write!(
            out,
            "<text class=\"rs-g-col\" x=\"{}\" y=\"{}\">{}</text>",
            Layout::column_x(stage),
            HEADER - 14,
            stage.title()
        );
    }
    out.push_str("<g class=\"rs-g-edges\">");
    for (index, edge) in graph.edges.iter().enumerate() {
        let (from, to) = (layout.boxes[edge.from], layout.boxes[edge.to]);
        let (x1, y1) = (from.x + from.width, from.y + from.height / 2);
        let (x2, y2) = (to.x, to.y + to.height / 2);
        let bend = (x2 - x1) / 2;
        let path = format!("M{x1} {y1}C{} {y1} {} {y2} {x2} {y2}", x1 + bend, x2 - bend);
        let mut class = format!("rs-g-edge rs-g-wire-{}", edge.wire.key());
        if edge.dead.is_some() {
            class.push_str(" rs-g-dead");
        }
        if !edge.diagnostics.is_empty() {
            class.push_str(" rs-g-broken");
        }
        let mut title = edge.wire.describe().to_string();
        if !edge.label.is_empty() {
            let _ = write!(title, " · {}", edge.label);
        }
        if let Some(dead) = &edge.dead {
            let _ = write!(title, "\nno traffic: {dead}");
        }
        for &d in &edge.diagnostics {
            let _ = write!(
                title,
                "\n{}: {}",
                diagnostics[d].check, diagnostics[d].message
            );
        }
        let _ = write!(
            out,
            "<g data-edge=\"{index}\" data-from=\"{}\" data-to=\"{}\"><path class=\"{class}\" d=\"{path}\"><title>{}</title></path>",
            escape(graph.nodes[edge.from].key()),
            escape(graph.nodes[edge.to].key()),
            escape(&title)
        );
        if edge.wire == Wire::Double {
            let _ = write!(out, "<path class=\"rs-g-inner\" d=\"{path}\"/>");
        }
        let (mx, my) = ((x1 + x2) / 2, (y1 + y2) / 2);
        wire_glyph(&mut out, edge.wire, mx, my);
        if !edge.label.is_empty() {
            let _ = write!(
                out,
                "<text class=\"rs-g-elabel\" x=\"{}\" y=\"{}\">{}</text>",
                mx + 14,
                my - 4,
                escape(&edge.label)
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</g><g class=\"rs-g-nodes\">");
    for (index, node) in graph.nodes.iter().enumerate() {
        let at = layout.boxes[index];
        let mut class = format!("rs-g-node rs-g-stage-{}", node.stage.key());
        let severity = worst(&node.diagnostics, diagnostics);
        let mark = match severity {
            Some(Severity::Error) => {
                class.push_str(" rs-g-error");
                "✖ "
            }
            Some(Severity::Warning) => {
                class.push_str(" rs-g-warning");
                "▲ "
            }
            _ => "",
        };
        if node.dead_end.is_some() {
            class.push_str(" rs-g-dead");
        }
        let mut title = format!("{}\n{}", node.label(), node.detail());
        if let Some(dead) = &node.dead_end {
            let _ = write!(title, "\ndead end: {dead}");
        }
        for &d in &node.diagnostics {
            let diagnostic = &diagnostics[d];
            let _ = write!(
                title,
                "\n{} {}: {}",
                diagnostic.severity.as_str(),
                diagnostic.check,
                diagnostic.message
            );
        }
        let _ = write!(
            out,
            "<g class=\"{class}\" data-node=\"{index}\" data-key=\"{}\" tabindex=\"0\" role=\"button\" transform=\"translate({} {})\"><title>{}</title><rect width=\"{NODE_WIDTH}\" height=\"{NODE_HEIGHT}\" rx=\"6\"/><text x=\"8\" y=\"18\">{}</text><text class=\"rs-g-detail\" x=\"8\" y=\"35\">{}</text></g>",
            escape(node.key()),
            at.x,
            at.y,
            escape(&title),
            escape(&shorten(&format!("{mark}{}", node.label()), LABEL_CHARS)),
            escape(&shorten(node.detail(), DETAIL_CHARS)),
        );
    }
    out.push_str("</g>");
    legend(&mut out, layout.height + 4);
    out.push_str("</svg>");
    out
}

/// One sample hop per wire state, with its name.
fn legend(out: &mut String, y: i32) {
    out.push_str("<g class=\"rs-g-legend\">");
    let mut x = 16;
    for wire in Wire::ALL {
        let _ = write!(
            out,
            "<path class=\"rs-g-edge rs-g-wire-{}\" d=\"M{x} {y}h36\"/>",
            wire.key()
        );
        if wire == Wire::Double {
            let _ = write!(out, "<path class=\"rs-g-inner\" d=\"M{x} {y}h36\"/>");
        }
        wire_glyph(out, wire, x + 18, y);
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\">{}</text>",
            x + 44,
            y + 4,
            wire.describe()
        );
        x += 60 + wire.describe().len() as i32 * 6;
    }
    out.push_str("</g>");
}

/// Escapes text for a DOT double-quoted string.
fn dot_string(text: &str) -> String {
    let mut out = String::from("\"");
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// The graph in Graphviz DOT, one rank per stage.
pub fn to_dot(graph: &TrafficGraph) -> String {
    let mut out = String::from(
        "digraph traffic {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n",
    );
    for stage in Stage::ALL {
        let members: Vec<String> = graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.stage == stage)
            .map(|(index, _)| format!("n{index}"))
            .collect();
        if !members.is_empty() {
            let _ = writeln!(out, "  {{ rank=same; {}; }}", members.join("; "));
        }
    }
    for (index, node) in graph.nodes.iter().enumerate() {
        let mut label = format!("{}\n{}", node.label(), node.detail());
        if let Some(dead) = &node.dead_end {
            let _ = write!(label, "\ndead end: {dead}");
        }
        let style = if node.dead_end.is_some() {
            ", style=\"rounded,dashed\""
        } else {
            ""
        };
        let colour = if node.diagnostics.is_empty() {
            ""
        } else {
            ", color=red"
        };
        let _ = writeln!(
            out,
            "  n{index} [label={}{style}{colour}];",
            dot_string(&label)
        );
    }
    for edge in &graph.edges {
        let mut label = edge.wire.describe().to_string();
        if !edge.label.is_empty() {
            let _ = write!(label, " {}", edge.label);
        }
        let style = match (edge.dead.is_some(), edge.wire) {
            (true, _) => "dotted",
            (_, Wire::Plaintext) => "dashed",
            (_, Wire::Double) => "bold",
            _ => "solid",
        };
        let colour = if edge.is_broken() { ", color=red" } else { "" };
        let _ = writeln!(
            out,
            "  n{} -> n{} [label={}, style={style}{colour}];",
            edge.from,
            edge.to,
            dot_string(&label)
        );
    }
    out.push_str("}\n");
    out
}
