// Users: add, change role, disable or enable, remove; assignments per person.
import { api, el, say as sayIn, table, when } from "./api.js";

const $ = (id) => document.getElementById(id);
const say = (text, error = false) => sayIn($("message"), text, error);
const ROLES = ["annotator", "reviewer", "admin"];

async function act(promise, done) {
  try {
    await promise;
    say(done);
  } catch (err) {
    say(err.message, true);
  }
  await load();
}

async function load() {
  const users = await api("GET", "/api/users");
  table($("users"), ["name", "role", "state", "since", ""], users.map((u) => {
    const role = el("select", { "aria-label": `role of ${u.name}` }, ...ROLES.map((r) => el("option", { value: r, text: r, selected: r === u.role })));
    role.addEventListener("change", () => act(api("PATCH", `/api/users/${encodeURIComponent(u.name)}`, { role: role.value }), `${u.name} is now ${role.value}.`));
    const toggle = el("button", { type: "button", text: u.active ? "Disable" : "Enable" });
    toggle.addEventListener("click", () => act(api("PATCH", `/api/users/${encodeURIComponent(u.name)}`, { active: !u.active }), `${u.name} ${u.active ? "disabled" : "enabled"}.`));
    const remove = el("button", { type: "button", class: "danger", text: "Remove" });
    remove.addEventListener("click", () => {
      if (window.confirm(`Remove ${u.name}'s login? Their answers stay.`)) act(api("DELETE", `/api/users/${encodeURIComponent(u.name)}`), `Removed ${u.name}.`);
    });
    const state = !u.can_login ? (u.active ? "no password (answers only)" : "removed") : u.active ? "active" : "disabled";
    return [u.name, u.can_login ? role : u.role, state, when(u.created_at), el("span", {}, u.can_login ? toggle : "", " ", u.can_login ? remove : "")];
  }));
  const assigned = await api("GET", "/api/assignments");
  table($("assignments"), ["person", "open", "done", ""], assigned.map((a) => {
    const back = a.open ? el("button", { type: "button", text: "Take back open ones" }) : "";
    if (back) back.addEventListener("click", () => act(api("POST", "/api/assignments/remove", { people: [a.user] }), `Took back ${a.user}'s open assignments.`));
    return [a.user, String(a.open), String(a.done), back];
  }), { empty: "Nothing is assigned." });
}

$("add-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const u = await api("POST", "/api/users", { name: form.get("name"), password: form.get("password"), role: form.get("role") });
    say(`Saved ${u.name} (${u.role}).`);
    event.target.reset();
    await load();
  } catch (e) { say(e.message, true); }
});
load().catch((e) => say(e.message, true));
