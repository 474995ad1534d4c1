// Small DOM and fetch helpers shared by the chat page's modules.

export const $ = (id) => document.getElementById(id);

/** An element with optional class and text; children may be nodes or strings. */
export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The message of a JSON error body, `{"error": {"code", "message"}}`. */
export async function errorMessage(response) {
  try {
    const body = await response.json();
    return body.error?.message || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}
