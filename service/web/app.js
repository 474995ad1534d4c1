// The web chat: a client of the public HTTP API. Every piece of text from the server or from
// a document is put on the page with textContent, never parsed as markup.
import { $, el, errorMessage } from "./dom.js";
import { forgetDocument, showSource } from "./source.js";
import { readEvents } from "./sse.js";
import { describeFile, uploadFiles } from "./upload.js";

const MAX_HISTORY_TURNS = 20;
const history = []; // {role, content}, oldest first; the server keeps no conversation state
let asking = false;

function scrollToEnd() {
  const list = $("conversation");
  list.lastElementChild?.scrollIntoView({ block: "end", behavior: "smooth" });
}

/** Bring a finished answer into view: its start when it is taller than most of the window. */
function reveal(item) {
  const tall = item.getBoundingClientRect().height > window.innerHeight * 0.6;
  item.scrollIntoView({ block: tall ? "start" : "end", behavior: "smooth" });
}

// -- asking ---------------------------------------------------------------------------------

/** One assistant turn on the page, filled in as the stream arrives. */
class AnswerView {
  constructor(question) {
    this.passages = [];
    this.citations = [];
    this.markers = []; // citation links in the order they appear in the text
    this.text = "";
    this.pending = "";
    this.item = el("li", "turn assistant");
    this.item.setAttribute("aria-busy", "true");
    this.status = el("p", "status", "Searching the documents…");
    this.body = el("p", "answer-text");
    this.extra = el("div", "answer-extra");
    this.item.append(this.status, this.body, this.extra);
    $("conversation").append(el("li", "turn user", el("p", "question-text", question)), this.item);
    scrollToEnd();
  }

  onPassages(data) {
    this.passages = data.passages;
    this.status.textContent = `Found ${data.passages.length} passages; answering…`;
  }

  onDelta(data) {
    this.status.hidden = true;
    this.text += data.text;
    // A marker split across deltas ("[1" then "2]") waits for its end before it is shown.
    const text = this.pending + data.text;
    const cut = /\[\d*$/.exec(text);
    this.pending = cut ? cut[0] : "";
    this.appendText(cut ? text.slice(0, cut.index) : text);
    scrollToEnd();
  }

  /** Append answer text, turning [n] markers into links; everything else stays plain text. */
  appendText(text) {
    for (const part of text.split(/(\[\d+\])/)) {
      const match = /^\[(\d+)\]$/.exec(part);
      if (!match) {
        if (part) this.body.append(document.createTextNode(part));
        continue;
      }
      const link = el("a", "cite", part);
      link.href = "#";
      link.dataset.marker = match[1];
      link.dataset.index = String(this.markers.length);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        this.showCitation(link);
      });
      this.markers.push(link);
      this.body.append(link);
    }
  }

  onCitations(data) {
    this.citations = data.citations;
    for (const link of this.markers) {
      const citation = this.citationFor(link);
      if (citation) link.title = `${citation.title}: “${citation.quote}”`;
    }
  }

  onDone(data) {
    this.item.removeAttribute("aria-busy");
    this.status.hidden = true;
    // The final text is the verified one (a written answer may have lost sentences on the way).
    this.text = data.text;
    this.pending = "";
    this.markers = [];
    this.body.replaceChildren();
    this.appendText(data.text);
    this.onCitations({ citations: this.citations });
    if (data.abstained) this.showAbstention();
    const unsupported = (data.claims || []).filter((claim) => !claim.supported);
    if (unsupported.length) this.showUnsupported(unsupported, data.text);
    this.extra.append(this.details(data));
    history.push({ role: "user", content: data.question }, { role: "assistant", content: this.text });
    history.splice(0, Math.max(0, history.length - MAX_HISTORY_TURNS));
    reveal(this.item);
  }

  onError(message) {
    this.item.removeAttribute("aria-busy");
    this.item.classList.add("failed");
    this.status.hidden = false;
    this.status.textContent = `Error: ${message}`;
  }

  /** The citation a marker link stands for: the k-th marker is the k-th citation. */
  citationFor(link) {
    const marker = Number(link.dataset.marker);
    const byOrder = this.citations[Number(link.dataset.index)];
    if (byOrder && byOrder.marker === marker) return byOrder;
    return this.citations.find((c) => c.marker === marker) || null;
  }

  showCitation(link) {
    const citation = this.citationFor(link);
    const passage = this.passages[Number(link.dataset.marker) - 1];
    if (citation) {
      showSource(citation.doc_id, {
        passage,
        start: citation.start,
        end: citation.end,
        quote: citation.quote,
      });
    } else if (passage) {
      showSource(passage.doc_id, { passage });
    }
  }

  showAbstention() {
    this.item.classList.add("abstained");
    this.body.before(el("p", "abstention-label", "No answer found in the documents."));
    const box = el("div", "abstention");
    if (this.passages.length) {
      box.append(el("p", null, "The closest passages it did find:"));
      const list = el("ul", "closest");
      for (const passage of this.passages) {
        const button = el("button", "link-button", passage.title);
        button.type = "button";
        button.addEventListener("click", () => showSource(passage.doc_id, { passage }));
        const snippet = passage.text.replace(/\s+/g, " ").slice(0, 220);
        list.append(
          el(
            "li",
            null,
            button,
            el("span", "score", `#${passage.rank} · score ${passage.score.toFixed(3)}`),
            el("p", "snippet", `${snippet}${passage.text.length > 220 ? "…" : ""}`),
          ),
        );
      }
      box.append(list);
    }
    this.extra.append(box);
  }

  /** Sentences a model wrote that no passage supports: kept but flagged, or left out. */
  showUnsupported(claims, text) {
    const box = el("div", "unsupported");
    box.append(el("p", "unsupported-label", "Not supported by the documents:"));
    const list = el("ul", null);
    for (const claim of claims) {
      const fate = text.includes(claim.text) ? "shown above without a citation" : "left out";
      list.append(el("li", null, el("span", "claim", claim.text), el("span", "fate", ` (${fate})`)));
    }
    box.append(list);
    this.extra.append(box);
  }

  details(data) {
    const details = el("details", "details");
    details.append(el("summary", null, "Details"));
    const table = el("dl", "details-list");
    const row = (name, value) => table.append(el("dt", null, name), el("dd", null, value));
    row("Standalone query", data.query);
    row("Answerer", data.backend);
    if (data.fallback) row("Fallback", data.fallback);
    row("Support", data.support.toFixed(3));
    const claims = data.claims || [];
    if (claims.length) {
      const verified = claims.filter((claim) => claim.supported).length;
      row("Verified sentences", `${verified} of ${claims.length}`);
    }
    for (const [stage, ms] of Object.entries(data.timings_ms)) {
      row(stage.replace(/_ms$/, "").replace(/_/g, " "), `${ms.toFixed(1)} ms`);
    }
    details.append(table);
    return details;
  }
}

