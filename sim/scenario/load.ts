// Scenario files → validated Scenario values. Reads YAML or JSON, validates it against format.ts and turns
// any problem into one ScenarioError that names the file, the field path and what is allowed, so the CLI
// can print it as is and exit with code 2.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { parseScenarioContent } from './format.ts';
import { SchemaIssue, formatPath, issueText, suggest } from './schema.ts';
import type { NotMeaningful, Scenario } from './types.ts';

export class ScenarioError extends Error {
  /**
   * `path` is the field path (`faults.schedule[1].broker`), empty when the problem is the file as a whole;
   * `problem` is the bare description; `message` reads `file: path: problem (allowed: …)`.
   */
  constructor(readonly file: string, readonly path: string, readonly problem: string, readonly allowed?: string) {
    super(`${file}: ${issueText(path, problem, allowed)}`);
    this.name = 'ScenarioError';
  }
}

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * The folder of shipped scenarios, <package>/scenarios, found from this module's location so it works from
 * any working directory. The package root is the nearest folder above with a package.json: this module sits
 * at sim/scenario/ in the sources but inside a bundle at dist/ (scripts/build.mjs), so a fixed relative path
 * would be right in one of them only.
 */
export const SCENARIOS_DIR = join(packageRoot(fileURLToPath(new URL('.', import.meta.url))), 'scenarios');

function packageRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  const up = dirname(dir);
  if (up === dir) throw new Error(`eos-sim: no package.json above ${fileURLToPath(import.meta.url)}`);
  return packageRoot(up);
}

export function loadScenario(path: string): Scenario {
  const ext = extname(path);
  if (!EXTENSIONS.includes(ext)) {
    throw new ScenarioError(path, '', `unsupported file type ${JSON.stringify(ext)}`, EXTENSIONS.join(', '));
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ScenarioError(path, '', err.code === 'ENOENT' ? 'no such file' : `cannot read the file (${err.code ?? err.message})`);
  }
  return parseScenario(text, path);
}

/** Parses a scenario's text; `file` names it in messages and picks the syntax (JSON for *.json, else YAML). */
export function parseScenario(text: string, file: string): Scenario {
  const data = parseSyntax(text, file);
  if (data === null || data === undefined) {
    throw new ScenarioError(file, '', 'the file is empty; a scenario needs at least a name and a description');
  }
  try {
    return { file, ...parseScenarioContent(data) };
  } catch (e) {
    if (e instanceof SchemaIssue) throw new ScenarioError(file, formatPath(e.path), e.problem, e.allowed);
    throw e;
  }
}

function parseSyntax(text: string, file: string): unknown {
  const json = extname(file) === '.json';
  const lineCounter = new YAML.LineCounter();
  // JSON goes through the YAML parser too, held to JSON's schema, so both syntaxes report line and column
  // (Node's JSON.parse gives at best a character offset). Duplicate keys are errors in both.
  const doc = YAML.parseDocument(text, { lineCounter, prettyErrors: false, schema: json ? 'json' : 'core' });
  const [error] = doc.errors;
  if (error !== undefined) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new ScenarioError(file, '', `${json ? 'JSON' : 'YAML'} syntax error at line ${line}, column ${col}: ${error.message}`);
  }
  return doc.toJS();
}

/**
 * A shipped scenario's path from its name (`lost-ack` → <package>/scenarios/lost-ack.yaml), or the argument
 * itself when it is a path (it has a folder or a file extension).
 */
export function resolveScenarioPath(nameOrPath: string, dir: string = SCENARIOS_DIR): string {
  if (/[/\\]/.test(nameOrPath) || extname(nameOrPath) !== '') {
    if (!existsSync(nameOrPath)) throw new ScenarioError(nameOrPath, '', 'no such file');
    return nameOrPath;
  }
  const files = shippedFiles(dir);
  const hit = files.find((f) => stem(f) === nameOrPath);
  if (hit !== undefined) return join(dir, hit);
  const names = files.map(stem);
  throw new ScenarioError(
    nameOrPath, '', `no shipped scenario has this name${suggest(nameOrPath, names)}`,
    names.length === 0 ? 'none are shipped yet; give a file path' : names.join(', '),
  );
}

/** The shipped scenarios, sorted by name. Each is loaded, so a broken shipped file fails loudly here. */
export function listScenarios(dir: string = SCENARIOS_DIR): { name: string; file: string; description: string; notMeaningful: NotMeaningful[] }[] {
  return shippedFiles(dir).map((f) => {
    const file = join(dir, f);
    const { name, description, notMeaningful } = loadScenario(file);
    // Names are how users pick shipped scenarios (`eos-sim run lost-ack`), and lookup goes by file name.
    if (name !== stem(f)) throw new ScenarioError(file, 'name', `must match the file name, got ${JSON.stringify(name)}`, JSON.stringify(stem(f)));
    return { name, file, description, notMeaningful: notMeaningful ?? [] };
  });
}

function shippedFiles(dir: string): string[] {
  // By name, then by file name; file names in one folder are distinct, so the order never ties.
  const key = (f: string) => `${stem(f)}\0${f}`;
  return readdirSync(dir).filter((f) => EXTENSIONS.includes(extname(f))).sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

function stem(file: string): string {
  return basename(file, extname(file));
}
