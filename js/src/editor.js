// Routescope editor bridge: a CodeMirror 6 editor driven from Rust through wasm-bindgen.
//
// Rust owns the analysis; this file only shows text, marks and buttons, and reports what the
// person did. Structured arguments cross the boundary as JSON strings (one crossing per call,
// no serde-wasm-bindgen on the Rust side). Positions are UTF-16 code units, as CodeMirror counts.
//
// The handle returned by createEditor is the EditorView itself.

import {
  EditorState,
  EditorSelection,
  Compartment,
  Facet,
  StateEffect,
  StateField,
  RangeSetBuilder,
  findClusterBreak,
} from "@codemirror/state";
import {
  EditorView,
  Decoration,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
} from "@codemirror/view";
import {
  defaultKeymap,
  history,
  historyKeymap,
  indentWithTab,
  isolateHistory,
  redo,
} from "@codemirror/commands";
import { bracketMatching, syntaxHighlighting, HighlightStyle, StreamLanguage } from "@codemirror/language";
import { linter, lintGutter, lintKeymap, setDiagnostics as lintSetDiagnostics } from "@codemirror/lint";
import { search, searchKeymap } from "@codemirror/search";
// The line-by-line YAML mode rather than @codemirror/lang-yaml: after a keystroke it re-tokenises
// from the changed line only, where the Lezer YAML grammar re-parses 10–30 ms of a 460 KB text
// inside the keystroke's own transaction.
import { yaml } from "@codemirror/legacy-modes/mode/yaml";
import { tags as t } from "@lezer/highlight";

// ---------------------------------------------------------------------------------------------
// Re-entrancy: onChange and onSelect (Rust closures) run inside CodeMirror's update cycle, where
// dispatching another transaction throws. A bridge call that dispatches while they run is queued
// and run, in order, in a microtask right after the update. Calls from click handlers (onFix,
// onLearn) are outside any update and run at once.

let updateDepth = 0;
const deferred = [];

function callHandler(fn, ...args) {
  if (typeof fn !== "function") return;
  try {
    fn(...args);
  } catch (e) {
    console.error("routescope editor: handler threw", e);
  }
}

function flushDeferred() {
  while (deferred.length && updateDepth === 0) deferred.shift()();
}

// Runs `fn` now, or after the current update when called from inside onChange/onSelect.
function safely(fn) {
  if (updateDepth > 0) deferred.push(fn);
  else fn();
}

// Bad input from Rust must never throw across the boundary (a JS exception in a non-`catch`
// binding aborts the wasm): log it and ignore the call.
function parseJson(json, what) {
  try {
    const v = JSON.parse(json);
    if (Array.isArray(v)) return v;
  } catch (e) {
    // fall through
  }
  console.error(`routescope editor: ${what}: expected a JSON array, got`, json);
  return null;
}

function clampPos(doc, n) {
  n = Number(n);
  if (!Number.isFinite(n)) return 0;
  return Math.max(0, Math.min(doc.length, Math.floor(n)));
}

function clampRange(doc, from, to) {
  const a = clampPos(doc, from);
  const b = clampPos(doc, to);
  return a <= b ? [a, b] : [b, a];
}

// ---------------------------------------------------------------------------------------------
// Handlers live in the state so lint actions (which only get the view) can reach them.

const handlersFacet = Facet.define({ combine: (v) => (v.length ? v[0] : {}) });

// ---------------------------------------------------------------------------------------------
// Our own copy of the diagnostics (id, range, related spans), mapped through edits, plus the id
// of the diagnostic under the mouse. Lint keeps its own set for underlines and tooltips.

const setRsDiagnostics = StateEffect.define();
const setHover = StateEffect.define();

function mapRange(changes, r) {
  const from = changes.mapPos(r.from, 1);
  const to = Math.max(from, changes.mapPos(r.to, -1));
  return { ...r, from, to };
}

const rsField = StateField.define({
  create: () => ({ diags: [], hover: null }),
  update(value, tr) {
    let { diags, hover } = value;
    if (tr.docChanged) {
      diags = diags.map((d) => ({
        ...mapRange(tr.changes, d),
        related: d.related.map((r) => mapRange(tr.changes, r)),
      }));
    }
    for (const e of tr.effects) {
      if (e.is(setRsDiagnostics)) diags = e.value;
      else if (e.is(setHover)) hover = e.value;
    }
    return diags === value.diags && hover === value.hover ? value : { diags, hover };
  },
});

