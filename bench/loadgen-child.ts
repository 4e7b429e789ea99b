/** The load generator process: runs one load at a time for the bench (see lib/http-load.ts). */
import { serveCommands } from './lib/child.ts';
import { runLoad, type LoadOptions, type RequestSource } from './lib/http-load.ts';

serveCommands({
  run: (args: { source: RequestSource; options: LoadOptions }) => runLoad(args.source, args.options),
});
