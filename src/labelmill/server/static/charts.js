// Small inline SVG charts; labels go through textContent.
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

export function lines(target, points, series, { ymin = 0, ymax = 1 } = {}) {
  // points: [{x, ...}], series: [{key, name, class}]
  const width = 360, height = 160, pad = 28;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "lines", role: "img" });
  if (!points.length) {
    root.append(svg("text", { x: 10, y: 20 }, "No finished rounds yet."));
    target.replaceChildren(root);
    return;
  }
  const xs = points.map((p) => p.x);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const sx = (x) => pad + ((width - 2 * pad) * (x - x0)) / (x1 - x0);
  const sy = (y) => height - pad - ((height - 2 * pad) * (y - ymin)) / (ymax - ymin || 1);
  root.append(svg("line", { x1: pad, x2: width - pad, y1: height - pad, y2: height - pad, class: "axis" }));
  root.append(svg("line", { x1: pad, x2: pad, y1: pad, y2: height - pad, class: "axis" }));
  root.append(svg("text", { x: 2, y: pad }, ymax.toFixed(2)));
  root.append(svg("text", { x: 2, y: height - pad }, ymin.toFixed(2)));
  series.forEach((s, i) => {
    const pts = points.filter((p) => typeof p[s.key] === "number");
    if (pts.length) {
      root.append(svg("polyline", { points: pts.map((p) => `${sx(p.x)},${sy(p[s.key])}`).join(" "), class: `series s${i}` }));
      pts.forEach((p) => root.append(svg("circle", { cx: sx(p.x), cy: sy(p[s.key]), r: 3, class: `series s${i}` })));
    }
    root.append(svg("text", { x: pad + 4 + i * 150, y: 12, class: `legend s${i}` }, s.name));
  });
  target.replaceChildren(root);
}
