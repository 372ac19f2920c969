// The canonical trace: one text record per delivered message, state change and fault. Every record is
// folded into a 64-bit (two 32-bit lanes) FNV-1a-style hash as it is written, so the hash costs no
// memory; the records themselves are kept only when asked for (--trace), since a run can write millions.

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193 ^ 0x5bd1e995;
  private count = 0;
  readonly records: string[] | null;

  constructor(keepRecords: boolean) {
    this.records = keepRecords ? [] : null;
  }

  record(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    // Separate records so that ["ab","c"] and ["a","bc"] hash differently.
    this.h1 = Math.imul(h1 ^ 0x0a, 0x01000193);
    this.h2 = Math.imul(h2 ^ 0x0a, 0x5bd1e995) ^ (h1 >>> 15);
    this.count++;
    if (this.records) this.records.push(text);
  }

  get recordCount(): number {
    return this.count;
  }

  /** 16 hex digits. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}
