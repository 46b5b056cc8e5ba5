#include "web_page.hpp"

namespace mosaik::network::detail {

std::string_view web_page() {
  return R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mosaik node</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.2em; } code { font-size: 0.95em; }
svg { border: 1px solid #ccc; background: #fafafa; }
.node circle { fill: #4a7bd0; } .node.self circle { fill: #d0694a; }
.node.leader circle { stroke: #e0a800; stroke-width: 4; } .node .role { font-weight: bold; fill: #9a7400; }
.node text { font-size: 11px; text-anchor: middle; }
line { stroke: #999; stroke-width: 1.5; } line.channel { stroke: #2a9d4a; stroke-width: 3; }
table { border-collapse: collapse; margin-top: 1em; } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
#status { color: #a33; }
</style></head>
<body>
<h1>mosaik node <code id="self"></code> &middot; <span id="count">0</span> peers <span id="status"></span></h1>
<svg id="graph" width="640" height="440" viewBox="0 0 640 440"></svg>
<table><thead><tr><th>stream</th><th>peer</th><th>direction</th><th>datums/s</th><th>bytes/s</th><th>datums</th></tr></thead>
<tbody id="channels"></tbody></table>
<table><thead><tr><th>group</th><th>leader</th><th>term</th><th>commit index</th><th>members</th></tr></thead>
<tbody id="groups"></tbody></table>
<script>
"use strict";
const NS = "http://www.w3.org/2000/svg";
let previous = null;
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}
function draw(state) {
  document.getElementById("self").textContent = state.self.slice(0, 10);
  document.getElementById("count").textContent = state.peers.length;
  document.getElementById("status").textContent = "";
  const svg = document.getElementById("graph");
  svg.replaceChildren();
  const cx = 320, cy = 220, r = 170;
  const linked = new Set(state.channels.map(c => c.peer));
  const at = {};
  at[state.self] = [cx, cy];
  state.peers.forEach((p, i) => {
    const a = 2 * Math.PI * i / Math.max(1, state.peers.length) - Math.PI / 2;
    at[p.id] = [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });
  for (const p of state.peers) {
    el("line", {x1: cx, y1: cy, x2: at[p.id][0], y2: at[p.id][1],
                class: linked.has(p.id) ? "channel" : "known"}, svg);
  }
  const leads = new Set(state.groups.filter(g => g.leader).map(g => g.leader));
  for (const id of [state.self, ...state.peers.map(p => p.id)]) {
    const classes = ["node"];
    if (id === state.self) classes.push("self");
    if (leads.has(id)) classes.push("leader");
    const g = el("g", {class: classes.join(" "), "data-id": id}, svg);
    el("circle", {cx: at[id][0], cy: at[id][1], r: 14}, g);
    const t = el("text", {x: at[id][0], y: at[id][1] + 28}, g);
    t.textContent = id.slice(0, 10);
    if (leads.has(id)) el("text", {x: at[id][0], y: at[id][1] - 20, class: "role"}, g).textContent = "leader";
  }
  const body = document.getElementById("channels");
  body.replaceChildren();
  for (const c of state.channels) {
    const key = c.stream + c.peer + c.producing;
    const before = previous && previous.channels.find(p => p.stream + p.peer + p.producing === key);
    const dt = previous ? Math.max(0.001, (state.time_ms - previous.time_ms) / 1000) : 1;
    const rate = f => before ? ((c[f] - before[f]) / dt).toFixed(1) : "-";
    const row = document.createElement("tr");
    for (const v of [c.stream.slice(0, 10), c.peer.slice(0, 10), c.producing ? "sends to" : "receives from",
                     rate("datums"), rate("bytes"), c.datums]) {
      const td = document.createElement("td");
      td.textContent = v;
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  const groups = document.getElementById("groups");
  groups.replaceChildren();
  for (const g of state.groups) {
    const row = document.createElement("tr");
    row.setAttribute("data-group", g.id);
    for (const v of [g.id.slice(0, 10), g.leader ? g.leader.slice(0, 10) : "-", g.term ?? "-",
                     g.commit_index ?? "-", g.members.map(m => m.slice(0, 10)).join(", ")]) {
      const td = document.createElement("td");
      td.textContent = v;
      row.appendChild(td);
    }
    groups.appendChild(row);
  }
  previous = state;
}
async function tick() {
  try {
    const response = await fetch("/state.json", {cache: "no-store"});
    draw(await response.json());
  } catch (e) {
    document.getElementById("status").textContent = "(node unreachable)";
  }
}
tick();
setInterval(tick, 1000);
</script>
</body></html>
)html";
}

}  // namespace mosaik::network::detail
