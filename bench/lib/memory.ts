/** Memory of the current process, in MB. The `AfterGc` figures need --expose-gc (null without it). */
export interface MemoryFigures {
  rssMb: number;
  heapUsedMb: number;
  rssAfterGcMb: number | null;
  /** Live heap after a full collection: growth here, unlike RSS, would be a leak. */
  heapUsedAfterGcMb: number | null;
}

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

export function memoryFigures(): MemoryFigures {
  const before = process.memoryUsage();
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return { rssMb: mb(before.rss), heapUsedMb: mb(before.heapUsed), rssAfterGcMb: null, heapUsedAfterGcMb: null };
  gc();
  const after = process.memoryUsage();
  return { rssMb: mb(before.rss), heapUsedMb: mb(before.heapUsed), rssAfterGcMb: mb(after.rss), heapUsedAfterGcMb: mb(after.heapUsed) };
}
