// The URL of a worker module beside the calling one. Sources run as .ts (Node's type stripping) and
// the published package as .js (dist/): the worker's extension follows its caller's, because the
// build rewrites import specifiers but not the strings handed to `new Worker`.

import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export function siblingWorker(callerUrl: string, name: string): URL {
  return new URL(`./${name}${extname(fileURLToPath(callerUrl))}`, callerUrl);
}
