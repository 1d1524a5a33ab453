// An Open Inference Protocol client over gRPC that shares no code with dualnet: grpc-js with
// proto-loader, reading the server's own grpc_service.proto (and the model_config.proto it
// imports). It calls every RPC once against a running server, sends one infer request typed and
// once raw, streams requests and checks their order, and prints what came back as one JSON
// object on standard output; the JUnit test that runs it judges the answers.
//
// Usage: node oip-grpc-client.mjs CONFIG.json
// CONFIG: {
//   "target": "127.0.0.1:8081",
//   "protoDirs": [".../server/src/main/proto", ".../runtime/src/main/proto"],
//   "model": "seed",
//   "inputs": [{"name", "datatype", "shape", "raw": base64 little-endian}],
//   "stream": [[inputs of request 0], [inputs of request 1], ...]
// }
// Output data are base64 little-endian bytes, whichever way the server sent them, so that the
// caller compares bits.
import { readFileSync } from 'node:fs';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const DEADLINE_MS = 30_000;

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const definition = protoLoader.loadSync('grpc_service.proto', {
  includeDirs: config.protoDirs,
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const inference = grpc.loadPackageDefinition(definition).inference;
const client = new inference.GRPCInferenceService(config.target, grpc.credentials.createInsecure(), {
  'grpc.max_receive_message_length': 64 << 20,
});

// Element size and typed field of each datatype this client sends typed.
const TYPES = {
  BOOL: { size: 1, field: 'bool_contents' },
  INT8: { size: 1, field: 'int_contents' },
  UINT8: { size: 1, field: 'uint_contents' },
  INT16: { size: 2, field: 'int_contents' },
  INT32: { size: 4, field: 'int_contents' },
  INT64: { size: 8, field: 'int64_contents' },
  FP16: { size: 2, field: null },
  FP32: { size: 4, field: 'fp32_contents' },
  FP64: { size: 8, field: 'fp64_contents' },
};

function unary(method, request) {
  return new Promise((resolve) => {
    client[method](request, { deadline: Date.now() + DEADLINE_MS }, (error, response) => {
      resolve(error ? { error: describe(error) } : { ok: response });
    });
  });
}

function describe(error) {
  return { code: error.code, name: grpc.status[error.code], details: error.details };
}

/** The typed values of raw little-endian bytes: numbers, BigInt strings for 64-bit integers, booleans. */
function typedValues(datatype, bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / TYPES[datatype].size;
  const values = [];
  for (let i = 0; i < n; i++) {
    switch (datatype) {
      case 'BOOL': values.push(view.getUint8(i) === 1); break;
      case 'INT8': values.push(view.getInt8(i)); break;
      case 'UINT8': values.push(view.getUint8(i)); break;
      case 'INT16': values.push(view.getInt16(2 * i, true)); break;
      case 'INT32': values.push(view.getInt32(4 * i, true)); break;
      case 'INT64': values.push(view.getBigInt64(8 * i, true).toString()); break;
      case 'FP32': values.push(view.getFloat32(4 * i, true)); break;
      case 'FP64': values.push(view.getFloat64(8 * i, true)); break;
      default: throw new Error(`no typed contents for ${datatype}`);
    }
  }
  return values;
}

/** Typed values back to little-endian bytes. */
function rawBytes(datatype, values) {
  const size = TYPES[datatype].size;
  const out = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    switch (datatype) {
      case 'BOOL': out.writeUInt8(v ? 1 : 0, i); break;
      case 'INT8': out.writeInt8(v, i); break;
      case 'UINT8': out.writeUInt8(v, i); break;
      case 'INT16': out.writeInt16LE(v, 2 * i); break;
      case 'INT32': out.writeInt32LE(v, 4 * i); break;
      case 'INT64': out.writeBigInt64LE(BigInt(v), 8 * i); break;
      case 'FP32': out.writeFloatLE(v, 4 * i); break;
      case 'FP64': out.writeDoubleLE(v, 8 * i); break;
      default: throw new Error(`no typed contents for ${datatype}`);
    }
  });
  return out;
}

function inferRequest(inputs, id, raw) {
  const request = { model_name: config.model, id, inputs: [], raw_input_contents: [], parameters: {} };
  for (const input of inputs) {
    const bytes = Buffer.from(input.raw, 'base64');
    const tensor = { name: input.name, datatype: input.datatype, shape: input.shape.map(String) };
    if (raw) {
      request.raw_input_contents.push(bytes);
    } else {
      tensor.contents = { [TYPES[input.datatype].field]: typedValues(input.datatype, bytes) };
    }
    request.inputs.push(tensor);
  }
  if (raw) {
    request.parameters.binary_data_output = { bool_param: true };
  }
  return request;
}

/** A response's outputs with their data as base64 little-endian bytes, and how they came. */
function outputs(response) {
  const raw = response.raw_output_contents.length > 0;
  return response.outputs.map((output, i) => ({
    name: output.name,
    datatype: output.datatype,
    shape: output.shape.map(Number),
    form: raw ? 'raw' : 'typed',
    data: (raw ? response.raw_output_contents[i]
      : rawBytes(output.datatype, output.contents[TYPES[output.datatype].field])).toString('base64'),
  }));
}

function infer(inputs, id, raw) {
  return unary('ModelInfer', inferRequest(inputs, id, raw)).then((answer) => answer.error ? answer : {
    ok: { model_name: answer.ok.model_name, model_version: answer.ok.model_version, id: answer.ok.id,
      outputs: outputs(answer.ok) },
  });
}

function stream(requests) {
  return new Promise((resolve) => {
    const call = client.ModelStreamInfer({ deadline: Date.now() + 4 * DEADLINE_MS });
    const responses = [];
    call.on('data', (message) => {
      responses.push(message.error_message
        ? { error: message.error_message }
        : { id: message.infer_response.id, outputs: outputs(message.infer_response) });
    });
    call.on('error', (error) => resolve({ error: describe(error), responses }));
    call.on('end', () => {
      const inOrder = responses.every((r, i) => r.id === `s${i}`);
      resolve({ count: responses.length, inOrder, responses });
    });
    requests.forEach((inputs, i) => call.write(inferRequest(inputs, `s${i}`, i % 2 === 1)));
    call.end();
  });
}

const model = { name: config.model };
const result = {
  serverLive: await unary('ServerLive', {}),
  serverReady: await unary('ServerReady', {}),
  serverMetadata: await unary('ServerMetadata', {}),
  modelReady: await unary('ModelReady', model),
  modelMetadata: await unary('ModelMetadata', model),
  modelConfig: await unary('ModelConfig', model),
  inferTyped: await infer(config.inputs, 'typed', false),
  inferRaw: await infer(config.inputs, 'raw', true),
  stream: await stream(config.stream),
  modelStatistics: await unary('ModelStatistics', model),
  repositoryIndex: await unary('RepositoryIndex', {}),
  // Unloaded, then loaded again: the model serves as before once the script is done.
  repositoryModelUnload: await unary('RepositoryModelUnload', { model_name: config.model }),
  repositoryModelLoad: await unary('RepositoryModelLoad', { model_name: config.model }),
};
client.close();
process.stdout.write(JSON.stringify(result) + '\n');
