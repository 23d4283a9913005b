import { describe, expect, it } from 'vitest';
import { formatCpu, formatMemory, parseCpuMilli, parseMemoryBytes, parseQuantity } from '../../../scheduler/core/quantity.ts';
import { formatDuration, parseDuration } from '../../../scheduler/core/duration.ts';

describe('quantities', () => {
  it('parses CPU as millicores', () => {
    expect(parseCpuMilli('500m')).toBe(500);
    expect(parseCpuMilli('2')).toBe(2000);
    expect(parseCpuMilli('1.5')).toBe(1500);
    expect(parseCpuMilli('100u')).toBe(1); // rounded up like the apiserver
    expect(parseCpuMilli(3)).toBe(3000);
  });
  it('parses memory as bytes with binary and decimal suffixes', () => {
    expect(parseMemoryBytes('1Gi')).toBe(2 ** 30);
    expect(parseMemoryBytes('256Mi')).toBe(256 * 2 ** 20);
    expect(parseMemoryBytes('1G')).toBe(1e9);
    expect(parseMemoryBytes('1e3')).toBe(1000);
    expect(parseMemoryBytes('128974848')).toBe(128974848);
  });
  it('rejects what is not a quantity, saying what it expected', () => {
    expect(() => parseQuantity('1 GB')).toThrow(/not a Kubernetes quantity/);
    expect(() => parseQuantity('abc')).toThrow(/examples/);
    expect(() => parseQuantity('')).toThrow();
  });
  it('formats for messages', () => {
    expect(formatCpu(1500)).toBe('1500m');
    expect(formatCpu(2000)).toBe('2');
    expect(formatMemory(3 * 2 ** 30)).toBe('3Gi');
    expect(formatMemory(1536 * 2 ** 20)).toBe('1.5Gi');
  });
});

describe('durations', () => {
  it('parses Go-style durations and days', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('250ms')).toBe(250);
  });
  it('rejects garbage and negatives', () => {
    expect(() => parseDuration('1x')).toThrow(/not a duration/);
    expect(() => parseDuration('h')).toThrow();
    expect(() => parseDuration('')).toThrow();
    expect(() => parseDuration(-5)).toThrow();
  });
  it('round-trips through formatting', () => {
    for (const ms of [1000, 61_000, 5_400_000, 90_061_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
