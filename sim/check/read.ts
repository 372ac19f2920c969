// Reading a history file from disk: streamed in chunks and fed to the parser line by line, so a large file
// is never one string in memory (a 240 MB history would otherwise be held twice: as text and as lines).
// A `.edn` file is read as a Jepsen history (edn.ts). A file too large for this process's memory is
// refused up front with a HistoryError (exit 2) instead of ending in an out-of-memory crash.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { getHeapStatistics } from 'node:v8';
import { parseEdnHistory } from './edn.ts';
import type { History } from './history.ts';
import { HistoryError, HistoryParser } from './parse.ts';

const CHUNK_BYTES = 1 << 24;

/**
 * Heap the parsed history takes per byte of JSON Lines, measured on the bench history (bench/checker.ts)
 * with margin: operations, their micro-ops and the checker's indexes.
 */
export const HEAP_BYTES_PER_FILE_BYTE = 3;

/** Calls `onLine(text, lineNo)` for every line of the file, reading it in chunks. */
export function forEachLine(file: string, onLine: (text: string, lineNo: number) => void): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new HistoryError(file, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    // A chunk may end inside a multi-byte character: the decoder holds the partial bytes back.
    const decoder = new StringDecoder('utf8');
    let carry = '';
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK_BYTES, null);
      const text = n > 0 ? carry + decoder.write(buffer.subarray(0, n)) : carry + decoder.end();
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        onLine(text.slice(start, nl), ++lineNo);
        start = nl + 1;
      }
      carry = text.slice(start);
      if (n === 0) break;
    }
    if (carry !== '') onLine(carry, ++lineNo);
  } finally {
    closeSync(fd);
  }
}

/** Refuses a file whose parsed form cannot fit in the heap this process may use. */
function assertFits(file: string, bytes: number): void {
  const limit = getHeapStatistics().heap_size_limit;
  const needed = bytes * HEAP_BYTES_PER_FILE_BYTE;
  if (needed <= limit) return;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;
  throw new HistoryError(file, 0, '', `the file is ${gb(bytes)}; checking it needs about ${gb(needed)} of memory, `
    + `more than this process may use (${gb(limit)}). Raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>, or split the history`);
}

function fileSize(file: string): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new HistoryError(file, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** Reads a history file: JSON Lines (format v1), or a Jepsen history when the name ends in `.edn`. */
export function readHistoryFile(file: string): History {
  assertFits(file, fileSize(file));
  if (file.endsWith('.edn')) {
    const lines: string[] = [];
    forEachLine(file, (text) => lines.push(text));
    return parseEdnHistory(lines, file);
  }
  const parser = new HistoryParser(file);
  forEachLine(file, (text, lineNo) => parser.line(text, lineNo));
  return parser.finish();
}
