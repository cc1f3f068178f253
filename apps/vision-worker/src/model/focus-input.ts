import {
  ATTRIBUTE_INT,
  ATTRIBUTE_NAME,
  bytesField,
  encode,
  type Field,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  int64Vector,
  MODEL_GRAPH,
  NODE_ATTRIBUTE,
  NODE_INPUT,
  NODE_OP_TYPE,
  NODE_OUTPUT,
  parse,
  symbolicValueInfo,
  TENSOR_NAME,
  text,
  VALUE_INFO_NAME,
} from './onnx-proto';

/**
 * YOLOX's first layer, `Focus` (yolox/models/network_blocks.py), is pure data movement: it takes every second pixel of
 * the input at the four row/column parities and stacks them as channels,
 *
 *   x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]  ->  concat on channels: [b, 12, h/2, w/2]
 *
 * exported (opset 11) as eight strided Slices (rows, then columns) and one Concat. onnxruntime's CPU Slice and Concat
 * spent ~16 % of a 768×448 run on it. The letterbox writes every pixel once anyway, so it can write this layout
 * directly (`letterboxInto(..., layout)`); the model then starts at the first convolution. Same values into the same
 * Conv: the output is the same bit for bit (spec).
 *
 * Which channel block holds which parity, in Concat order: `[dy, dx]` per block (YOLOX: [0,0], [1,0], [0,1], [1,1]).
 */
export type FocusParts = readonly (readonly [dy: 0 | 1, dx: 0 | 1])[];

export interface FocusInputModel {
  model: Buffer;
  parts: FocusParts;
}

/** Slice's optional inputs, in order (ONNX Slice-10+): data, starts, ends, axes, steps. */
const SLICE_INPUTS = 5;
/** Axes of NCHW rows and columns. */
const AXIS_H = 2n;
const AXIS_W = 3n;

interface Node {
  field: Field;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Field[][];
}

function node(field: Field): Node {
  const f = parse(field.data);
  const str = (x: Field): string => Buffer.from(x.data).toString('utf8');
  return {
    field,
    op: text(f, NODE_OP_TYPE),
    inputs: f.filter((x) => x.no === NODE_INPUT).map(str),
    outputs: f.filter((x) => x.no === NODE_OUTPUT).map(str),
    attrs: f.filter((x) => x.no === NODE_ATTRIBUTE).map((x) => parse(x.data)),
  };
}

/** The value of an int64 initializer of one element, or undefined. */
function scalarInt64(init: Field[]): bigint | undefined {
  const v = int64Vector(init);
  return v?.length === 1 ? v[0] : undefined;
}

/**
 * The model with YOLOX's Focus Slices and Concat removed and the Concat's output as the graph input
 * `[batch, 12, height/2, width/2]`, and the parity of each channel block; null when the graph does not start with
 * exactly that (the detector then feeds the 3-channel picture as before).
 */
export function focusAsInput(model: Uint8Array): FocusInputModel | null {
  try {
    const top = parse(model);
    const graphAt = top.findIndex((f) => f.no === MODEL_GRAPH && f.wt === 2);
    if (graphAt < 0) return null;
    const graph = parse(top[graphAt]!.data);
    const inputs = graph.filter((f) => f.no === GRAPH_INPUT);
    if (inputs.length !== 1) return null;
    const image = text(parse(inputs[0]!.data), VALUE_INFO_NAME);
    const consts = new Map<string, bigint | undefined>();
    for (const f of graph.filter((x) => x.no === GRAPH_INITIALIZER)) {
      const t = parse(f.data);
      consts.set(text(t, TENSOR_NAME), scalarInt64(t));
    }
    const nodes = graph.filter((f) => f.no === GRAPH_NODE).map(node);
    const producer = new Map<string, Node>();
    for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
    const consumers = (name: string): Node[] => nodes.filter((n) => n.inputs.includes(name));

    /** [start, axis] of a `start::2` Slice on one axis whose data is `from`, or null. */
    const slice = (n: Node | undefined, from: string, axis: bigint): 0 | 1 | null => {
      if (!n || n.op !== 'Slice' || n.inputs.length !== SLICE_INPUTS || n.inputs[0] !== from || n.outputs.length !== 1) return null;
      const [start, end, ax, step] = n.inputs.slice(1).map((x) => consts.get(x));
      if (ax !== axis || step !== 2n || end === undefined || end < 1n << 31n) return null;
      return start === 0n ? 0 : start === 1n ? 1 : null;
    };

    // The Concat whose four inputs are Slice(columns) of Slice(rows) of the image.
    const first = consumers(image);
    if (first.length !== 4) return null;
    const concat = consumers(first[0]!.outputs[0] ?? '').flatMap((s) => consumers(s.outputs[0] ?? ''))[0];
    if (!concat || concat.op !== 'Concat' || concat.inputs.length !== 4 || concat.outputs.length !== 1) return null;
    const axis = concat.attrs.find((a) => text(a, ATTRIBUTE_NAME) === 'axis')?.find((f) => f.no === ATTRIBUTE_INT)?.v;
    if (axis !== 1n) return null;
    const removed = new Set<Node>([concat]);
    const parts: [0 | 1, 0 | 1][] = [];
    for (const name of concat.inputs) {
      const cols = producer.get(name);
      const rows = cols ? producer.get(cols.inputs[0] ?? '') : undefined;
      const dy = slice(rows, image, AXIS_H);
      const dx = rows ? slice(cols, rows.outputs[0]!, AXIS_W) : null;
      if (dy === null || dx === null || !rows || !cols) return null;
      // Nothing else may read the slices, nor the image itself.
      if (consumers(cols.outputs[0]!).length !== 1 || consumers(rows.outputs[0]!).length !== 1) return null;
      removed.add(rows).add(cols);
      parts.push([dy, dx]);
    }
    if (removed.size !== 9 || first.some((n) => !removed.has(n)) || new Set(parts.map(([dy, dx]) => 2 * dy + dx)).size !== 4) return null;

    const gone = new Set([...removed].map((n) => n.field));
    const used = new Set(nodes.filter((n) => !removed.has(n)).flatMap((n) => n.inputs));
    const orphans = new Set([...removed].flatMap((n) => n.inputs).filter((x) => !used.has(x) && x !== image));
    const input = symbolicValueInfo(inputs[0]!.data, ['batch', 'focus_channels', 'half_height', 'half_width']);
    if (!input) return null;
    const renamed = encode(parse(input).map((f) => (f.no === VALUE_INFO_NAME ? bytesField(VALUE_INFO_NAME, Buffer.from(concat.outputs[0]!, 'utf8')) : f)));
    const out: Field[] = [];
    for (const f of graph) {
      if (gone.has(f)) continue;
      // The Slices' start/end/axis/step constants go with them (onnxruntime warns about unused initializers).
      if (f.no === GRAPH_INITIALIZER && orphans.has(text(parse(f.data), TENSOR_NAME))) continue;
      out.push(f.no === GRAPH_INPUT ? bytesField(GRAPH_INPUT, renamed) : f);
    }
    top[graphAt] = bytesField(MODEL_GRAPH, encode(out));
    return { model: encode(top), parts };
  } catch {
    return null;
  }
}
