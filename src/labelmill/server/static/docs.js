// The API reference, drawn from /openapi.json (served by this app, behind the login).
import { api, el, say } from "./api.js";

const $ = (id) => document.getElementById(id);
let spec = null;

function schemaName(ref) {
  return ref ? ref.split("/").pop() : "";
}

function bodyOf(op) {
  const content = op.requestBody?.content ?? {};
  const [type, media] = Object.entries(content)[0] ?? [];
  if (!type) return null;
  const name = schemaName(media.schema?.$ref);
  const schema = name ? spec.components.schemas[name] : media.schema;
  const props = Object.entries(schema?.properties ?? {}).map(([k, v]) => `${k}${(schema.required ?? []).includes(k) ? "" : "?"}: ${v.type ?? v.anyOf?.map((a) => a.type ?? schemaName(a.$ref)).join(" | ") ?? schemaName(v.$ref) ?? ""}`);
  return el("p", {}, el("strong", { text: "Body " }), `${type}` + (name ? ` (${name})` : ""), props.length ? el("code", { class: "key", text: props.join(", ") }) : "");
}

function render() {
  const words = $("filter").value.toLowerCase();
  const blocks = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const text = `${method} ${path} ${op.summary ?? ""} ${op.description ?? ""}`.toLowerCase();
      if (words && !text.includes(words)) continue;
      const params = (op.parameters ?? []).map((p) => `${p.name} (${p.in}${p.required ? ", required" : ""})`);
      blocks.push(el("details", { class: "panel" },
        el("summary", {}, el("code", { text: `${method.toUpperCase()} ${path}` }), " ", op.summary ?? ""),
        op.description ? el("p", { class: "guidelines", text: op.description }) : null,
        params.length ? el("p", {}, el("strong", { text: "Parameters " }), params.join(", ")) : null,
        bodyOf(op),
        el("p", { class: "hint", text: "Answers: " + Object.keys(op.responses ?? {}).join(", ") })));
    }
  }
  $("routes").replaceChildren(...blocks);
}

api("GET", "/openapi.json").then((s) => { spec = s; render(); }).catch((e) => say($("message"), e.message, true));
$("filter").addEventListener("input", () => spec && render());