// The innermost diagnostic containing pos (ends inclusive, so a cursor just after counts).
function diagnosticAt(diags, pos) {
  let best = null;
  for (const d of diags) {
    if (d.from <= pos && pos <= d.to && (!best || d.to - d.from < best.to - best.from)) best = d;
  }
  return best;
}

function cursorDiagnostic(state) {
  return diagnosticAt(state.field(rsField).diags, state.selection.main.head);
}

// Related spans of the hovered diagnostic, else of the one holding the cursor.
const relatedDecorations = EditorView.decorations.compute([rsField, "selection"], (state) => {
  const { diags, hover } = state.field(rsField);
  const d = (hover != null && diags.find((x) => x.id === hover)) || cursorDiagnostic(state);
  if (!d || !d.related.length) return Decoration.none;
  const ranges = [];
  for (const r of d.related) {
    if (r.to <= r.from) continue;
    ranges.push(
      Decoration.mark({
        class: "cm-rs-related",
        attributes: r.message ? { title: r.message } : undefined,
      }).range(r.from, r.to)
    );
  }
  return Decoration.set(ranges, true);
});

const hoverHandler = EditorView.domEventHandlers({
  mousemove(event, view) {
    const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
    const field = view.state.field(rsField);
    const d = pos == null ? null : diagnosticAt(field.diags, pos);
    const id = d ? d.id : null;
    if (id !== field.hover) view.dispatch({ effects: setHover.of(id) });
    return false;
  },
  mouseleave(event, view) {
    if (view.state.field(rsField).hover != null) view.dispatch({ effects: setHover.of(null) });
    return false;
  },
});

// ---------------------------------------------------------------------------------------------
// Externally driven highlight (diagram hover).

const setHighlights = StateEffect.define();
const highlightMark = Decoration.mark({ class: "cm-rs-highlight" });

const highlightField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) if (e.is(setHighlights)) deco = e.value;
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

// ---------------------------------------------------------------------------------------------
// Change and selection reporting.

const reporter = EditorView.updateListener.of((update) => {
  updateDepth++;
  try {
    report(update);
  } finally {
    updateDepth--;
  }
  if (updateDepth === 0 && deferred.length) queueMicrotask(flushDeferred);
});

