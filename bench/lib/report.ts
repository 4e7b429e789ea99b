/**
 * Results of one bench run: a JSON file for tools and a markdown summary for people, both under
 * bench/results/ (latest.*), plus one line per run appended to history.jsonl. Goals are
 * reported as pass/fail; the bench never fails the build.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProfileSummary } from './profile-summary.ts';

export interface Goal {
  op: '>=' | '<=';
  value: number;
}

export interface Figure {
  id: string;
  label: string;
  value: number | null;
  unit: string;
  goal?: Goal;
  /** null when the figure could not be measured. */
  pass?: boolean | null;
  note?: string;
}

export interface Machine {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  os: string;
  totalMemoryMb: number;
  loadAverageAtStart: number[];
  /** UV_THREADPOOL_SIZE of the bench and its children (scripts/thread-pool.cjs); absent in runs before it was set. */
  threadPool?: number;
  /** 1-minute load average sampled at the start of each phase: above ~1 on 2 cores, rates are depressed. */
  loadDuringRun?: Record<string, number>;
}

export interface BenchResults {
  machine: Machine;
  method: Record<string, string | number | boolean>;
  figures: Figure[];
  details: Record<string, unknown>;
  errors: string[];
  profiles?: Record<string, ProfileSummary>;
}

export function judge(figure: Figure): Figure {
  if (!figure.goal) return figure;
  if (figure.value === null) return { ...figure, pass: null };
  const pass = figure.goal.op === '>=' ? figure.value >= figure.goal.value : figure.value <= figure.goal.value;
  return { ...figure, pass };
}

function fmt(value: number | null, unit: string): string {
  if (value === null) return 'not measured';
  const n = Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : String(Math.round(value * 1000) / 1000);
  return unit === '×' ? `${n}×` : `${n} ${unit}`;
}

function verdict(f: Figure): string {
  if (!f.goal) return '';
  if (f.pass === null || f.pass === undefined) return 'n/a';
  return f.pass ? 'PASS' : 'FAIL';
}

export function toMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push('# Mandate bench results', '');
  lines.push(`Run ${r.machine.date} · Node ${r.machine.node} · ${r.machine.cpuModel} (${r.machine.cores} cores) · ${r.machine.os} ·${r.machine.threadPool !== undefined ? ` thread pool ${r.machine.threadPool} ·` : ''} load average at start ${r.machine.loadAverageAtStart.join(' / ')}`, '');
  if (r.machine.loadDuringRun) {
    lines.push(`Load average (1 min) at each phase: ${Object.entries(r.machine.loadDuringRun).map(([k, v]) => `${k} ${v}`).join(', ')}. The bench itself keeps both cores busy (up to ~2); well above that, something else was running and the rates are low: compare the CPU-per-request figures then.`, '');
  }
  lines.push('Produced by `npm run bench`; see docs/benchmarks.md for what each figure means. Goals from issue 2 ("Speed and memory"), issue 3 (token exchange) and issue 5 (vault releases). The bench reports; it never fails the build.', '');
  lines.push('| Figure | Value | Goal | Result |', '|---|---|---|---|');
  for (const f of r.figures) {
    const goal = f.goal ? `${f.goal.op === '>=' ? '≥' : '≤'} ${fmt(f.goal.value, f.unit)}` : '';
    lines.push(`| ${f.label}${f.note ? ` <br><sub>${f.note}</sub>` : ''} | ${fmt(f.value, f.unit)} | ${goal} | ${verdict(f)} |`);
  }
  lines.push('', '## Method', '');
  for (const [k, v] of Object.entries(r.method)) lines.push(`- ${k}: ${String(v)}`);
  if (r.errors.length > 0) {
    lines.push('', '## Errors during the run', '');
    for (const e of r.errors) lines.push('```', e.slice(0, 1500), '```');
  }
  if (r.profiles) {
    for (const [name, p] of Object.entries(r.profiles)) {
      lines.push('', `## CPU profile: ${name} (${p.totalMs} ms sampled)`, '', '| Self time | Layer |', '|---|---|');
      for (const l of p.byCategory) lines.push(`| ${l.selfPct}% | ${l.name} |`);
      lines.push('', '| Self time | Function |', '|---|---|');
      for (const l of p.byFunction.slice(0, 20)) lines.push(`| ${l.selfPct}% | \`${l.name}\` |`);
      lines.push('', '| Self time | File |', '|---|---|');
      for (const l of p.byFile.slice(0, 15)) lines.push(`| ${l.selfPct}% | \`${l.name}\` |`);
      if (p.inclusive.length > 0) {
        lines.push('', '| Inclusive | Function |', '|---|---|');
        for (const l of p.inclusive) lines.push(`| ${l.selfPct}% | \`${l.name}\` |`);
      }
    }
  }
  lines.push('');
  return lines.join('\n');
}

/** `name` is `latest` for a full run (also appended to history.jsonl), `quick` or `profile` otherwise. */
export function writeResults(dir: string, r: BenchResults, name: string): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, `${name}.json`);
  const md = join(dir, `${name}.md`);
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(md, toMarkdown(r));
  if (name !== 'latest') return { json, md };
  const line = { date: r.machine.date, node: r.machine.node, cpu: r.machine.cpuModel, figures: Object.fromEntries(r.figures.map((f) => [f.id, f.value])) };
  appendFileSync(join(dir, 'history.jsonl'), JSON.stringify(line) + '\n');
  return { json, md };
}

export function consoleTable(figures: Figure[]): string {
  const rows = figures.map((f) => [f.label, fmt(f.value, f.unit), f.goal ? `${f.goal.op} ${f.goal.value}` : '', verdict(f)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')).join('\n');
}
