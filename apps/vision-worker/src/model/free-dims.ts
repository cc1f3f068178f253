import {
  bytesField,
  encode,
  type Field,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  int64Vector,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE_INPUT,
  NODE_OP_TYPE,
  parse,
  symbolicValueInfo,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  text,
} from './onnx-proto';

/**
 * Frees YOLOX's fixed input shape in the ONNX bytes at load time, so one session runs a batch of crops and inputs
 * of any multiple-of-32 size (a 16:9 crop letterboxed to 416×256 instead of 416×416, or a frame at twice the width).
 * YOLOX's export (tools/export_onnx.py, opset 11) is fully convolutional except for:
 * - the graph input `[1,3,416,416]` and output `[1,3549,85]` (fixed dims in the ValueInfo),
 * - the three head Reshapes, whose shapes are int64 constants `[1,85,h·w]`,
 * - the intermediate shapes recorded in `value_info` (inferred again by onnxruntime).
 * This rewrites those (input/output dims become symbolic, the Reshape shapes become `[0,85,-1]`, value_info is
 * dropped) with a minimal protobuf walk, no dependency. Anything that does not look like that export is left
 * alone (`null`): the detector then runs one 416×416 crop per call, as before.
 */

/** Values per YOLOX output row (4 box, objectness, 80 classes): the second dim of each head Reshape. */
const HEAD_ROW = 85;

/** `[0,85,-1]` for a head Reshape's int64 `[1,85,n]` constant; null for any other initializer. */
function freedReshapeShape(init: Uint8Array, reshapeShapes: ReadonlySet<string>): Buffer | null {
  const fields = parse(init);
  if (!reshapeShapes.has(text(fields, TENSOR_NAME))) return null;
  const shape = int64Vector(fields);
  if (shape?.length !== 3) throw new Error('head Reshape shape is not an int64[3] raw constant');
  if (shape[0] !== 1n || shape[1] !== BigInt(HEAD_ROW)) throw new Error('head Reshape shape is not [1,85,n]');
  const raw = fields.find((f) => f.no === TENSOR_RAW_DATA)!;
  const next = Buffer.alloc(24);
  next.writeBigInt64LE(0n, 0);
  next.writeBigInt64LE(BigInt(HEAD_ROW), 8);
  next.writeBigInt64LE(-1n, 16);
  return encode(fields.map((f) => (f === raw ? bytesField(TENSOR_RAW_DATA, next) : f)));
}

/**
 * The model with input `[batch,3,height,width]` and output `[batch,points,85]` free, or null when the bytes are not a
 * YOLOX export this understands (one input, one output, exactly three Reshapes fed by `[1,85,n]` constants).
 */
export function freeYoloxDims(model: Uint8Array): Buffer | null {
  try {
    const top = parse(model);
    const graphAt = top.findIndex((f) => f.no === MODEL_GRAPH && f.wt === 2);
    if (graphAt < 0) return null;
    const graph = parse(top[graphAt]!.data);
    const reshapeShapes = new Set<string>();
    for (const f of graph) {
      if (f.no !== GRAPH_NODE) continue;
      const node = parse(f.data);
      if (text(node, NODE_OP_TYPE) !== 'Reshape') continue;
      const inputs = node.filter((x) => x.no === NODE_INPUT).map((x) => Buffer.from(x.data).toString('utf8'));
      if (inputs.length !== 2) return null;
      reshapeShapes.add(inputs[1]!);
    }
    if (reshapeShapes.size !== 3) return null;
    if (graph.filter((f) => f.no === GRAPH_INPUT).length !== 1 || graph.filter((f) => f.no === GRAPH_OUTPUT).length !== 1) return null;
    let freed = 0;
    const out: Field[] = [];
    for (const f of graph) {
      if (f.no === GRAPH_VALUE_INFO) continue;
      if (f.no === GRAPH_INPUT || f.no === GRAPH_OUTPUT) {
        const vi = symbolicValueInfo(f.data, f.no === GRAPH_INPUT ? ['batch', 'channels', 'height', 'width'] : ['batch', 'points', 'row']);
        if (!vi) return null;
        out.push(bytesField(f.no, vi));
        continue;
      }
      if (f.no === GRAPH_INITIALIZER) {
        const shape = freedReshapeShape(f.data, reshapeShapes);
        if (shape) {
          freed++;
          out.push(bytesField(f.no, shape));
          continue;
        }
      }
      out.push(f);
    }
    if (freed !== 3) return null;
    top[graphAt] = bytesField(MODEL_GRAPH, encode(out));
    return encode(top);
  } catch {
    return null;
  }
}
