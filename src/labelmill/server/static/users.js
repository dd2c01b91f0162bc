import { api, el, table } from "./api.js";

const $ = (id) => document.getElementById(id);
const say = (t, error = false) => { $("message").textContent = t; $("message").classList.toggle("error", error); };

async function load() {
  const users = await api("GET", "/api/users");
  table($("users"), ["name", "role", "active", "can log in", ""], users.map((u) => {
    const remove = el("button", { type: "button", text: "Remove" });
    remove.addEventListener("click", async () => {
      try { await api("DELETE", `/api/users/${encodeURIComponent(u.name)}`); say(`Removed ${u.name}.`); await load(); } catch (e) { say(e.message, true); }
    });
    return [u.name, u.role, u.active ? "yes" : "no", u.can_login ? "yes" : "no", remove];
  }));
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
