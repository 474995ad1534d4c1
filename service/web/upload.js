// Uploading files. The server answers an upload with a job (202, Location: /jobs/{id});
// the page polls the job and shows a progress bar per file, then each file's outcome.
import { $, el, errorMessage } from "./dom.js";

const POLL_MS = 400;
const WORKING = { queued: "waiting", parsing: "reading", embedding: "embedding", committing: "saving" };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** What to say about one file of a job, in words. */
export function describeFile(file) {
  if (file.state === "done" || file.state === "skipped") {
    return `${file.result.status} (${file.result.chunks} chunks)`;
  }
  if (file.state === "failed") return `not applied: ${file.error?.message || "failed"}`;
  if (file.state === "embedding" && file.chunks_total) {
    return `embedding ${file.chunks_done} of ${file.chunks_total} chunks`;
  }
  return WORKING[file.state] || file.state;
}

/** One row per file: its name, a progress bar and what is happening to it. */
class FileRows {
  constructor(list, names) {
    this.rows = new Map();
    list.replaceChildren();
    for (const name of names) {
      const bar = el("progress", "file-progress");
      bar.max = 1;
      bar.value = 0;
      bar.setAttribute("aria-label", `${name} progress`);
      const note = el("span", "file-note", "sending");
      const row = el("li", "upload-file", el("span", "file-name", name), bar, note);
      row.dataset.state = "sending";
      list.append(row);
      this.rows.set(name, { row, bar, note });
    }
  }

  show(job) {
    for (const file of job.files) {
      const parts = this.rows.get(file.name);
      if (!parts) continue;
      parts.row.dataset.state = file.state;
      parts.bar.value = file.progress;
      parts.note.textContent = describeFile(file);
    }
  }

  refuse(message) {
    for (const { row, note } of this.rows.values()) {
      row.dataset.state = "failed";
      note.textContent = `not applied: ${message}`;
    }
  }
}

/** Send `files`, follow the job to its end; the finished job, or null when refused. */
export async function uploadFiles(files, apiKey) {
  const list = $("upload-files");
  const rows = new FileRows(list, [...files].map((f) => f.name));
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const headers = apiKey ? { "X-API-Key": apiKey } : {};
  const response = await fetch("/documents", { method: "POST", body: form, headers });
  if (response.status !== 202) {
    const message = await errorMessage(response);
    rows.refuse(message);
    throw new Error(`Upload refused: ${message}`);
  }
  const location = response.headers.get("Location");
  let job = await response.json();
  rows.show(job);
  while (job.state === "queued" || job.state === "running") {
    await sleep(POLL_MS);
    const poll = await fetch(location);
    if (!poll.ok) throw new Error(`Lost track of the upload: ${await errorMessage(poll)}`);
    job = await poll.json();
    rows.show(job);
  }
  return job;
}
