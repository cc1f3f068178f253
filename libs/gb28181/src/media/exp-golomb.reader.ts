import { Gb28181Error } from '../errors';

/**
 * Removes emulation-prevention bytes (H.264 §7.4.1 / H.265 §7.4.2: `00 00 03` -> `00 00`)
 * to get the RBSP from a NAL unit payload.
 */
export function removeEmulationPrevention(nal: Buffer): Buffer {
  let i = nal.indexOf(EPB);
  if (i < 0) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  let o = 0;
  let from = 0;
  while (i >= 0) {
    nal.copy(out, o, from, i + 2);
    o += i + 2 - from;
    from = i + 3;
    i = nal.indexOf(EPB, from);
  }
  nal.copy(out, o, from);
  o += nal.length - from;
  return out.subarray(0, o);
}

const EPB = Buffer.from([0, 0, 3]);

/** MSB-first bit reader with Exp-Golomb codes (H.264 §9.1). Reading past the end throws NAL_TRUNCATED. */
export class ExpGolombReader {
  private bit = 0;
  constructor(private readonly data: Buffer) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bit;
  }

  u(n: number): number {
    if (n > this.bitsLeft) throw new Gb28181Error('NAL_TRUNCATED', `NAL ended while reading ${n} bits`);
    let v = 0;
    for (let k = 0; k < n; k++) {
      const byte = this.data[this.bit >> 3];
      v = v * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
      this.bit++;
    }
    return v;
  }

  flag(): boolean {
    return this.u(1) === 1;
  }

  skip(n: number): void {
    if (n > this.bitsLeft) throw new Gb28181Error('NAL_TRUNCATED', `NAL ended while skipping ${n} bits`);
    this.bit += n;
  }

  /** ue(v) */
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) {
      zeros++;
      if (zeros > 31) throw new Gb28181Error('NAL_BAD_EXP_GOLOMB', 'Exp-Golomb code longer than 32 bits');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  /** se(v) */
  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
