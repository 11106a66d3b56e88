// Weir's dashboard: the overview (#/) and a Rollout's page (#/namespace/name). It reads the
// server's JSON and reloads what it shows when the server says that Rollout changed
// (server-sent events): no polling.
"use strict";

const main = document.getElementById("main");
let filter = "";
let shown = null; // what the page shows: "overview" or "namespace/name"
let reloadTimer = null;

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(await r.text());
  return r.json();
}

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  if (parts.length === 2) {
    shown = parts[0] + "/" + parts[1];
    return showRollout(parts[0], parts[1]);
  }
  shown = "overview";
  return showOverview();
}

// Overview.

const filters = [["", "all"], ["releasing", "releasing"], ["waiting", "waiting for promotion"],
  ["degraded", "aborted/degraded"], ["held", "held by policy"], ["healthy", "healthy"]];

async function showOverview() {
  const o = await getJSON("api/overview");
  const rows = o.rows.filter(r => !filter || r.filter === filter);
  const buttons = filters.map(([f, label]) =>
    `<button data-filter="${f}" class="${f === filter ? "active" : ""}">${esc(label)} (${f ? (o.counts[f] || 0) : o.rows.length})</button>`).join("");
  const body = rows.map(r => `<tr class="rollout" data-filter="${esc(r.filter)}">
      <td>${esc(r.namespace)}</td><td><a href="#/${esc(r.namespace)}/${esc(r.name)}">${esc(r.name)}</a></td>
      <td>${esc(r.strategy)}</td><td>${esc(r.step)}</td><td>${weightText(r.desiredWeight, r.verifiedWeight)}</td>
      <td class="phase-${esc(r.phase)}">${esc(r.phase)}</td><td>${esc(r.message)}</td></tr>`).join("");
  main.innerHTML = `<div class="filters">${buttons}</div>
    <table id="overview"><thead><tr><th>Namespace</th><th>Rollout</th><th>Strategy</th><th>Step</th><th>Weight</th><th>Phase</th><th>Message</th></tr></thead>
    <tbody>${body}</tbody></table>`;
  main.querySelectorAll(".filters button").forEach(b => b.onclick = () => { filter = b.dataset.filter; showOverview(); });
}

function weightText(desired, verified) {
  if (desired == null) return "";
  return `${desired}${verified == null ? " (not verified)" : verified === desired ? "" : " (verified " + verified + ")"}`;
}

// A Rollout's page.

async function showRollout(ns, name) {
  const d = await getJSON(`api/rollouts/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`);
  const ro = d.rollout;
  const steps = (d.steps || []).map(s => `<li class="${s.state}">${esc(s.label)}${s.at ?
    ` <time datetime="${esc(s.at)}">${s.state === "current" ? "since" : "done"} ${esc(new Date(s.at).toLocaleTimeString())}</time>` : ""}</li>`).join("");
  const actions = d.actions.map(a =>
    `<button data-request="${esc(a.request)}" ${a.allowed ? "" : "disabled"} title="${esc(a.reason || "")}">${esc(a.verb)}</button>`).join("");
  const refused = d.actions.filter(a => !a.allowed).map(a => `<li><b>${esc(a.verb)}</b>: ${esc(a.reason)}</li>`).join("");
  const pods = name => ((d.pods || {})[name] || []).map(p =>
    `<span class="pod ${p.ready ? "ready" : "unready"}" title="${p.ready ? "Ready" : "not Ready"}">${esc(p.name)}</span>`).join(" ");
  const revisions = (ro.revisions || []).map(r => `<tr><td>#${r.revision}</td><td>${esc(r.name)}</td><td>${esc(r.role || "")}</td>
      <td>${r.ready}/${r.desired} ready</td><td>${esc((r.images || []).join(", "))}</td><td>${pods(r.name)}</td></tr>`).join("");
  const events = (d.events || []).slice(-20).map(e => `<tr><td>${esc(e.at)}</td><td>${esc(e.type)}</td><td>${esc(e.reason)}</td><td>${esc(e.message)}</td></tr>`).join("");
  const policy = ro.policy ? `<h3>Release policies</h3><p>${esc(ro.policy.policies.join(", "))}</p><ul>${
    (ro.policy.evidence || []).map(e => `<li>${esc(e)}</li>`).join("")}</ul>${ro.policy.override ? `<p>${esc(ro.policy.override)}</p>` : ""}` : "";
  main.innerHTML = `<h2>${esc(ns)}/${esc(name)} <span class="phase-${esc(ro.phase)}" id="phase">${esc(ro.phase)}</span></h2>
    <p id="message">${esc(ro.message)}</p>
    <p>Step <span id="step">${esc(ro.step)}</span> ${esc(ro.stepAction || "")} · weight ${weightText(ro.desiredWeight, ro.verifiedWeight)}</p>
    <div class="actions">${actions}</div>${refused ? `<ul class="note" id="refused">${refused}</ul>` : ""}
    <h3>Steps</h3><ol class="steps">${steps}</ol>
    <h3>Canary weight: desired and verified</h3>${weightPlot(d.weights || [])}
    <p class="note">Asked of the routes (solid) and verified on them (dashed), at each change of this release, as the Rollout's status records it.</p>
    <h3>Analysis</h3>${(d.analyses || []).map(analysisPlot).join("") || "<p class=note>No analysis run.</p>"}
    ${policy}
    <h3>Revisions</h3><table><tbody>${revisions}</tbody></table>
    <h3>Events</h3><table><tbody>${events}</tbody></table>`;
  main.querySelectorAll(".actions button").forEach(b => b.onclick = () => confirmRequest(ns, name, b.dataset.request, b.textContent));
}

