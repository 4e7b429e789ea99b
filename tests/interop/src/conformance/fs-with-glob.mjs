// node:fs with the one export Node 20 lacks (fs.globSync, Node 22+).
import fs from 'node:fs';

export * from 'node:fs';
export default fs;
export function globSync() {
  throw new Error('fs.globSync needs Node.js 22 or later (used by the conformance tier-check command only).');
}
