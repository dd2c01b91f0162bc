// Calls to the labelmill API from the browser: session cookie + CSRF header on writes.
// Text from the server only ever reaches the page through textContent (never parsed as HTML).
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function api(method, path, body, { form } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = csrf();
  if (form !== undefined) {
    init.body = form; // FormData: the browser sets the multipart boundary
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "The server cannot be reached; check your connection and try again.");
  }
  if (response.status === 401) {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
    throw new ApiError(401, "Logged out");
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    let detail = data.detail ?? response.statusText;
    if (Array.isArray(detail)) detail = detail.map((d) => [d.loc?.slice(1).join("."), d.msg].filter(Boolean).join(": ")).join("; ");
    throw new ApiError(response.status, String(detail));
  }
  return data;
}

// Build an element; text only ever goes through textContent (never parsed as HTML).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function config() {
  return JSON.parse(document.getElementById("config")?.textContent ?? "{}");
}

export function fmt(x, digits = 3) {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–";
}

export function pct(x, digits = 1) {
  return typeof x === "number" && Number.isFinite(x) ? (100 * x).toFixed(digits) + "%" : "–";
}

// A server time (ISO 8601, UTC) in the reader's own time zone, short.
export function when(iso) {
  if (!iso) return "–";
  const t = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
  if (Number.isNaN(t.getTime())) return String(iso);
  const today = new Date();
  const sameDay = t.toDateString() === today.toDateString();
  return sameDay ? t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : t.toLocaleString([], { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function label(value) {
  if (value === null || value === undefined) return "–";
  return Array.isArray(value) ? value.join(", ") : String(value);
}

export function table(node, header, rows, { empty = "Nothing yet." } = {}) {
  const body = rows.length
    ? rows.map((r) => el("tr", {}, ...r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c ?? "–" })))))
    : [el("tr", {}, el("td", { colspan: String(header.length), class: "hint", text: empty }))];
  node.replaceChildren(
    el("thead", {}, el("tr", {}, ...header.map((h) => el("th", { text: h })))),
    el("tbody", {}, ...body),
  );
}

export function say(node, text, error = false) {
  node.textContent = text;
  node.classList.toggle("error", error);
  node.classList.toggle("ok", !error && !!text);
}

// True when a key press belongs to a form field, not to the page's shortcuts.
export function typing(event) {
  const t = event.target;
  return t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable;
}
