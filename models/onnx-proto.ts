/**
 * The subset of the ONNX protobuf schema (onnx/onnx.proto3, package `onnx`) that the tree
 * exporter writes and the scorer reads, as a protobufjs reflection root. Field numbers are copied
 * from onnx.proto3 and must never be renumbered: they are the wire format ONNX runtimes parse.
 * Messages and fields we never write (sparse tensors, training info, functions, segments,
 * external data) are left out; protobufjs skips unknown fields when decoding.
 */
import protobuf from 'protobufjs';

type FieldSpec = [id: number, type: string, rule?: 'repeated'];

/** Numeric repeated fields are packed on the wire, as onnx.proto3 declares them. */
const PACKABLE = new Set(['float', 'double', 'int32', 'int64', 'uint64']);

function message(spec: Record<string, FieldSpec>): { fields: Record<string, protobuf.IField> } {
  const fields: Record<string, protobuf.IField> = {};
  for (const [name, [id, type, rule]] of Object.entries(spec)) {
    fields[name] = rule
      ? { id, type, rule, ...(PACKABLE.has(type) ? { options: { packed: true } } : {}) }
      : { id, type };
  }
  return { fields };
}

const ONNX_SUBSET = {
  nested: {
    onnx: {
      nested: {
        ModelProto: message({
          ir_version: [1, 'int64'],
          opset_import: [8, 'OperatorSetIdProto', 'repeated'],
          producer_name: [2, 'string'],
          producer_version: [3, 'string'],
          domain: [4, 'string'],
          model_version: [5, 'int64'],
          doc_string: [6, 'string'],
          graph: [7, 'GraphProto'],
          metadata_props: [14, 'StringStringEntryProto', 'repeated'],
        }),
        // ModelProto without its graph: decoding it skips the (large) graph bytes, so reading a
        // model's card costs nothing next to loading the model.
        ModelHeaderProto: message({
          ir_version: [1, 'int64'],
          opset_import: [8, 'OperatorSetIdProto', 'repeated'],
          producer_name: [2, 'string'],
          producer_version: [3, 'string'],
          model_version: [5, 'int64'],
          doc_string: [6, 'string'],
          metadata_props: [14, 'StringStringEntryProto', 'repeated'],
        }),
        OperatorSetIdProto: message({ domain: [1, 'string'], version: [2, 'int64'] }),
        StringStringEntryProto: message({ key: [1, 'string'], value: [2, 'string'] }),
        GraphProto: message({
          node: [1, 'NodeProto', 'repeated'],
          name: [2, 'string'],
          initializer: [5, 'TensorProto', 'repeated'],
          doc_string: [10, 'string'],
          input: [11, 'ValueInfoProto', 'repeated'],
          output: [12, 'ValueInfoProto', 'repeated'],
          value_info: [13, 'ValueInfoProto', 'repeated'],
        }),
        NodeProto: message({
          input: [1, 'string', 'repeated'],
          output: [2, 'string', 'repeated'],
          name: [3, 'string'],
          op_type: [4, 'string'],
          domain: [7, 'string'],
          attribute: [5, 'AttributeProto', 'repeated'],
          doc_string: [6, 'string'],
        }),
        AttributeProto: {
          ...message({
            name: [1, 'string'],
            doc_string: [13, 'string'],
            type: [20, 'AttributeType'],
            f: [2, 'float'],
            i: [3, 'int64'],
            s: [4, 'bytes'],
            t: [5, 'TensorProto'],
            g: [6, 'GraphProto'],
            floats: [7, 'float', 'repeated'],
            ints: [8, 'int64', 'repeated'],
            strings: [9, 'bytes', 'repeated'],
            tensors: [10, 'TensorProto', 'repeated'],
            graphs: [11, 'GraphProto', 'repeated'],
          }),
          nested: {
            AttributeType: {
              values: {
                UNDEFINED: 0,
                FLOAT: 1,
                INT: 2,
                STRING: 3,
                TENSOR: 4,
                GRAPH: 5,
                FLOATS: 6,
                INTS: 7,
                STRINGS: 8,
                TENSORS: 9,
                GRAPHS: 10,
                SPARSE_TENSOR: 11,
                SPARSE_TENSORS: 12,
                TYPE_PROTO: 13,
                TYPE_PROTOS: 14,
              },
            },
          },
        },
        TensorProto: message({
          dims: [1, 'int64', 'repeated'],
          data_type: [2, 'int32'],
          float_data: [4, 'float', 'repeated'],
          int32_data: [5, 'int32', 'repeated'],
          string_data: [6, 'bytes', 'repeated'],
          int64_data: [7, 'int64', 'repeated'],
          name: [8, 'string'],
          doc_string: [12, 'string'],
          raw_data: [9, 'bytes'],
          double_data: [10, 'double', 'repeated'],
          uint64_data: [11, 'uint64', 'repeated'],
        }),
        ValueInfoProto: message({ name: [1, 'string'], type: [2, 'TypeProto'], doc_string: [3, 'string'] }),
        TypeProto: {
          ...message({ tensor_type: [1, 'Tensor'], denotation: [6, 'string'] }),
          nested: {
            Tensor: message({ elem_type: [1, 'int32'], shape: [2, 'TensorShapeProto'] }),
          },
        },
        TensorShapeProto: {
          ...message({ dim: [1, 'Dimension', 'repeated'] }),
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              ...message({ dim_value: [1, 'int64'], dim_param: [2, 'string'], denotation: [3, 'string'] }),
            },
          },
        },
      },
    },
  },
} satisfies protobuf.INamespace;

