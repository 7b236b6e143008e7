import { strict as assert } from 'node:assert';
import { formatBytes, formatCpu, parseBytes, parseCpu, QuantityError } from '..';

describe('resource quantities', () => {
  it('parses binary and decimal byte suffixes to exact bytes', () => {
    assert.equal(parseBytes('256Mi'), 256 * 1024 * 1024);
    assert.equal(parseBytes('1Gi'), 1024 ** 3);
    assert.equal(parseBytes('1.5Gi'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('1G'), 1e9);
    assert.equal(parseBytes('4096'), 4096);
    assert.equal(parseBytes(512), 512);
    assert.equal(parseBytes(' 10Ki '), 10240);
  });

  it('rounds fractional bytes up so a request never shrinks', () => {
    assert.equal(parseBytes('0.1Ki'), 103);
  });

  it('parses CPU as cores or millicores', () => {
    assert.equal(parseCpu('500m'), 500);
    assert.equal(parseCpu(0.5), 500);
    assert.equal(parseCpu('2'), 2000);
    assert.equal(parseCpu('0.25'), 250);
    assert.equal(parseCpu(0.29), 290);
  });

  it('rejects an unknown suffix, naming the field, the input and the accepted suffixes', () => {
    assert.throws(
      () => parseBytes('12Xi', 'volumes[0].claim.size'),
      (e: unknown) =>
        e instanceof QuantityError &&
        e.code === 'invalid_argument' &&
        e.field === 'volumes[0].claim.size' &&
        e.input === '12Xi' &&
        /unknown suffix "Xi"/.test(e.message) &&
        /Mi, Gi/.test(e.message),
    );
  });

  it('explains that "m" is a CPU suffix when used for bytes', () => {
    assert.throws(() => parseBytes('500m', 'memory'), /"m" means milli and only applies to CPU/);
  });

  it('rejects negative, non-numeric, empty and non-finite quantities', () => {
    assert.throws(() => parseBytes('-1Gi'), /must not be negative/);
    assert.throws(() => parseBytes('lots'), QuantityError);
    assert.throws(() => parseBytes(''), QuantityError);
    assert.throws(() => parseBytes(Number.NaN), /not a finite number/);
    assert.throws(() => parseCpu('-500m'), /must not be negative/);
    assert.throws(() => parseCpu('two'), /not a CPU quantity/);
    assert.throws(() => parseCpu('1Gi'), /unknown CPU suffix "Gi"/);
  });

  it('refuses CPU finer than one millicore instead of rounding it away', () => {
    assert.throws(() => parseCpu('0.0001'), /finer than 1m/);
    assert.throws(() => parseCpu('1.5m'), /finer than 1m/);
  });

  it('formats quantities for humans', () => {
    assert.equal(formatBytes(40 * 1024 ** 2), '40Mi');
    assert.equal(formatBytes(1.5 * 1024 ** 3), '1.5Gi');
    assert.equal(formatBytes(512), '512B');
    assert.equal(formatCpu(2000), '2');
    assert.equal(formatCpu(500), '500m');
  });
});
