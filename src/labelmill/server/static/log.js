// The audit log: who changed what, newest first, a page at a time.
import { api, say, table, when } from "./api.js";

const $ = (id) => document.getElementById(id);
let rows = [];

async function load(older = false) {
  const form = new FormData($("log-filter"));
  const params = new URLSearchParams();
  for (const k of ["actor", "action"]) if (form.get(k)) params.set(k, String(form.get(k)));
  if (older && rows.length) params.set("before", String(rows[rows.length - 1].id));
  const page = await api("GET", "/api/audit-log?" + params.toString());
  rows = older ? rows.concat(page) : page;
  table($("log"), ["when", "who", "action", "on", "details"], rows.map((r) => [when(r.at), r.actor, r.action, r.target ?? "", r.details ? JSON.stringify(r.details) : ""]), { empty: "Nothing logged." });
  $("older").hidden = page.length < 100;
}

$("log-filter").addEventListener("submit", (event) => { event.preventDefault(); load().catch((e) => say($("message"), e.message, true)); });
$("older").addEventListener("click", () => load(true).catch((e) => say($("message"), e.message, true)));
load().catch((e) => say($("message"), e.message, true));
