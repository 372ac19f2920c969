// Reading a history file from disk: streamed in chunks and fed to the parser line by line, so a large file
// is never one string in memory (a 240 MB history would otherwise be held twice: as text and as lines),
// and checked without holding its parsed operations (checkHistoryFile).
// A `.edn` file is read as a Jepsen history (edn.ts). A file too large for this process's memory is
// refused up front with a HistoryError (exit 2) instead of ending in an out-of-memory crash.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { readEdnHistory } from './edn.ts';
import type { EdnLineSource } from './edn.ts';
import type { CheckResult } from './anomaly.ts';
import { judge } from './checker.ts';
import type { History, HistoryHeader, Op } from './history.ts';
import { IndexBuilder } from './index.ts';
import { HistoryError, HistoryParser, parseOpLine } from './parse.ts';
import { newNames } from './tables.ts';

// 1 MB: a larger buffer reads no faster, and every page of it is memory to touch for the first time.
const CHUNK_BYTES = 1 << 20;
/** How often a streamed check reports progress, in lines. */
const PROGRESS_LINES = 100_000;

/**
 * Heap a checked history takes per byte of JSON Lines: each line's head and the checker's indexes.
 * Measured on the bench history (bench/checker.ts: 170 MB, 1,000,000 operations, 0.6 GB peak RSS, 0.43 GB
 * since the index is kept in columns, 0.3 GB since rows of ids are read straight from the bytes, 0.16 GB
 * since final logs are columns too and names become strings only on request) and on small histories,
 * where the heap's young generation is a larger share; with margin.
 */
export const HEAP_BYTES_PER_FILE_BYTE = 6;