const W = 600, H = 160, PAD = 24;

// timeScale maps the points' times onto the plot's width (one point: its left edge).
function timeScale(points) {
  const ts = points.map(p => Date.parse(p.at));
  const first = Math.min(...ts), span = Math.max(...ts) - first;
  return i => PAD + (span > 0 ? (ts[i] - first) * (W - 2 * PAD) / span : 0);
}

function weightPlot(points) {
  const x = timeScale(points);
  const y = v => H - PAD - v * (H - 2 * PAD) / 100;
  const line = (key, cls) => {
    const pts = points.map((p, i) => p[key] == null ? null : `${x(i)},${y(p[key])}`).filter(Boolean);
    return `<polyline class="${cls}" points="${pts.join(" ")}"/>`;
  };
  const dots = (key, cls) => points.map((p, i) => p[key] == null ? "" :
    `<circle class="${cls}" cx="${x(i)}" cy="${y(p[key])}" r="3"><title>${esc(p.at)}: ${p[key]}</title></circle>`).join("");
  return `<svg class="plot" id="weights" width="${W}" height="${H}">
    <text x="2" y="${y(100) + 4}" font-size="10">100</text><text x="2" y="${y(0) + 4}" font-size="10">0</text>
    ${line("desired", "desired")}${line("verified", "verified")}${dots("desired", "pt-desired")}${dots("verified", "pt-verified")}</svg>`;
}

function analysisPlot(a) {
  const values = a.points.map(p => p.value).filter(v => v != null);
  if (a.threshold != null) values.push(a.threshold);
  const top = Math.max(...values, 0) * 1.2 || 1;
  const y = v => H - PAD - v * (H - 2 * PAD) / top;
  const x = timeScale(a.points);
  const dots = a.points.map((p, i) => p.value == null ? "" :
    `<circle class="pt-measure${p.phase === "Failed" ? " failed" : ""}" cx="${x(i)}" cy="${y(p.value)}" r="3"><title>${esc(p.at)}: ${p.value} (${esc(p.phase)})</title></circle>`).join("");
  const threshold = a.threshold == null ? "" :
    `<line class="threshold" x1="${PAD}" x2="${W - PAD}" y1="${y(a.threshold)}" y2="${y(a.threshold)}"/><text x="${W - PAD + 2}" y="${y(a.threshold) + 4}" font-size="10">${a.threshold}</text>`;
  return `<div class="analysis" data-run="${esc(a.run)}" data-metric="${esc(a.metric)}">
    <p><b>${esc(a.metric)}</b> in ${esc(a.run)} ${esc(a.where || "")}: ${esc(a.phase || "Running")} ·
      success ${esc(a.successCondition || "-")} · failure ${esc(a.failureCondition || "-")}</p>
    <svg class="plot" width="${W}" height="${H}">${threshold}${dots}</svg></div>`;
}

// Requests, confirmed first.

function confirmRequest(ns, name, request, verb) {
  const box = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = `${verb} ${ns}/${name}?`;
  box.hidden = false;
  document.getElementById("confirm-no").onclick = () => { box.hidden = true; };
  document.getElementById("confirm-yes").onclick = async () => {
    box.hidden = true;
    const r = await fetch(`api/rollouts/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/request`,
      {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({action: request})});
    const body = await r.json();
    if (!r.ok) alert(body.refused || JSON.stringify(body));
    route();
  };
}

// Live updates: reload what is shown when it changed (at most every 250 ms).

function listen() {
  const live = document.getElementById("live");
  const es = new EventSource("api/changes");
  es.onopen = () => live.classList.add("on");
  es.onerror = () => live.classList.remove("on");
  es.addEventListener("rollout", e => {
    if (shown !== "overview" && shown !== e.data) return;
    if (reloadTimer) return;
    reloadTimer = setTimeout(() => { reloadTimer = null; route(); }, 250);
  });
}

window.addEventListener("hashchange", route);
route();
listen();
