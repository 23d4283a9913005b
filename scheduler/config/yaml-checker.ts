// Line-numbered checking of YAML documents: the profile loader and the config loader walk a parsed
// document with a Checker, which reports every problem with file, line, column and field path.

import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';

export interface YamlIssue {
  file: string;
  line: number;
  column: number;
  /** Dotted field path, e.g. spec.windows[1].batchShare */
  field: string;
  message: string;
}

export class YamlCheckError extends Error {
  readonly issues: YamlIssue[];

  constructor(issues: YamlIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'YamlCheckError';
    this.issues = issues;
  }
}

/** A YAML file's text; a file that cannot be read is a YamlCheckError naming it (every loader's first step). */
export function readYamlFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new YamlCheckError([{ file, line: 0, column: 0, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
}

export function formatIssue(i: YamlIssue): string {
  // Line 0: the file as a whole (it could not be read), so no position to point at.
  const at = i.line > 0 ? `${i.file}:${i.line}:${i.column}` : i.file;
  return `${at}: ${i.field ? `${i.field}: ` : ''}${i.message}`;
}

export type Path = (string | number)[];

export class Checker {
  readonly issues: YamlIssue[] = [];
  readonly file: string;
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(file: string, doc: Document, lines: LineCounter) {
    this.file = file;
    this.#doc = doc;
    this.#lines = lines;
  }

  node(path: Path): YamlNode | undefined {
    return (path.length === 0 ? this.#doc.contents : this.#doc.getIn(path, true)) as YamlNode | undefined;
  }

  /** Reports at the field's own position, or at its nearest present ancestor when it is missing. */
  fail(path: Path, message: string, at?: YamlNode): void {
    if (at?.range) {
      const pos = this.#lines.linePos(at.range[0]);
      this.issues.push({ file: this.file, line: pos.line, column: pos.col, field: fieldName(path), message });
      return;
    }
    let pos = { line: 1, col: 1 };
    for (let k = path.length; k >= 0; k--) {
      const n = this.node(path.slice(0, k));
      if (n?.range) {
        pos = this.#lines.linePos(n.range[0]);
        break;
      }
    }
    this.issues.push({ file: this.file, line: pos.line, column: pos.col, field: fieldName(path), message });
  }

  value(path: Path): unknown {
    const n = this.node(path);
    if (n === undefined) return undefined;
    return isScalar(n) ? n.value : (n as { toJSON(): unknown }).toJSON();
  }

  /** Reports keys of the mapping at `path` that are not in `allowed` (typos such as batchshare). */
  onlyKeys(path: Path, allowed: readonly string[]): void {
    const n = this.node(path);
    if (!isMap(n)) return;
    for (const item of n.items) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (allowed.includes(key)) continue;
      const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase());
      this.fail([...path, key], `unknown field${near ? ` (did you mean ${near}?)` : `; allowed: ${allowed.join(', ')}`}`, item.key as YamlNode);
    }
  }

  isMapping(path: Path): boolean {
    return isMap(this.node(path));
  }

  line(path: Path): number {
    const n = this.node(path);
    return n?.range ? this.#lines.linePos(n.range[0]).line : 0;
  }
}

function fieldName(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}


/** Parses YAML text; syntax errors become issues. Returns the checker to walk the document with. */
export function parseChecked(text: string, file: string): Checker {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new YamlCheckError(
      doc.errors.map((e) => {
        // linePos is only filled with prettyErrors on; the offset always is.
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: `YAML: ${e.message.split('\n')[0]}` };
      }),
    );
  }
  return new Checker(file, doc, lines);
}