function open(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (e) {
    throw new HistoryError(file, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/**
 * Calls `onLine(text, lineNo, byteOffset)` for every line of the file, reading it in chunks. Lines are
 * split on the bytes ("\n" never occurs inside a multi-byte UTF-8 character) and decoded one by one, so
 * each line's text is its own string and its byte offset is known: the checker keeps the offset, not the
 * text, to show the line in a witness later (readLineAt).
 */
export function forEachLine(file: string, onLine: (text: string, lineNo: number, byteOffset: number) => void, chunkBytes = CHUNK_BYTES): void {
  forEachLineBytes(file, (bytes, start, end, lineNo, byteOffset) => onLine(bytes.toString('utf8', start, end), lineNo, byteOffset), chunkBytes);
}

/**
 * Like forEachLine, with each line as `bytes[start, end)` (valid only during the call), not decoded: the
 * streamed check reads most lines straight from their bytes (HistoryParser.lineBytes).
 */
export function forEachLineBytes(
  file: string, onLine: (bytes: Buffer, start: number, end: number, lineNo: number, byteOffset: number) => void, chunkBytes = CHUNK_BYTES,
): void {
  const fd = open(file);
  try {
    let buffer = Buffer.allocUnsafe(chunkBytes);
    let filled = 0;
    let base = 0;
    let lineNo = 0;
    for (;;) {
      if (filled === buffer.length) {
        // One line longer than the buffer: grow it (a string can hold ~512 MB; beyond that, a RangeError).
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      const end = filled + n;
      const view = buffer.subarray(0, end);
      let start = 0;
      for (let nl = view.indexOf(10, start); nl >= 0; nl = view.indexOf(10, start)) {
        onLine(view, start, nl, ++lineNo, base + start);
        start = nl + 1;
      }
      if (n === 0) {
        if (start < end) onLine(view, start, end, ++lineNo, base + start);
        break;
      }
      buffer.copy(buffer, 0, start, end);
      base += start;
      filled = end - start;
    }
  } finally {
    closeSync(fd);
  }
}

/** The text of the line that starts at `byteOffset` (up to the next newline or the end of the file). */
export function readLineAt(file: string, byteOffset: number): string {
  const fd = open(file);
  try {
    const parts: Buffer[] = [];
    let at = byteOffset;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 16);
      const n = readSync(fd, chunk, 0, chunk.length, at);
      const nl = chunk.subarray(0, n).indexOf(10);
      parts.push(chunk.subarray(0, nl >= 0 ? nl : n));
      if (nl >= 0 || n === 0) break;
      at += n;
    }
    return Buffer.concat(parts).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * How many lines, writes and reads a history file of `bytes` bytes may hold, for the index to make room
 * for at once (IndexBuilder): an operation line is ~100 bytes or more, and a write or a read, with the
 * lines around it, ~250 or more (the bench history has 174 and 435). Too high costs nothing but address
 * space; too low, growing.
 */
function expectedRows(bytes: number): { lines: number; writes: number; reads: number } {
  return { lines: Math.ceil(bytes / 100), writes: Math.ceil(bytes / 250), reads: Math.ceil(bytes / 250) };
}

/** Refuses a file whose parsed form cannot fit in the heap this process may use. */
function assertFits(file: string, bytes: number): void {
  const heap = getHeapStatistics();
  const limit = heap.heap_size_limit - heap.used_heap_size;
  const needed = bytes * HEAP_BYTES_PER_FILE_BYTE;
  if (needed <= limit) return;
  const gb = (b: number) => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(b / 2 ** 20)} MB`);
  throw new HistoryError(file, 0, '', `the file is ${gb(bytes)}; checking it needs about ${gb(needed)} of memory, `
    + `more than this process has free (${gb(limit)}). Raise the limit with NODE_OPTIONS=--max-old-space-size=<MB>, or split the history`);
}

function fileSize(file: string): number {
  const fd = open(file);
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}

/** The lines of a file as bytes, for the EDN reader (which reads a file twice). */
function ednLines(file: string, onProgress?: (linesRead: number) => void): EdnLineSource {
  return (onLine) => forEachLineBytes(file, (bytes, start, end, lineNo, byteOffset) => {
    onLine(bytes, start, end, lineNo, byteOffset);
    if (onProgress !== undefined && lineNo % PROGRESS_LINES === 0) onProgress(lineNo);
  });
}

/**
 * Checks a history file without holding its parsed operations: each line goes to the index as it is
 * read (IndexBuilder), keeping its byte offset for witnesses. A Jepsen `.edn` file is streamed the same way.
 */
export function checkHistoryFile(
  file: string, onProgress?: (linesRead: number) => void,
): { header: HistoryHeader; ops: number; finals: number; result: CheckResult } {
  const bytes = fileSize(file);
  assertFits(file, bytes);
  // The fast lane's rows name things by the ids of these interners; the builder, made once the header is
  // read, shares them.
  const expected = expectedRows(bytes);
  // Values: one per write at most (reads and final logs name values sent, in a valid history), and a
  // value usually stands on a send's two lines, a final log and a poll: ~400 bytes or more (the bench
  // history has 435). Unlike the columns, the interner's hash table is touched all over however full it
  // is, so a high estimate costs pages; a low one, the table's growth.
  const names = newNames(Math.ceil(bytes / 400));
  // Final logs the fast lane reads go to the builder as columns, not into the parsed History.
  let builder: IndexBuilder | undefined;
  // Witnesses show a few lines again: read back by their byte offsets (they were validated when read).
  let lineAt = (offset: number): Op => parseOpLine(readLineAt(file, offset));
  const start = (header: HistoryHeader) => new IndexBuilder(header, (o) => lineAt(o), names, expected);
  const add = (op: Op, offset: number, header: HistoryHeader) => {
    builder ??= start(header);
    builder.add(op, offset);
  };
  let history: History;
  if (file.endsWith('.edn')) {
    const read = readEdnHistory(ednLines(file, onProgress), file, add);
    history = read.history;
    lineAt = (offset) => read.reread(readLineAt(file, offset), offset);
  } else {
    let lineStart = 0;
    const parser = new HistoryParser(file, (op) => add(op, lineStart, parser.header!), {
      names,
      onRow: (row) => {
        builder ??= start(parser.header!);
        builder.addRow(row, lineStart);
      },
      onFinalLog: (log) => {
        builder ??= start(parser.header!);
        builder.addFinalLog(log);
      },
    });
    forEachLineBytes(file, (bytes, from, to, lineNo, byteOffset) => {
      lineStart = byteOffset;
      parser.lineBytes(bytes, from, to, lineNo);
      if (onProgress !== undefined && lineNo % PROGRESS_LINES === 0) onProgress(lineNo);
    });
    history = parser.finish();
  }
  builder ??= start(history.header);
  const { operations, finalLogsAdded } = builder;
  return { header: history.header, ops: operations, finals: history.finals.length + finalLogsAdded, result: judge(builder.finish(history.finals)) };
}

/** Reads a history file: JSON Lines (format v1), or a Jepsen history when the name ends in `.edn`. */
export function readHistoryFile(file: string): History {
  assertFits(file, fileSize(file));
  if (file.endsWith('.edn')) return readEdnHistory(ednLines(file), file).history;
  const parser = new HistoryParser(file);
  forEachLine(file, (text, lineNo) => parser.line(text, lineNo));
  return parser.finish();
}
