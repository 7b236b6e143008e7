import type { Readable } from 'node:stream';

/**
 * The JSON values of an NDJSON stream, one a line (blank lines skipped). A line longer than `maxLine`
 * bytes, or one that is not JSON, throws: a peer that sends such a thing is not speaking the protocol.
 */
export async function* ndjsonValues(stream: Readable, maxLine = 1024 * 1024): AsyncGenerator<unknown> {
  let pending = Buffer.alloc(0);
  for await (const chunk of stream) {
    pending = Buffer.concat([pending, typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)]);
    for (let nl = pending.indexOf(0x0a); nl >= 0; nl = pending.indexOf(0x0a)) {
      const line = pending.subarray(0, nl).toString('utf8').trim();
      pending = pending.subarray(nl + 1);
      if (line) yield JSON.parse(line) as unknown;
    }
    if (pending.length > maxLine) throw new Error(`an NDJSON line longer than ${maxLine} bytes`);
  }
  const last = pending.toString('utf8').trim();
  if (last) yield JSON.parse(last) as unknown;
}
