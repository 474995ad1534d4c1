// The source panel: a cited document with the passage shaded and the quote highlighted.

import { $, el, errorMessage } from "./dom.js";

const documentCache = new Map(); // doc_id -> GET /documents/{id} body

/** Forget a document, so the next look fetches its new text. */
export function forgetDocument(docId) {
  documentCache.delete(docId);
}

async function fetchDocument(docId) {
  if (!documentCache.has(docId)) {
    const response = await fetch(`/documents/${encodeURIComponent(docId)}`);
    if (!response.ok) throw new Error(await errorMessage(response));
    documentCache.set(docId, await response.json());
  }
  return documentCache.get(docId);
}

/**
 * Show a document with the passage shaded and the quoted sentence (start..end) highlighted,
 * scrolled into view. Offsets are characters of the document's text, as the API gives them.
 */
export async function showSource(docId, { passage = null, start = null, end = null, quote = null } = {}) {
  const panel = $("source-panel");
  const title = $("source-title");
  const note = $("source-note");
  const text = $("source-text");
  panel.hidden = false;
  title.textContent = "Loading…";
  note.textContent = "";
  text.replaceChildren();
  let doc;
  try {
    doc = await fetchDocument(docId);
  } catch (error) {
    title.textContent = `Cannot show the document: ${error.message}`;
    return;
  }
  title.replaceChildren(
    el("strong", null, doc.title),
    el("span", "source-meta", ` ${doc.source}${doc.author ? ` · ${doc.author}` : ""}`),
  );
  const full = doc.text;
  // Code points vs UTF-16: the API counts characters as Python does (code points).
  const chars = Array.from(full);
  const slice = (a, b) => chars.slice(a, b).join("");
  const hasQuote = start !== null && end !== null;
  if (hasQuote && slice(start, end) !== quote) {
    note.textContent = "The document has changed since this answer; the quote may be out of place.";
  }
  const pStart = passage ? Math.min(passage.start, hasQuote ? start : passage.start) : null;
  const pEnd = passage ? Math.max(passage.end, hasQuote ? end : passage.end) : null;
  const cuts = [0, chars.length];
  if (passage) cuts.push(pStart, pEnd);
  if (hasQuote) cuts.push(start, end);
  const points = [...new Set(cuts)].sort((a, b) => a - b);
  let target = null;
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const piece = slice(a, b);
    const inQuote = hasQuote && a >= start && b <= end;
    const inPassage = passage && a >= pStart && b <= pEnd;
    let node;
    if (inQuote) {
      node = el("mark", "quote", piece);
      target = target || node;
    } else if (inPassage) {
      node = el("span", "passage", piece);
      target = target || (hasQuote ? null : node);
    } else {
      node = document.createTextNode(piece);
    }
    text.append(node);
  }
  if (target) {
    // Scroll inside the panel only, so the conversation keeps its place.
    text.scrollTop = Math.max(0, target.offsetTop - text.clientHeight / 3);
  } else {
    text.scrollTop = 0;
  }
}