function report(update) {
  const handlers = update.state.facet(handlersFacet);
  if (update.docChanged) {
    // The changes, not the whole text: copying a large document on every keystroke costs more
    // than the analysis. Positions are in the old document; reported last first, so applying
    // them in order keeps the earlier positions valid.
    const changes = [];
    update.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      changes.push([fromA, toA, inserted.toString()]);
    });
    for (let i = changes.length - 1; i >= 0; i--) callHandler(handlers.onChange, ...changes[i]);
  }
  if (typeof handlers.onSelect === "function") {
    const d = cursorDiagnostic(update.state);
    const id = d ? d.id : null;
    const view = update.view;
    // Report entering a diagnostic once; leaving re-arms it.
    if (id !== view.rsLastSelected) {
      view.rsLastSelected = id;
      if (id != null) callHandler(handlers.onSelect, id);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Theme: colours are CSS variables (the page may set any --rs-cm-* on an ancestor) with light
// and dark fallbacks; the matching set is swapped in by a prefers-color-scheme listener, which
// also sets CodeMirror's own dark flag for its built-in panels and tooltips.

const palettes = {
  light: {
    bg: "#ffffff", fg: "#1f2328", gutterBg: "#f6f8fa", gutterFg: "#57606a",
    activeLine: "#f2f6fc", activeGutter: "#e6ecf5", selection: "#b6d4fe", cursor: "#1f2328",
    tooltipBg: "#ffffff", tooltipFg: "#1f2328", border: "#d0d7de",
    highlight: "#fff3b0", related: "#8250df",
    key: "#0550ae", string: "#0a3069", comment: "#57606a", meta: "#8250df",
    label: "#953800", punct: "#57606a",
  },
  dark: {
    bg: "#0d1117", fg: "#e6edf3", gutterBg: "#0d1117", gutterFg: "#8b949e",
    activeLine: "#161b22", activeGutter: "#1c2330", selection: "#264f78", cursor: "#e6edf3",
    tooltipBg: "#161b22", tooltipFg: "#e6edf3", border: "#30363d",
    highlight: "#5a4a00", related: "#d2a8ff",
    key: "#79c0ff", string: "#a5d6ff", comment: "#8b949e", meta: "#d2a8ff",
    label: "#ffa657", punct: "#8b949e",
  },
};

const v = (name, p) => `var(--rs-cm-${name}, ${p[name]})`;

function buildTheme(dark) {
  const p = dark ? palettes.dark : palettes.light;
  const theme = EditorView.theme(
    {
      "&": { color: v("fg", p), backgroundColor: v("bg", p), height: "100%" },
      ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" },
      ".cm-content": { caretColor: v("cursor", p) },
      ".cm-cursor, .cm-dropCursor": { borderLeftColor: v("cursor", p) },
      "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection":
        { backgroundColor: v("selection", p) },
      ".cm-gutters": { backgroundColor: v("gutterBg", p), color: v("gutterFg", p), borderRight: `1px solid ${v("border", p)}` },
      ".cm-activeLine": { backgroundColor: v("activeLine", p) },
      ".cm-activeLineGutter": { backgroundColor: v("activeGutter", p) },
      ".cm-tooltip": { backgroundColor: v("tooltipBg", p), color: v("tooltipFg", p), border: `1px solid ${v("border", p)}` },
      ".cm-panels": { backgroundColor: v("gutterBg", p), color: v("fg", p) },
      ".cm-rs-highlight": { backgroundColor: v("highlight", p) },
      ".cm-rs-related": { outline: `1px dashed ${v("related", p)}`, outlineOffset: "1px", borderRadius: "2px" },
      // The check id is already shown as the "learn more" button.
      ".cm-diagnosticSource": { display: "none" },
      ".cm-tooltip-lint": { maxWidth: "38em" },
      ".cm-rs-sev": { fontWeight: "bold" },
      ".cm-rs-meta": { marginTop: "4px", fontSize: "90%", display: "flex", gap: "0.8em", alignItems: "baseline" },
      ".cm-rs-learn": {
        font: "inherit", color: "inherit", background: "none", border: "none", padding: "0",
        textDecoration: "underline", cursor: "pointer",
      },
      ".cm-rs-istio": { opacity: "0.8" },
    },
    { dark }
  );
  const style = HighlightStyle.define([
    { tag: t.atom, color: v("key", p) },
    { tag: [t.string, t.number], color: v("string", p) },
    { tag: t.comment, color: v("comment", p), fontStyle: "italic" },
    { tag: [t.keyword, t.definition(t.variableName)], color: v("meta", p) },
    { tag: t.variableName, color: v("label", p) },
    { tag: t.meta, color: v("punct", p) },
  ]);
  return [theme, syntaxHighlighting(style)];
}

// ---------------------------------------------------------------------------------------------
// Diagnostics: JSON from Rust -> @codemirror/lint diagnostics.

const SEVERITY_WORD = { error: "Error", warning: "Warning", info: "Info" };

function fixActionName(fix) {
  const label = String(fix.label ?? "");
  if (fix.applicability === "display-only") return `Show: ${label}`;
  if (fix.applicability === "unsafe") return `Fix: ${label} (unsafe — review)`;
  return `Fix: ${label}`;
}

// DOM APIs and textContent only: messages contain user-written names.
function renderDiagnostic(view, d) {
  const root = document.createElement("div");
  root.className = "cm-rs-diag";
  const head = document.createElement("div");
  const sev = document.createElement("span");
  sev.className = `cm-rs-sev cm-rs-sev-${d.severity}`;
  sev.textContent = `${SEVERITY_WORD[d.severity]}: `;
  const msg = document.createElement("span");
  msg.className = "cm-rs-message";
  msg.textContent = d.message;
  head.append(sev, msg);
  root.append(head);

  if (d.check || d.istioCode) {
    const meta = document.createElement("div");
    meta.className = "cm-rs-meta";
    if (d.check) {
      const learn = document.createElement("button");
      learn.type = "button";
      learn.className = "cm-rs-learn";
      learn.textContent = d.check;
      learn.title = `Learn more about ${d.check}`;
      learn.setAttribute("aria-label", `Learn more about check ${d.check}`);
      learn.addEventListener("click", (e) => {
        e.preventDefault();
        callHandler(view.state.facet(handlersFacet).onLearn, d.check);
      });
      meta.append(learn);
    }
    if (d.istioCode) {
      const code = document.createElement("span");
      code.className = "cm-rs-istio";
      code.textContent = `Istio ${d.istioCode}`;
      meta.append(code);
    }
    root.append(meta);
  }
  return root;
}

// Normalises one diagnostic from Rust against the current document.
function normaliseDiagnostic(doc, raw) {
  const id = Number(raw.id);
  let [from, to] = clampRange(doc, raw.from, raw.to);
  // A zero-width range would only get a tiny point marker: widen it to the character after
  // (or before, at a line end) unless that character is a line break.
  if (from === to) {
    const line = doc.lineAt(from);
    if (from < line.to) {
      to = line.from + findClusterBreak(line.text, from - line.from, true);
    } else if (from > line.from) {
      from = line.from + findClusterBreak(line.text, from - line.from, false);
    }
  }
  const severity = SEVERITY_WORD[raw.severity] ? raw.severity : "info";
  const related = Array.isArray(raw.related)
    ? raw.related.map((r) => {
        const [rf, rt] = clampRange(doc, r.from, r.to);
        return { from: rf, to: rt, message: String(r.message ?? "") };
      })
    : [];
  const fixes = Array.isArray(raw.fixes) ? raw.fixes : [];
  return {
    id,
    from,
    to,
    severity,
    message: String(raw.message ?? ""),
    check: raw.check ? String(raw.check) : "",
    istioCode: raw.istioCode ? String(raw.istioCode) : null,
    related,
    fixes,
  };
}

function toLint(d) {
  return {
    from: d.from,
    to: d.to,
    severity: d.severity,
    message: `${SEVERITY_WORD[d.severity]}: ${d.message}`,
    source: d.check || undefined,
    renderMessage: (view) => renderDiagnostic(view, d),
    actions: d.fixes.map((fix, index) => ({
      name: fixActionName(fix),
      markClass: `cm-rs-fix-${fix.applicability === "unsafe" || fix.applicability === "display-only" ? fix.applicability : "safe"}`,
      // Rust computes the edit and answers with applyEdits; the document is not touched here.
      apply: (view) => callHandler(view.state.facet(handlersFacet).onFix, d.id, index),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Exported API.

/**
 * Creates the editor inside `parent` and returns its handle (the EditorView).
 * handlers: { onChange(from, to, insert), onFix(diagnosticId, fixIndex), onLearn(checkId), onSelect?(diagnosticId) }
 * Keyboard: Tab indents; press Esc then Tab (or Ctrl-M to toggle) to move focus out of the editor.
 */
export function createEditor(parent, text, handlers, readOnly) {
  const readOnlyConf = new Compartment();
  const themeConf = new Compartment();
  const media = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  const state = EditorState.create({
    doc: String(text ?? ""),
    extensions: [
      handlersFacet.of(handlers || {}),
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      bracketMatching(),
      highlightActiveLine(),
      search({ top: true }),
      StreamLanguage.define(yaml),
      linter(null),
      lintGutter(),
      rsField,
      relatedDecorations,
      hoverHandler,
      highlightField,
      reporter,
      keymap.of([
        // Ctrl-Shift-Z redoes on every platform, not only Linux and macOS.
        { key: "Mod-Shift-z", run: redo, preventDefault: true },
        ...defaultKeymap,
        ...historyKeymap,
        ...searchKeymap,
        ...lintKeymap,
        indentWithTab,
      ]),
      EditorView.contentAttributes.of({ "aria-label": "Istio configuration (YAML)" }),
      readOnlyConf.of(readOnlyExtension(!!readOnly)),
      themeConf.of(buildTheme(!!(media && media.matches))),
    ],
  });
  const view = new EditorView({ state, parent });
  view.rsReadOnlyConf = readOnlyConf;
  view.rsLastSelected = null;

  if (media) {
    const onScheme = (e) => view.dispatch({ effects: themeConf.reconfigure(buildTheme(e.matches)) });
    if (media.addEventListener) media.addEventListener("change", onScheme);
    else media.addListener(onScheme);
    // Stop listening when the editor is destroyed.
    const destroy = view.destroy.bind(view);
    view.destroy = () => {
      if (media.removeEventListener) media.removeEventListener("change", onScheme);
      else media.removeListener(onScheme);
      destroy();
    };
  }
  return view;
}

function readOnlyExtension(readOnly) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

/** Replaces all diagnostics; `json` is an array of diagnostics as described in README.md. */
export function setDiagnostics(handle, json) {
  const list = parseJson(json, "setDiagnostics");
  if (!list) return;
  safely(() => {
    const doc = handle.state.doc;
    const diags = list.filter((d) => d && typeof d === "object").map((d) => normaliseDiagnostic(doc, d));
    const spec = lintSetDiagnostics(handle.state, diags.map(toLint));
    const effects = [].concat(spec.effects || [], setRsDiagnostics.of(diags));
    handle.dispatch({ ...spec, effects });
  });
}

/** Applies a fix: sorted, non-overlapping edits in current positions, as one undoable step. */
export function applyEdits(handle, json) {
  const list = parseJson(json, "applyEdits");
  if (!list || !list.length) return;
  safely(() => {
    const doc = handle.state.doc;
    const changes = list
      .map((e) => {
        const [from, to] = clampRange(doc, e.from, e.to);
        return { from, to, insert: String(e.insert ?? "") };
      })
      .sort((a, b) => a.from - b.from || a.to - b.to);
    let changeSet;
    try {
      changeSet = handle.state.changes(changes);
    } catch (e) {
      console.error("routescope editor: applyEdits: invalid edits", e);
      return;
    }
    // The first edit starts at the same place in the new text (nothing before it changed).
    const first = changes[0];
    const selection = EditorSelection.range(first.from, first.from + first.insert.length);
    handle.dispatch({
      changes: changeSet,
      selection,
      effects: EditorView.scrollIntoView(selection, { y: "center" }),
      userEvent: "input.fix",
      // Own history event: Ctrl+Z undoes exactly the fix, never typing around it.
      annotations: isolateHistory.of("full"),
    });
  });
}

/** Replaces the whole text in one undoable step; a no-op when the text is unchanged. */
export function replaceAll(handle, text) {
  text = String(text ?? "");
  safely(() => {
    const doc = handle.state.doc;
    if (doc.length === text.length && doc.toString() === text) return;
    handle.dispatch({
      changes: { from: 0, to: doc.length, insert: text },
      selection: EditorSelection.cursor(0),
      effects: EditorView.scrollIntoView(0),
      userEvent: "input.replace",
      annotations: isolateHistory.of("full"),
    });
  });
}

/** The current text. */
export function getText(handle) {
  return handle.state.doc.toString();
}

/** Selects from..to, scrolls it to the middle of the editor and focuses the editor. */
export function revealRange(handle, from, to) {
  safely(() => {
    const [a, b] = clampRange(handle.state.doc, from, to);
    const selection = EditorSelection.range(a, b);
    handle.dispatch({ selection, effects: EditorView.scrollIntoView(selection, { y: "center" }) });
    handle.focus();
  });
}

/** Marks ranges with cm-rs-highlight, replacing the previous set; "[]" clears. */
export function highlightRanges(handle, json) {
  const list = parseJson(json, "highlightRanges");
  if (!list) return;
  safely(() => {
    const doc = handle.state.doc;
    const ranges = list
      .map((r) => clampRange(doc, r && r.from, r && r.to))
      .filter(([a, b]) => b > a)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const builder = new RangeSetBuilder();
    for (const [a, b] of ranges) builder.add(a, b, highlightMark);
    handle.dispatch({ effects: setHighlights.of(builder.finish()) });
  });
}

/** Switches read-only mode (no edits, no focusable caret). */
export function setReadOnly(handle, readOnly) {
  safely(() => {
    handle.dispatch({ effects: handle.rsReadOnlyConf.reconfigure(readOnlyExtension(!!readOnly)) });
  });
}

/** Moves keyboard focus into the editor. */
export function focusEditor(handle) {
  safely(() => handle.focus());
}
