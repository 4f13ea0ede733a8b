'use strict';
// What the bench prints and writes: a table of the timed cases, summary lines, a JSON record of
// every sample and a hand-written SVG bar chart of the medians.
const fs = require('node:fs');
const path = require('node:path');

const ms = (value) => value.toFixed(1);
const ratio = (value) => (value === undefined ? '' : `${value.toFixed(2)}x`);
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

/** rows: [{ label, medianMs, minMs, ratioToVenvScript, ratioToPex }]; the "x pex" column appears only when pex was benchmarked. */
function formatTable(rows, { withPex }) {
  const header = ['case', 'median ms', 'min ms', 'x venv script', ...(withPex ? ['x pex --venv'] : [])];
  const cells = rows.map((r) => [
    r.label,
    ms(r.medianMs),
    ms(r.minMs),
    ratio(r.ratioToVenvScript),
    ...(withPex ? [ratio(r.ratioToPex)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((text, i) => (i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

function formatSummary({ build, sizes, pexBuilds, graph, machine }) {
  const lines = [
    `machine: ${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}, ${machine.python}, ` +
      `load average ${machine.loadAverage[0].toFixed(2)} (other load widens median - min)`,
    `lock (pip resolve, once): ${ms(build.lockMs)} ms`,
    `build (warm cache, our code): ${ms(build.medianMs)} ms median, ${ms(build.minMs)} ms min of ${build.samplesMs.length}`,
    `archive: ${kib(sizes.archiveBytes)}; locked wheels: ${kib(sizes.wheelBytes)} in ${sizes.wheelCount} files ` +
      `(archive = ${ratio(sizes.archiveBytes / sizes.wheelBytes)} the wheels)`,
  ];
  for (const p of pexBuilds ?? []) {
    lines.push(`pex ${p.flags.join(' ') || '(zipapp)'} build (warm pex cache): ${ms(p.buildMs)} ms, ${kib(p.bytes)}`);
  }
  if (graph) lines.push(formatGraph(graph));
  return lines.join('\n');
}

function formatGraph(g) {
  const verdict = g.medianMs < g.budgetMs ? 'within' : 'OVER';
  return (
    `graph: createDependencies, ${g.tools} tools + ${g.consumers} consumers (${g.dependencies} edges): ` +
    `${ms(g.medianMs)} ms median of ${g.samplesMs.length}, ${verdict} the ${g.budgetMs} ms budget`
  );
}

const escapeXml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const BAR_COLORS = { limit: '#2e7d32', ours: '#1565c0', reference: '#9e9e9e', pex: '#ef6c00' };

/** A horizontal bar per row (median ms), label on the left, value on the right; no library. */
function renderSvg(rows, title) {
  const labelWidth = 16 + 7.5 * Math.max(...rows.map((r) => r.label.length));
  const barWidth = 420;
  const valueWidth = 90;
  const rowHeight = 22;
  const top = 36;
  const width = labelWidth + barWidth + valueWidth;
  const height = top + rows.length * rowHeight + 12;
  const longest = Math.max(...rows.map((r) => r.medianMs));
  const bars = rows.map((r, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, (r.medianMs / longest) * barWidth);
    return [
      `<text x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${escapeXml(r.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${BAR_COLORS[r.group]}"/>`,
      `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 14}">${ms(r.medianMs)} ms</text>`,
    ].join('\n  ');
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`,
    `  <rect width="${width}" height="${height}" fill="white"/>`,
    `  <text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...bars.map((b) => `  ${b}`),
    '</svg>',
    '',
  ].join('\n');
}

/** Writes bench-<timestamp>.json and .svg into outDir; returns both paths. */
function writeResults(outDir, record, rows, title) {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = record.timestamp.replace(/[:.]/g, '-');
  const json = path.join(outDir, `bench-${stamp}.json`);
  const svg = path.join(outDir, `bench-${stamp}.svg`);
  fs.writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  fs.writeFileSync(svg, renderSvg(rows, title));
  return { json, svg };
}

module.exports = { formatTable, formatSummary, formatGraph, writeResults };
