/**
 * The minimal protobuf walk the load-time ONNX rewrites use (free-dims.ts, focus-input.ts): fields of a message as raw
 * payloads, re-encoded after edits. No dependency; only what ModelProto, GraphProto, NodeProto, ValueInfoProto and
 * TensorProto need (onnx.proto).
 */

/** One protobuf field: wire type 0 (varint), 1 (64-bit), 2 (bytes) or 5 (32-bit), raw payload. */
export interface Field {
  no: number;
  wt: number;
  data: Uint8Array;
  v?: bigint;
}

// ModelProto / GraphProto / NodeProto / ValueInfoProto / TypeProto / TensorProto field numbers (onnx.proto).
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_OP_TYPE = 4;
export const VALUE_INFO_NAME = 1;
export const VALUE_INFO_TYPE = 2;
export const NODE_ATTRIBUTE = 5;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_INT = 3;
export const TYPE_TENSOR = 1;
export const TENSOR_TYPE_SHAPE = 2;
export const SHAPE_DIM = 1;
export const DIM_PARAM = 2;
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_NAME = 8;
export const TENSOR_RAW_DATA = 9;
export const INT64 = 7n;

function readVarint(b: Uint8Array, i: number): [bigint, number] {
  let r = 0n;
  let s = 0n;
  for (;;) {
    if (i >= b.length) throw new Error('truncated varint');
    const x = b[i++]!;
    r |= BigInt(x & 0x7f) << s;
    s += 7n;
    if (!(x & 0x80)) return [r, i];
  }
}

export function parse(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  while (i < b.length) {
    const [key, j] = readVarint(b, i);
    i = j;
    const no = Number(key >> 3n);
    const wt = Number(key & 7n);
    if (wt === 0) {
      const [v, k] = readVarint(b, i);
      out.push({ no, wt, data: b.subarray(i, k), v });
      i = k;
    } else if (wt === 2) {
      const [len, k] = readVarint(b, i);
      const end = k + Number(len);
      if (end > b.length) throw new Error('truncated field');
      out.push({ no, wt, data: b.subarray(k, end) });
      i = end;
    } else if (wt === 1 || wt === 5) {
      const n = wt === 1 ? 8 : 4;
      out.push({ no, wt, data: b.subarray(i, i + n) });
      i += n;
    } else {
      throw new Error(`unsupported wire type ${wt}`);
    }
  }
  return out;
}

function varint(v: number | bigint): Buffer {
  let x = BigInt(v);
  const bytes: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (x > 0n);
  return Buffer.from(bytes);
}

export function encode(fields: readonly Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(varint((f.no << 3) | f.wt));
    if (f.wt === 2) parts.push(varint(f.data.length));
    parts.push(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length));
  }
  return Buffer.concat(parts);
}

export function bytesField(no: number, data: Uint8Array): Field {
  return { no, wt: 2, data };
}

export function text(fields: readonly Field[], no: number): string {
  const f = fields.find((x) => x.no === no && x.wt === 2);
  return f ? Buffer.from(f.data).toString('utf8') : '';
}

/** The values of a one-dimensional int64 TensorProto stored as raw data (`[n]`), or null for any other tensor. */
export function int64Vector(tensor: readonly Field[]): bigint[] | null {
  const dims = tensor.filter((f) => f.no === TENSOR_DIMS).map((f) => f.v);
  const raw = tensor.find((f) => f.no === TENSOR_RAW_DATA);
  if (tensor.find((f) => f.no === TENSOR_DATA_TYPE)?.v !== INT64 || dims.length !== 1 || !raw || raw.data.length !== Number(dims[0]) * 8) return null;
  const b = Buffer.from(raw.data);
  return Array.from({ length: b.length / 8 }, (_, i) => b.readBigInt64LE(i * 8));
}

/** A ValueInfo whose tensor shape has every dim replaced by the named symbolic dims. */
export function symbolicValueInfo(vi: Uint8Array, names: readonly string[]): Buffer | null {
  const fields = parse(vi);
  const typeAt = fields.findIndex((f) => f.no === VALUE_INFO_TYPE);
  if (typeAt < 0) return null;
  const type = parse(fields[typeAt]!.data);
  const tensorAt = type.findIndex((f) => f.no === TYPE_TENSOR);
  if (tensorAt < 0) return null;
  const tensor = parse(type[tensorAt]!.data);
  const shapeAt = tensor.findIndex((f) => f.no === TENSOR_TYPE_SHAPE);
  if (shapeAt < 0) return null;
  const dims = parse(tensor[shapeAt]!.data).filter((f) => f.no === SHAPE_DIM);
  if (dims.length !== names.length) return null;
  const shape = names.map((n) => bytesField(SHAPE_DIM, encode([bytesField(DIM_PARAM, Buffer.from(n, 'utf8'))])));
  tensor[shapeAt] = bytesField(TENSOR_TYPE_SHAPE, encode(shape));
  type[tensorAt] = bytesField(TYPE_TENSOR, encode(tensor));
  fields[typeAt] = bytesField(VALUE_INFO_TYPE, encode(type));
  return encode(fields);
}
