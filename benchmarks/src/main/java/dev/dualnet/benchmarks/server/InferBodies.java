package dev.dualnet.benchmarks.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.dualnet.parity.ParityBundle;
import dev.dualnet.server.grpc.proto.GrpcService.ModelInferRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Writes single-sample Open Inference Protocol infer bodies built from a parity bundle's first pair
 * into OUT_DIR: body.json (tensor data in the JSON), body.bin with body.bin.json-length (the
 * binary tensor data extension: JSON, then the raw little-endian tensors, binary outputs asked for),
 * and body.grpc (a gRPC ModelInferRequest with the same tensors as raw_input_contents, framed as on
 * the wire: a zero compression flag and the message's length as four big-endian bytes, then the
 * message).
 *
 * <p>Usage: {@code InferBodies PARITY_DIR OUT_DIR} (the bench scripts run it from the benchmarks
 * module's class path).
 */
public final class InferBodies {
    private InferBodies() {}

    public static void main(String[] args) throws Exception {
        ParityBundle bundle = ParityBundle.read(Path.of(args[0]));
        Path out = Path.of(args[1]);
        float[] image = Arrays.copyOf((float[]) bundle.inputs().get("image").data(), 784);
        long number = ((long[]) bundle.inputs().get("number").data())[0];
        ObjectMapper json = new ObjectMapper();

        ObjectNode body = json.createObjectNode();
        ArrayNode inputs = body.putArray("inputs");
        ObjectNode imageInput = inputs.addObject().put("name", "image").put("datatype", "FP32");
        imageInput.putArray("shape").add(1).add(1).add(28).add(28);
        imageInput.set("data", json.valueToTree(image));
        ObjectNode numberInput = inputs.addObject().put("name", "number").put("datatype", "INT64");
        numberInput.putArray("shape").add(1);
        numberInput.putArray("data").add(number);
        Files.writeString(out.resolve("body.json"), json.writeValueAsString(body));

        imageInput.remove("data");
        imageInput.putObject("parameters").put("binary_data_size", 784 * 4);
        numberInput.remove("data");
        numberInput.putObject("parameters").put("binary_data_size", 8);
        body.putObject("parameters").put("binary_data_output", true);
        byte[] header = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        ByteBuffer tensors = ByteBuffer.allocate(784 * 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        tensors.asFloatBuffer().put(image);
        tensors.putLong(784 * 4, number);
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        binary.writeBytes(header);
        binary.writeBytes(tensors.array());
        Files.write(out.resolve("body.bin"), binary.toByteArray());
        Files.writeString(out.resolve("body.bin.json-length"), Integer.toString(header.length));

        byte[] message = ModelInferRequest.newBuilder()
                .setModelName("seed")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("FP32")
                        .addShape(1).addShape(1).addShape(28).addShape(28))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("number").setDatatype("INT64")
                        .addShape(1))
                .addRawInputContents(ByteString.copyFrom(tensors.array(), 0, 784 * 4))
                .addRawInputContents(ByteString.copyFrom(tensors.array(), 784 * 4, 8))
                .build().toByteArray();
        ByteBuffer framed = ByteBuffer.allocate(5 + message.length);
        framed.put((byte) 0).putInt(message.length).put(message);
        Files.write(out.resolve("body.grpc"), framed.array());
    }
}
