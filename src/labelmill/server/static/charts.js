// Small inline SVG charts; every label goes through textContent.
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

export function bars(target, data, { max, format = (v) => String(v) } = {}) {
  // data: [{label, value, low?, high?}] horizontal bars, optional interval whiskers.
  const width = 360, row = 22, left = 110, right = 60;
  const top = max ?? Math.max(1, ...data.map((d) => d.high ?? d.value ?? 0));
  const root = svg("svg", { viewBox: `0 0 ${width} ${row * data.length + 4}`, class: "bars", role: "img" });
  data.forEach((d, i) => {
    const y = i * row + 2;
    const scale = (v) => left + ((width - left - right) * Math.max(0, v)) / top;
    root.append(svg("text", { x: left - 6, y: y + 14, "text-anchor": "end" }, d.label));
    if (typeof d.value === "number") {
      root.append(svg("rect", { x: left, y: y + 3, width: Math.max(0, scale(d.value) - left), height: row - 8, class: "bar" }));
      if (typeof d.low === "number" && typeof d.high === "number") {
        root.append(svg("line", { x1: scale(d.low), x2: scale(d.high), y1: y + row / 2, y2: y + row / 2, class: "whisker" }));
      }
      root.append(svg("text", { x: width - right + 4, y: y + 14 }, format(d.value)));
    }
  });
  target.replaceChildren(root);
}

function niceRange(values, floor = 0, ceil = 1) {
  // A y range that shows the values (not squashed against the top): padded, on 0.05 steps.
  const finite = values.filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!finite.length) return [floor, ceil];
  let lo = Math.min(...finite), hi = Math.max(...finite);
  const pad = Math.max(0.02, (hi - lo) * 0.15);
  lo = Math.max(floor, Math.floor((lo - pad) * 20) / 20);
  hi = Math.min(ceil, Math.ceil((hi + pad) * 20) / 20);
  if (hi - lo < 0.1) lo = Math.max(floor, hi - 0.1);
  return [lo, hi];
}

export function lines(target, points, series, { xLabel = "", yLabel = "", format = (v) => v.toFixed(2) } = {}) {
  // points: [{x, ...}], series: [{key, name}]; axes with ticks and titles.
  const width = 420, height = 230, left = 48, right = 12, top = 26, bottom = 40;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "lines", role: "img", "aria-label": yLabel + " by " + xLabel });
  if (!points.length) {
    root.append(svg("text", { x: 10, y: 20 }, "No finished rounds yet."));
    target.replaceChildren(root);
    return;
  }
  const xs = points.map((p) => p.x);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const [ymin, ymax] = niceRange(points.flatMap((p) => series.map((s) => p[s.key])));
  const sx = (x) => left + ((width - left - right) * (x - x0)) / (x1 - x0);
  const sy = (y) => height - bottom - ((height - top - bottom) * (y - ymin)) / (ymax - ymin || 1);
  for (let i = 0; i <= 4; i += 1) {
    const v = ymin + ((ymax - ymin) * i) / 4;
    root.append(svg("line", { x1: left, x2: width - right, y1: sy(v), y2: sy(v), class: "grid-line" }));
    root.append(svg("text", { x: left - 4, y: sy(v) + 4, "text-anchor": "end", class: "axis-label" }, format(v)));
  }
  const ticks = [...new Set([x0, Math.round((x0 + x1) / 2), x1])];
  for (const t of ticks) {
    root.append(svg("text", { x: sx(t), y: height - bottom + 14, "text-anchor": "middle", class: "axis-label" }, t.toLocaleString()));
  }
  root.append(svg("line", { x1: left, x2: width - right, y1: height - bottom, y2: height - bottom, class: "axis" }));
  root.append(svg("line", { x1: left, x2: left, y1: top, y2: height - bottom, class: "axis" }));
  root.append(svg("text", { x: (left + width - right) / 2, y: height - 6, "text-anchor": "middle", class: "axis-label" }, xLabel));
  root.append(svg("text", { x: 12, y: (top + height - bottom) / 2, "text-anchor": "middle", class: "axis-label", transform: `rotate(-90 12 ${(top + height - bottom) / 2})` }, yLabel));
  series.forEach((s, i) => {
    const pts = points.filter((p) => typeof p[s.key] === "number");
    if (pts.length) {
      root.append(svg("polyline", { points: pts.map((p) => `${sx(p.x)},${sy(p[s.key])}`).join(" "), class: `series s${i}` }));
      pts.forEach((p) => root.append(svg("circle", { cx: sx(p.x), cy: sy(p[s.key]), r: 3, class: `series s${i}` })));
    }
    root.append(svg("text", { x: left + 4 + i * 170, y: 14, class: `legend s${i}` }, "● " + s.name));
  });
  target.replaceChildren(root);
}

const STOPS = [[0, [201, 42, 42]], [0.5, [245, 200, 66]], [1, [43, 138, 62]]]; // red, amber, green

function heatColor(kappa) {
  // kappa <= 0 (no better than chance) red, 0.5 amber, 1 green; grey without a value.
  if (typeof kappa !== "number") return "#d0d5dd";
  const k = Math.max(0, Math.min(1, kappa));
  const hi = STOPS.findIndex(([at]) => at >= k);
  const [a0, c0] = STOPS[Math.max(0, hi - 1)], [a1, c1] = STOPS[hi];
  const t = a1 === a0 ? 0 : (k - a0) / (a1 - a0);
  const c = c0.map((v, i) => Math.round(v + (c1[i] - v) * t));
  return `rgb(${c.join(",")})`;
}

export function heatmap(target, people, cells) {
  // people: names; cells: {"a|b": {kappa, shared}} for a < b. Drawn as a full square matrix.
  const n = people.length;
  const cell = Math.max(10, Math.min(28, Math.floor(520 / Math.max(n, 1))));
  const labelW = Math.min(110, 8 + 7 * Math.max(4, ...people.map((p) => Math.min(p.length, 14))));
  const width = labelW + n * cell + 4, height = labelW + n * cell + 4;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "heat", role: "img", "aria-label": "Cohen's kappa between each pair of people" });
  people.forEach((p, i) => {
    const short = p.length > 14 ? p.slice(0, 13) + "…" : p;
    root.append(svg("text", { x: labelW - 4, y: labelW + i * cell + cell * 0.7, "text-anchor": "end" }, short));
    root.append(svg("text", { x: labelW + i * cell + cell * 0.7, y: labelW - 4, transform: `rotate(-60 ${labelW + i * cell + cell * 0.7} ${labelW - 4})` }, short));
  });
  people.forEach((a, i) => {
    people.forEach((b, j) => {
      if (i === j) return;
      const key = [a, b].sort().join("|");
      const c = cells[key];
      if (!c) return;
      const rect = svg("rect", { x: labelW + j * cell, y: labelW + i * cell, width: cell - 1, height: cell - 1, fill: heatColor(c.kappa) });
      rect.append(svg("title", {}, `${a} · ${b}: κ ${typeof c.kappa === "number" ? c.kappa.toFixed(2) : "–"} on ${c.shared} shared items`));
      root.append(rect);
    });
  });
  target.replaceChildren(root);
}