const root = protobuf.Root.fromJSON(ONNX_SUBSET);

const ModelProto = root.lookupType('onnx.ModelProto');
const ModelHeaderProto = root.lookupType('onnx.ModelHeaderProto');

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;

/** `AttributeProto.AttributeType` values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

// Plain-object shapes of the messages, in protobufjs's field naming (the .proto names).
export interface OperatorSetId {
  domain: string;
  version: number;
}
export interface StringStringEntry {
  key: string;
  value: string;
}
export interface Tensor {
  name?: string;
  dims: number[];
  data_type: number;
  double_data?: number[];
  float_data?: number[];
  int64_data?: number[];
}
export interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: Tensor;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface Node {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain: string;
  attribute: Attribute[];
  doc_string?: string;
}
export interface Dimension {
  dim_value?: number;
  dim_param?: string;
}
export interface ValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: Dimension[] } } };
  doc_string?: string;
}
export interface Graph {
  node: Node[];
  name: string;
  initializer?: Tensor[];
  doc_string?: string;
  input: ValueInfo[];
  output: ValueInfo[];
}
export interface Model {
  ir_version: number;
  opset_import: OperatorSetId[];
  producer_name: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph: Graph;
  metadata_props: StringStringEntry[];
}

/** What {@link decodeModelHeader} returns: everything in a ModelProto but the graph. */
export interface ModelHeader {
  irVersion: number;
  opsetImport: OperatorSetId[];
  producerName: string;
  producerVersion: string;
  modelVersion: number;
  docString: string;
  metadata: Map<string, string>;
}

export function encodeModel(model: Model): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

export function decodeModelHeader(bytes: Uint8Array): ModelHeader {
  const o = ModelHeaderProto.toObject(ModelHeaderProto.decode(bytes), {
    longs: Number,
    defaults: true,
    arrays: true,
  }) as {
    ir_version: number;
    opset_import: OperatorSetId[];
    producer_name: string;
    producer_version: string;
    model_version: number;
    doc_string: string;
    metadata_props: StringStringEntry[];
  };
  return {
    irVersion: o.ir_version,
    opsetImport: o.opset_import,
    producerName: o.producer_name,
    producerVersion: o.producer_version,
    modelVersion: o.model_version,
    docString: o.doc_string,
    metadata: new Map(o.metadata_props.map((e) => [e.key, e.value])),
  };
}

/** Decodes a whole ModelProto (graph included) to plain objects; for tests and inspection. */
export function decodeModel(bytes: Uint8Array): Model {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: true, arrays: true }) as Model;
}
