import { strict as assert } from 'node:assert';
import { CliError } from '../../cli/CliError';
import { intOption } from '../../cli/intOption';

describe('intOption (the CLI parser of whole-number options)', () => {
  it('returns the fallback when the option is not given, and undefined without one', () => {
    assert.equal(intOption('--count', undefined, 7), 7);
    assert.equal(intOption('--timeout', undefined), undefined);
  });

  it('reads digits as a number within its limits', () => {
    assert.equal(intOption('--count', '12', 1, { min: 1, max: 100 }), 12);
    assert.equal(intOption('--min-position', '0'), 0);
  });

  it('refuses a sign, an exponent, a fraction, spaces or an empty value, naming the option and what was given', () => {
    for (const raw of ['-1', '1e3', '2.5', ' 5', '', 'ten']) {
      assert.throws(
        () => intOption('--count', raw, 1),
        (err: Error) => err instanceof CliError && err.message === `--count must be a whole number (got "${raw}")`,
      );
    }
  });

  it('refuses a number outside its limits, saying the range', () => {
    assert.throws(() => intOption('--history', '0', 20, { min: 1, max: 1000 }), /--history must be a whole number from 1 to 1000 \(got "0"\)/);
    assert.throws(() => intOption('--history', '1001', 20, { min: 1, max: 1000 }), /from 1 to 1000/);
    assert.throws(() => intOption('--count', '0', 1, { min: 1 }), /--count must be a whole number of at least 1 \(got "0"\)/);
  });
});
