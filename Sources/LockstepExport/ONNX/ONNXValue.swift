/// A tensor flowing through an ONNX graph under construction: its name in the graph and its
/// per-sample shape (the batch dimension, dynamic, is left out).
struct ONNXValue {
    let name: String
    let shape: [Int]
}