async function ask(question) {
  const view = new AnswerView(question);
  try {
    const response = await fetch("/ask/stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, history }),
    });
    if (!response.ok) {
      view.onError(await errorMessage(response));
      return;
    }
    let finished = false;
    for await (const { event, data } of readEvents(response)) {
      if (event === "passages") view.onPassages(data);
      else if (event === "delta") view.onDelta(data);
      else if (event === "citations") view.onCitations(data);
      else if (event === "done") {
        view.onDone(data);
        finished = true;
      } else if (event === "error") {
        view.onError(data.error?.message || "the answer failed");
        finished = true;
      }
    }
    if (!finished) view.onError("the connection closed before the answer was complete");
  } catch (error) {
    view.onError(error.message || String(error));
  }
}

// -- documents ------------------------------------------------------------------------------

async function loadDocuments() {
  const list = $("documents");
  try {
    const response = await fetch("/documents");
    if (!response.ok) throw new Error(await errorMessage(response));
    const { documents } = await response.json();
    list.replaceChildren();
    if (!documents.length) list.append(el("li", "empty", "Nothing indexed yet: upload a file."));
    for (const doc of documents) {
      const button = el("button", "link-button", doc.title);
      button.type = "button";
      button.addEventListener("click", () => showSource(doc.doc_id));
      list.append(
        el("li", null, button, el("span", "doc-meta", `${doc.source} · ${doc.chunks} chunks`)),
      );
    }
  } catch (error) {
    list.replaceChildren(el("li", "empty", `Cannot list documents: ${error.message}`));
  }
}

async function upload(event) {
  event.preventDefault();
  const input = $("files");
  const status = $("upload-status");
  if (!input.files.length) {
    status.textContent = "Choose one or more files first.";
    return;
  }
  status.textContent = "Uploading…";
  $("upload-button").disabled = true;
  try {
    const job = await uploadFiles(input.files, $("api-key").value.trim());
    for (const file of job.files) if (file.result) forgetDocument(file.result.doc_id);
    input.value = "";
    await loadDocuments();
    status.textContent = job.files.map((f) => `${f.name}: ${describeFile(f)}`).join("; ");
  } catch (error) {
    status.textContent = error.message.startsWith("Upload refused")
      ? error.message
      : `Upload failed: ${error.message}`;
  } finally {
    $("upload-button").disabled = false;
  }
}

// -- wiring ---------------------------------------------------------------------------------

function start() {
  const form = $("ask-form");
  const box = $("question");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const question = box.value.trim();
    if (!question || asking) return;
    asking = true;
    $("ask-button").disabled = true;
    $("hint")?.remove();
    box.value = "";
    try {
      await ask(question);
    } finally {
      asking = false;
      $("ask-button").disabled = false;
      box.focus();
    }
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  $("new-chat").addEventListener("click", () => {
    history.length = 0;
    $("conversation").replaceChildren();
    $("source-panel").hidden = true;
    box.focus();
  });
  $("close-source").addEventListener("click", () => {
    $("source-panel").hidden = true;
  });
  $("upload-form").addEventListener("submit", upload);
  loadDocuments();
}

start();
