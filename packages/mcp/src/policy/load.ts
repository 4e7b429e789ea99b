/**
 * Loads Cedar policy files (`*.cedar`) from disk and validates them before the server starts:
 * a syntax error stops the start with the file, line, column and Cedar's message, never a server
 * that silently denies (or allows) everything.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkParsePolicySet, policySetTextToParts, type DetailedError } from '@cedar-policy/cedar-wasm/nodejs';

export class PolicyLoadError extends Error {
  override readonly name = 'PolicyLoadError';
}

export interface LoadedPolicies {
  /** Policy id -> policy text. The id is the policy's `@id("…")` annotation, else `<file>#<n>`. */
  policies: Record<string, string>;
  files: string[];
}

/** Files and directories (every `*.cedar` inside, sorted) to one policy set. */
export function loadPolicyFiles(sources: string | string[]): LoadedPolicies {
  const files = expand(Array.isArray(sources) ? sources : [sources]);
  if (files.length === 0) throw new PolicyLoadError(`No Cedar policy files (*.cedar) found in ${JSON.stringify(sources)}.`);
  const policies: Record<string, string> = {};
  for (const file of files) {
    for (const [id, text] of Object.entries(parsePolicyText(readFileSync(file, 'utf8'), file))) {
      if (policies[id] !== undefined) throw new PolicyLoadError(`${file}: the policy id "${id}" is used twice; every @id must be unique across the policy files.`);
      policies[id] = text;
    }
  }
  return { policies, files };
}

/** One file's text to its policies, keyed by id. Throws PolicyLoadError with positions on a syntax error. */
export function parsePolicyText(text: string, file: string): Record<string, string> {
  const checked = checkParsePolicySet({ staticPolicies: text });
  if (checked.type === 'failure') throw new PolicyLoadError(describe(file, text, checked.errors));
  const parts = policySetTextToParts(text);
  if (parts.type === 'failure') throw new PolicyLoadError(describe(file, text, parts.errors));
  if (parts.policy_templates.length > 0) throw new PolicyLoadError(`${file}: policy templates (?principal / ?resource slots) are not supported; write static policies.`);
  const out: Record<string, string> = {};
  parts.policies.forEach((policy, index) => {
    // Annotations come before the effect; only they are searched (a string literal could look alike).
    const annotations = policy.slice(0, Math.max(0, policy.search(/\b(permit|forbid)\s*\(/)));
    const id = /@id\(\s*"((?:[^"\\]|\\.)*)"\s*\)/.exec(annotations)?.[1] ?? `${basename(file)}#${index}`;
    if (out[id] !== undefined) throw new PolicyLoadError(`${file}: the policy id "${id}" is used twice.`);
    out[id] = policy;
  });
  return out;
}

function expand(sources: string[]): string[] {
  const files: string[] = [];
  for (const source of sources) {
    let stat;
    try {
      stat = statSync(source);
    } catch {
      throw new PolicyLoadError(`Cedar policy path ${source} does not exist.`);
    }
    if (stat.isDirectory()) {
      for (const name of readdirSync(source).filter((n) => n.endsWith('.cedar')).sort()) files.push(join(source, name));
    } else {
      files.push(source);
    }
  }
  return files;
}

function describe(file: string, text: string, errors: DetailedError[]): string {
  const lines = errors.map((e) => {
    const at = e.sourceLocations?.[0];
    const where = at ? `:${position(text, at.start)}` : '';
    const label = at?.label ? ` (${at.label})` : '';
    return `${file}${where}: ${e.message}${label}`;
  });
  return `Invalid Cedar policy file:\n${lines.join('\n')}`;
}

/** A source offset as line:column (1-based). */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}
