import LockstepTensor
import LockstepTimeline

/// Collects layers written one per line inside `Sequential { … }`.
@resultBuilder
public enum LayerBuilder {
    public static func buildExpression(_ layer: any Layer) -> [any Layer] { [layer] }
    public static func buildExpression(_ layers: [any Layer]) -> [any Layer] { layers }
    public static func buildBlock(_ parts: [any Layer]...) -> [any Layer] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Layer]?) -> [any Layer] { part ?? [] }
    public static func buildEither(first: [any Layer]) -> [any Layer] { first }
    public static func buildEither(second: [any Layer]) -> [any Layer] { second }
    public static func buildArray(_ parts: [[any Layer]]) -> [any Layer] { parts.flatMap { $0 } }
}

/// Layers applied one after another. Children are named by index, as PyTorch's
/// `nn.Sequential` (`0.weight`, `2.bias`, …), or by the names given (`conv1.weight`), so
/// state dicts line up with torchvision's.
public final class Sequential: LayerContainer, KeyedLayer {
    public var kind: String { "Sequential" }
    /// The children in order.
    public let layers: [any Layer]
    /// The children's names (their indices unless named).
    public let names: [String]
    public var layerKey: UInt64 = 0
    /// Each child's per-sample input shape, known once built (importers use it to find, e.g.,
    /// the feature-map shape a Flatten flattens).
    public private(set) var inputShapes: [[Int]] = []
    private var built = false
    /// "name Kind" per child: the span names of a timeline.
    private var labels: [String] = []

    public init(_ layers: [any Layer]) {
        self.layers = layers
        self.names = layers.indices.map(String.init)
    }

    /// Children with explicit names, e.g. `[("conv1", Conv2D(…)), ("bn1", BatchNorm())]`.
    public init(named children: [(String, any Layer)]) {
        self.layers = children.map(\.1)
        self.names = children.map(\.0)
    }

    public convenience init(@LayerBuilder _ content: () -> [any Layer]) { self.init(content()) }

    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }
    public var buffers: [Buffer] { layers.flatMap { $0.buffers } }

    public func build(inputShape: [Int]) throws -> [Int] {
        precondition(!built, "a Sequential is built once")
        built = true
        var shape = inputShape
        for (i, layer) in layers.enumerated() {
            inputShapes.append(shape)
            if let keyed = layer as? any KeyedLayer {
                keyed.layerKey = CounterRNG.mix(layerKey ^ CounterRNG.mix(UInt64(i) &+ 0x51ED))
            }
            do {
                shape = try layer.build(inputShape: shape)
            } catch let error as LayerError {
                throw error.prefixed(names[i])
            }
            labels.append("\(names[i]) \(layer.kind)")
            for p in layer.parameters { p.name = "\(names[i]).\(p.name)" }
            for b in layer.buffers { b.name = "\(names[i]).\(b.name)" }
        }
        return shape
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        var x = input
        guard let timeline = Timeline.active else {
            for layer in layers { x = layer.forward(x, context) }
            return x
        }
        for (i, layer) in layers.enumerated() {
            let start = Timeline.now()
            x = layer.forward(x, context)
            timeline.record(labels[i], .forward, from: start, to: Timeline.now())
        }
        return x
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        var g: Tensor? = outputGradient
        // Below the first layer with a trainable parameter nothing needs a gradient, unless our caller does.
        let first = needsInputGradient ? 0 : (layers.firstIndex { $0.parameters.contains { !$0.isFrozen } } ?? layers.count)
        for (i, layer) in layers.enumerated().reversed() where i >= first {
            let needs = i > first || needsInputGradient
            let start = Timeline.active == nil ? 0 : Timeline.now()
            g = layer.backward(g!, needsInputGradient: needs, ready)
            Timeline.active?.record(labels[i], .backward, from: start, to: Timeline.now())
            if !(layer is any LayerContainer), let ready { ready(layer.parameters) }
        }
        return g
    }
}
