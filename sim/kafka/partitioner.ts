// Kafka's deterministic placement functions, reimplemented bit for bit so that the same key lands on the
// same partition as in Kafka: murmur2 for the producer's key partitioner (BuiltInPartitioner), and Java's
// String.hashCode for the coordinator partition of a group or transactional id.

const encoder = new TextEncoder();

/** utf8()'s output, reused so that placing a record allocates nothing; it grows to the longest key. */
let scratch = new Uint8Array(64);

/**
 * Writes the UTF-8 bytes of a string to `scratch` (the next call overwrites them) and returns their count;
 * ASCII (every key the workload makes) without going through TextEncoder.
 */
function utf8(s: string): number {
  if (scratch.length < s.length) scratch = new Uint8Array(2 * s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      const bytes = encoder.encode(s);
      if (scratch.length < bytes.length) scratch = new Uint8Array(bytes.length);
      scratch.set(bytes);
      return bytes.length;
    }
    scratch[i] = c;
  }
  return s.length;
}

/** org.apache.kafka.common.utils.Utils.murmur2, of the first `length` bytes of `data` (default: all). */
export function murmur2(data: Uint8Array, length = data.length): number {
  const seed = 0x9747b28c;
  const m = 0x5bd1e995;
  const r = 24;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Partition of a keyed record: toPositive(murmur2(key)) % numPartitions. */
export function partitionForKey(key: string, numPartitions: number): number {
  const length = utf8(key);
  return (murmur2(scratch, length) & 0x7fffffff) % numPartitions;
}

/** java.lang.String.hashCode */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Partition of __consumer_offsets / __transaction_state that owns a group or transactional id. */
export function coordinatorPartitionFor(id: string, numPartitions: number): number {
  const h = javaStringHashCode(id);
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
  return (h === -2147483648 ? 0 : Math.abs(h)) % numPartitions;
}
