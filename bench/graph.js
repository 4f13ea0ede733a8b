'use strict';
// Scale check for the issue "a workspace with 200 tool projects and 500 consumer projects builds its
// project graph in under 2 s added by our plugin": times createDependencies on a synthetic context.
const { BenchError, median, timeAsync } = require('./timing');

const GRAPH = { tools: 200, consumers: 500, calls: 20, budgetMs: 2000 };

/** A workspace of GRAPH.tools tool projects and GRAPH.consumers projects with two `pex:run` targets each. */
function syntheticGraphContext(workspaceRoot) {
  const projects = {};
  for (let i = 0; i < GRAPH.tools; i++) {
    const targets = Object.fromEntries(['lock', 'pex', 'venv', 'run'].map((t) => [t, { executor: `pex:${t}`, options: {} }]));
    projects[`tool-${i}`] = { root: `tools/tool-${i}`, targets };
  }
  for (let i = 0; i < GRAPH.consumers; i++) {
    projects[`app-${i}`] = {
      root: `apps/app-${i}`,
      targets: {
        format: { executor: 'pex:run', options: { tool: `tool-${i % GRAPH.tools}` } },
        lint: { executor: 'pex:run', options: { tool: `tool-${(i + 1) % GRAPH.tools}` } },
      },
    };
  }
  const noFiles = { projectFileMap: {}, nonProjectFiles: [] };
  return { projects, externalNodes: {}, nxJsonConfiguration: {}, fileMap: noFiles, filesToProcess: noFiles, workspaceRoot };
}

/** Median of GRAPH.calls calls of the plugin's createDependencies; fails when the edges are wrong. */
async function timeGraph(plugin, workspaceRoot) {
  const context = syntheticGraphContext(workspaceRoot);
  const samplesMs = [];
  let dependencies = [];
  for (let i = 0; i < GRAPH.calls; i++) {
    samplesMs.push(
      await timeAsync(async () => {
        dependencies = await plugin.createDependencies({}, context);
      }),
    );
  }
  // Each consumer names two different tools, so a correct plugin returns two edges per consumer.
  if (dependencies.length !== 2 * GRAPH.consumers) {
    const expected = 2 * GRAPH.consumers;
    throw new BenchError(`createDependencies returned ${dependencies.length} edges for the synthetic graph, expected ${expected}`);
  }
  return { ...GRAPH, dependencies: dependencies.length, samplesMs, medianMs: median(samplesMs) };
}

module.exports = { timeGraph };
