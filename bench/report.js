'use strict';
// What the bench prints and writes: per tool, a side-by-side table (ours, pex, ratio) and a table of
// every timed case; summary lines; a JSON record of every sample; a hand-written SVG bar chart.
const fs = require('node:fs');
const path = require('node:path');

const ms = (value) => (value === undefined ? '' : value.toFixed(1));
const ratio = (value) => (value === undefined ? '' : `${value.toFixed(2)}x`);
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The short name of each compared case, in table order. */
const PAIRS = [
  ['cold', 'cold first run (empty PEX_ROOT)'],
  ['warm', 'warm run'],
  ['venv', 'PEX_TOOLS=1 … venv DIR'],
  ['second', 'second tool sharing wheels, cold'],
  ['build', 'build (warm caches)'],
  ['lock', 'lock'],
];

function table(header, cells) {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((text, i) => (i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** [{ name, ours, pex, ratio }] for the cases both sides ran. */
function sideBySide(tool) {
  const byId = Object.fromEntries(tool.rows.map((r) => [r.id, r]));
  return PAIRS.filter(([id]) => byId[id]?.pexTwin && byId[byId[id].pexTwin]).map(([id, name]) => ({
    id,
    name,
    ours: byId[id].medianMs,
    pex: byId[byId[id].pexTwin].medianMs,
    ratio: byId[id].ratioToPex,
  }));
}

function formatTables(tools, { withPex }) {
  const out = [];
  for (const tool of tools) {
    const title = `${tool.requirements.join(' ')}: ${tool.script} ${tool.args.join(' ')}`;
    if (withPex) {
      const pairs = sideBySide(tool);
      out.push(`${title}: ours against pex --venv (medians, ms)`);
      out.push(
        table(
          ['case', 'ours ms', 'pex ms', 'ours / pex'],
          pairs.map((p) => [p.name, ms(p.ours), ms(p.pex), ratio(p.ratio)]),
        ),
      );
      out.push('');
    }
    out.push(`${title}: every case`);
    out.push(
      table(
        ['case', 'median ms', 'min ms', 'x venv script', 'n'],
        tool.rows.map((r) => [r.label, ms(r.medianMs), ms(r.minMs), ratio(r.ratioToVenvScript), String(r.samplesMs.length)]),
      ),
    );
    out.push('');
  }
  return out.join('\n').trimEnd();
}

function formatSummary({ results, graph, machine, opts }) {
  const load = (l) => l.map((v) => v.toFixed(2)).join(' ');
  const lines = [
    `machine: ${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}, ${machine.python}`,
    `load average (1, 5, 15 min): ${load(machine.loadAverageBefore)} at the start, ${load(machine.loadAverage)} at the end ` +
      '(other load widens median - min)',
    `rounds: ${opts.runs} timed (+ warm-up) for runs, ${opts.buildRounds} for builds and locks; find-links ${opts.findLinks}`,
  ];
  for (const t of results) {
    const s = t.sizes;
    lines.push(
      `${t.name}: archive ${kib(s.archiveBytes)} for ${kib(s.wheelBytes)} of wheels in ${s.wheelCount} files ` +
        `(${ratio(s.archiveBytes / s.wheelBytes)})${s.pexBytes ? `; pex --venv archive ${kib(s.pexBytes)}` : ''}` +
        (t.second ? `; second tool: ${t.second.requirements.join(' ')}` : ''),
    );
  }
  for (const t of results) {
    for (const r of t.rows.filter((row) => row.ratioToCase !== undefined)) {
      const base = t.rows.find((row) => row.id === r.ratioTo);
      const name = (row) => row.label.split(':')[0];
      lines.push(
        `${t.name}: ${name(r)} ${ms(r.medianMs)} ms, ${ratio(r.ratioToCase)} the ${name(base)} (${ms(base.medianMs)} ms); ` +
          `median of the per-round ratios ${ratio(r.pairedRatioToCase)}`,
      );
    }
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

const COLORS = { limit: '#2e7d32', ours: '#1565c0', reference: '#9e9e9e', pex: '#ef6c00' };

/**
 * Horizontal bars, no library. With pex: per tool, per compared case, our bar above pex's, each
 * scaled within its case (so a 10 ms warm run and a 5 s build both read), labelled with ms and the
 * ratio. Without pex: one bar per timed case of each tool, scaled to the tool's longest.
 */
function renderSvg(record) {
  const withPex = Boolean(record.options.pexCmd);
  const groups = record.tools.map((tool) => ({
    title: `${tool.requirements.join(' ')}: ${tool.script} ${tool.args.join(' ')}`,
    bars: withPex
      ? sideBySide(tool).flatMap((p) => [
          { label: `${p.name}, ours`, value: p.ours, max: Math.max(p.ours, p.pex), group: 'ours', note: ratio(p.ratio) },
          { label: 'pex --venv', value: p.pex, max: Math.max(p.ours, p.pex), group: 'pex', gap: true },
        ])
      : tool.rows.map((r) => ({ label: r.label, value: r.medianMs, max: Math.max(...tool.rows.map((x) => x.medianMs)), group: r.group })),
  }));
  const allBars = groups.flatMap((g) => g.bars);
  const labelWidth = 16 + 7.2 * Math.max(...allBars.map((b) => b.label.length));
  const barWidth = 380;
  const valueWidth = 170;
  const rowHeight = 20;
  const width = Math.ceil(labelWidth + barWidth + valueWidth);
  const body = [];
  let y = 28;
  const load = record.machine.loadAverageBefore.map((v) => v.toFixed(1)).join(' ');
  const heading = `median ms, ${record.options.runs} rounds, ${record.timestamp.slice(0, 16).replace('T', ' ')} UTC, load ${load}`;
  body.push(`<text x="8" y="18" font-size="13" font-weight="bold">${escapeXml(heading)}</text>`);
  for (const g of groups) {
    y += 10;
    body.push(`<text x="8" y="${y + 12}" font-weight="bold">${escapeXml(g.title)}</text>`);
    y += rowHeight;
    for (const b of g.bars) {
      const w = Math.max(1, (b.value / b.max) * barWidth);
      body.push(
        `<text x="${(labelWidth - 8).toFixed(1)}" y="${y + 14}" text-anchor="end">${escapeXml(b.label)}</text>`,
        `<rect x="${labelWidth.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${COLORS[b.group]}"/>`,
        `<text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 14}">${ms(b.value)} ms${b.note ? `  (${b.note} pex)` : ''}</text>`,
      );
      y += rowHeight + (b.gap ? 6 : 0);
    }
  }
  const height = y + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`,
    `  <rect width="${width}" height="${height}" fill="white"/>`,
    ...body.map((line) => `  ${line}`),
    '</svg>',
    '',
  ].join('\n');
}

/** Writes bench-<timestamp>.json and .svg into outDir; returns both paths. */
function writeResults(outDir, record) {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = record.timestamp.replace(/[:.]/g, '-');
  const json = path.join(outDir, `bench-${stamp}.json`);
  const svg = path.join(outDir, `bench-${stamp}.svg`);
  fs.writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  fs.writeFileSync(svg, renderSvg(record));
  return { json, svg };
}

module.exports = { formatTables, formatSummary, formatGraph, writeResults };
