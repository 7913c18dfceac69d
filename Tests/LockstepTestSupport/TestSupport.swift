import Foundation
import LockstepData
import LockstepHDF5
import LockstepNN
import LockstepTensor
import XCTest

/// Path of a file in Tests/Fixtures (data made by PyTorch/Keras, see its README).
public func fixturePath(_ name: String, file: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A fresh temporary directory, removed by the caller's `defer`.
public func temporaryDirectory(_ tag: String = "lockstep-test") -> String {
    let path = NSTemporaryDirectory() + "\(tag)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Asserts |a − e| ≤ atol + rtol·|e| elementwise, reporting the worst element.
public func assertClose(_ actual: [Float], _ expected: [Float], rtol: Float = 1e-4, atol: Float = 1e-5,
                        _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(what): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    var worst = -1, worstExcess: Float = 0
    for i in actual.indices {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        XCTFail("\(what): element \(worst) is \(actual[worst]), expected \(expected[worst]) (rtol \(rtol), atol \(atol))",
                file: file, line: line)
    }
}

/// One PyTorch reference case from torch_layers.h5 (or another fixture file of its layout).
public struct TorchCase {
    public let group: HDF5Group
    public let name: String
    public init(_ name: String, file: String = "torch_layers.h5") throws {
        let f = try HDF5File.open(fixturePath(file))
        group = try f.group(name)
        self.name = name
    }
    /// A dataset as a tensor.
    public func tensor(_ name: String) throws -> Tensor {
        let d = try group.dataset(name)
        return Tensor(shape: d.shape, values: try d.read(as: Float.self))
    }
    /// A dataset's values.
    public func values(_ name: String) throws -> [Float] { try group.dataset(name).read(as: Float.self) }
    /// An integer attribute of the case (its settings).
    public func setting(_ name: String) throws -> Int { try group.intAttribute(name) }
    /// The names of the module's parameters (every dataset with a `grad_` twin).
    public func parameterNames() throws -> [String] {
        let members = try group.memberNames()
        return members.filter { members.contains("grad_" + $0) }
    }

    /// Builds `layer` for the case's input, loads PyTorch's parameters into it by name (every
    /// one, no more, no fewer), and checks its output, input gradient (when the case has one)
    /// and every parameter gradient against PyTorch's, within `rtol`. A case with `lengths` (of
    /// padded sequences) runs with the padding in the forward context.
    public func check(_ layer: any Layer, rtol: Float = 1e-4, atol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try tensor("x")
        _ = try bind(layer, inputShape: Array(x.shape.dropFirst()))
        XCTAssertEqual(layer.parameters.map(\.name).sorted(), try parameterNames().sorted(), "\(name): parameter names", file: file, line: line)
        for p in layer.parameters { p.value.copy(from: try tensor(p.name)) }
        let padding = group.exists("lengths") ? try values("lengths").map { x.shape[1] - Int($0) } : nil
        assertClose(layer.forward(x, ForwardContext(training: true, padding: padding)).toArray(), try values("y"), rtol: rtol, atol: atol, "\(name) y", file: file, line: line)
        let hasInputGradient = group.exists("gx")
        let gx = layer.backward(try tensor("gy"), needsInputGradient: hasInputGradient, nil)
        if hasInputGradient { assertClose(gx?.toArray() ?? [], try values("gx"), rtol: rtol, atol: atol, "\(name) gx", file: file, line: line) }
        for p in layer.parameters {
            assertClose(p.gradient.toArray(), try values("grad_" + p.name), rtol: rtol, atol: atol, "\(name) grad_\(p.name)", file: file, line: line)
        }
    }
}

/// Checks a layer's backward against central finite differences of L = Σ y·r for a fixed
/// random r: the input gradient, and every parameter's gradient.
///
/// Float32 forward passes with the loss summed in Double; `eps` large enough that rounding
/// stays well below the tolerance and inputs kept away from kinks by the caller.
public func checkGradients(_ layer: any Layer, input: Tensor, eps: Float = 1e-3, rtol: Float = 2e-3, atol: Float = 2e-4,
                           training: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
    let context = ForwardContext(training: training, seed: 7, step: 3, rank: 0)
    let y0 = layer.forward(input, context)
    var rng = CounterRNG(seed: 99)
    let r = (0..<y0.count).map { _ in rng.nextUniform() * 2 - 1 }
    let outShape = y0.shape
    func loss() -> Double {
        let y = layer.forward(input, context)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }
    _ = layer.forward(input, context)
    let gy = Tensor(shape: outShape, values: r)
    guard let gx = layer.backward(gy, needsInputGradient: true, nil) else {
        XCTFail("\(layer.kind) returned no input gradient", file: file, line: line)
        return
    }
    let analyticX = gx.toArray()
    let analyticP = layer.parameters.map { $0.gradient.toArray() }

    func numeric(_ x: UnsafeMutablePointer<Float>, count: Int) -> [Float] { numericGradient(x, count: count, eps: eps, loss) }
    assertClose(analyticX, numeric(input.data, count: input.count), rtol: rtol, atol: atol, "\(layer.kind) input gradient",
                file: file, line: line)
    for (p, analytic) in zip(layer.parameters, analyticP) {
        assertClose(analytic, numeric(p.value.data, count: p.count), rtol: rtol, atol: atol, "\(layer.kind) \(p.name) gradient",
                    file: file, line: line)
    }
}

/// Central finite differences of `loss` with respect to each of `count` values at `values`
/// (each nudged by ±`eps` and restored).
public func numericGradient(_ values: UnsafeMutablePointer<Float>, count: Int, eps: Float = 1e-3, _ loss: () -> Double) -> [Float] {
    (0..<count).map { i in
        let saved = values[i]
        values[i] = saved + eps
        let plus = loss()
        values[i] = saved - eps
        let minus = loss()
        values[i] = saved
        return Float((plus - minus) / Double(2 * eps))
    }
}

/// Checks a loss's gradient against central finite differences of its value.
public func checkLossGradient(_ loss: any Loss, prediction: Tensor, targets: Targets, eps: Float = 1e-3, rtol: Float = 2e-3,
                              atol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) throws {
    _ = try loss.forward(prediction, targets)
    let analytic = loss.backward().toArray()
    var numeric = [Float](repeating: 0, count: prediction.count)
    for i in 0..<prediction.count {
        let saved = prediction[i]
        prediction[i] = saved + eps
        let plus = Double(try loss.forward(prediction, targets))
        prediction[i] = saved - eps
        let minus = Double(try loss.forward(prediction, targets))
        prediction[i] = saved
        numeric[i] = Float((plus - minus) / Double(2 * eps))
    }
    assertClose(analytic, numeric, rtol: rtol, atol: atol, "\(loss.name) gradient", file: file, line: line)
}

/// Builds a standalone layer for `inputShape` with parameters drawn from `seed`; returns its arena
/// (keep it alive as long as the layer is used).
@discardableResult
public func bind(_ layer: any Layer, inputShape: [Int], seed: UInt64 = 1) throws -> ParameterArena {
    _ = try layer.build(inputShape: inputShape)
    let arena = ParameterArena(parameters: layer.parameters)
    arena.initialize(seed: seed)
    return arena
}

/// A tensor of uniform values in [lo, hi) from `seed`, optionally kept at least `gap` away from 0.
public func randomTensor(_ shape: [Int], seed: UInt64, lo: Float = -1, hi: Float = 1, awayFromZero gap: Float = 0) -> Tensor {
    var rng = CounterRNG(seed: seed)
    let n = Tensor.elementCount(shape)
    return Tensor(shape: shape, values: (0..<n).map { _ in
        var v = lo + (hi - lo) * rng.nextUniform()
        if abs(v) < gap { v = v < 0 ? -gap : gap }
        return v
    })
}

extension TorchCase {
    /// Runs `layer` (built for the case's input) on the case: loads its parameters and
    /// buffers by PyTorch name, checks y, then backward with gy against gx and every grad_P.
    /// `accumulatedOnto`: a case run earlier on the same PyTorch module without zeroing `.grad`,
    /// whose gradients are included in this case's and are subtracted.
    public func check(_ layer: any Layer, training: Bool = true, rtol: Float = 1e-4, atol: Float = 1e-5,
                      accumulatedOnto earlier: TorchCase? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try tensor("x")
        _ = try layer.build(inputShape: Array(x.shape.dropFirst()))
        _ = ParameterArena(parameters: layer.parameters)
        for p in layer.parameters { p.value.copy(from: try tensor(p.name)) }
        for b in layer.buffers { b.value.copy(from: try tensor(b.name)) }
        let name = (try? group.stringAttribute("op")) ?? "case"
        let y = layer.forward(x, ForwardContext(training: training))
        assertClose(y.toArray(), try values("y"), rtol: rtol, atol: atol, "\(name) y", file: file, line: line)
        XCTAssertEqual(y.shape, try group.dataset("y").shape, "\(name) output shape", file: file, line: line)
        let gx = layer.backward(try tensor("gy"), needsInputGradient: true, nil)
        assertClose(gx?.toArray() ?? [], try values("gx"), rtol: rtol, atol: atol, "\(name) gx", file: file, line: line)
        for p in layer.parameters {
            var expected = try values("grad_" + p.name)
            if let earlier { expected = zip(expected, try earlier.values("grad_" + p.name)).map { $0 - $1 } }
            assertClose(p.gradient.toArray(), expected, rtol: rtol, atol: atol, "\(name) grad_\(p.name)", file: file, line: line)
        }
    }
}

/// A small learnable image dataset in shards: `classes` (≤ 4) classes of `side`×`side` grey
/// images, class c bright (`bright`) in quadrant c and dark (`dark`) elsewhere, plus uniform
/// noise of width `noise`. Returns the manifest's path.
public func writeQuadrantShards(directory: String, name: String, count: Int, seed: UInt64, side: Int = 4, classes: Int = 3,
                                bright: Float = 200, dark: Float = 40, noise: Float = 60) throws -> String {
    var rng = CounterRNG(seed: seed)
    var images: [UInt8] = [], labels: [Int32] = []
    let half = side / 2
    for i in 0..<count {
        let c = i % classes
        labels.append(Int32(c))
        for y in 0..<side { for x in 0..<side {
            let base = (y / half) * 2 + x / half == c ? bright : dark
            images.append(UInt8(max(0, min(255, base + noise * (rng.nextUniform() - 0.5)))))
        } }
    }
    let writer = ShardWriter(directory: directory, name: name, shards: 2)
    try writer.write(images: images, sampleShape: [side, side, 1], labels: labels, numClasses: classes)
    return writer.manifestPath
}
