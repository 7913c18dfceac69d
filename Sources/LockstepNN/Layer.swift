import LockstepTensor

/// What a forward pass needs to know beyond its input.
public struct ForwardContext: Sendable {
    /// Training mode (batch statistics, dropout) vs evaluation mode.
    public var training: Bool
    /// Run seed, for layers that draw random numbers.
    public var seed: UInt64
    /// Global step, for keying per-step randomness.
    public var step: Int
    /// MPI rank of this replica, for keying per-rank randomness.
    public var rank: Int
    /// The global sample index of each row of the batch, when known: random layers key their
    /// draws by sample instead of by rank, so any number of ranks draws what one rank would.
    public var samples: [Int]?
    /// For variable-length sequences: how many time steps at the end of each row are padding.
    /// Attention ignores them as keys, mean pooling leaves them out, and recurrent layers
    /// stop at each row's last real step (a reverse direction starts there), as PyTorch's
    /// packed sequences. Counted from the end, it holds for layers that prepend ([CLS]).
    public var padding: [Int]?

    public init(training: Bool, seed: UInt64 = 0, step: Int = 0, rank: Int = 0, samples: [Int]? = nil, padding: [Int]? = nil) {
        self.training = training
        self.seed = seed
        self.step = step
        self.rank = rank
        self.samples = samples
        self.padding = padding
    }

    /// Real (unpadded) steps of row `row` of a sequence of `steps`.
    public func length(_ row: Int, of steps: Int) -> Int {
        guard let padding, row < padding.count else { return steps }
        return min(max(steps - padding[row], 1), steps)
    }
}

/// Called during backward with the parameters whose gradients are final, so gradient
/// communication can start while earlier layers still compute. Containers call it after every
/// layer, and long layers between chunks of their work, with no parameters: reductions already
/// in flight make progress only inside such calls (MPI's non-blocking collectives advance when
/// the process calls into MPI).
public typealias GradientsReadyHandler = ([Parameter]) -> Void

/// A differentiable layer with explicit forward and backward passes.
///
/// Shapes exclude the batch dimension: `build(inputShape:)` receives the per-sample shape and
/// returns the per-sample output shape, creating parameters as needed. `forward` caches what
/// `backward` needs; `backward` writes (overwrites) its parameters' gradients and returns the
/// gradient with respect to its input, or nil when `needsInputGradient` is false.
public protocol Layer: AnyObject {
    /// Human-readable kind, used in error messages (`Dense`, `ReLU`, …).
    var kind: String { get }
    /// This layer's parameters, and its children's for containers.
    var parameters: [Parameter] { get }
    /// This layer's non-trainable state, and its children's for containers.
    var buffers: [Buffer] { get }
    /// Validates the input shape, creates parameters, returns the output shape.
    func build(inputShape: [Int]) throws -> [Int]
    /// Computes the output for a batch `input` of shape [N] + inputShape.
    func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor
    /// Back-propagates `outputGradient` (shape of the last output).
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor?
}

extension Layer {
    /// Non-trainable state (running statistics); none by default.
    public var buffers: [Buffer] { [] }
}

/// A layer made of other layers; it reports its children's gradients itself.
public protocol LayerContainer: Layer {}

/// A layer that draws random numbers (dropout). Containers give each such layer a key
/// derived from its position in the model, so its stream is the same in every process that
/// builds the same architecture, and different from every other layer's.
public protocol KeyedLayer: Layer {
    var layerKey: UInt64 { get set }
}

/// A shape or configuration error a user can cause, naming the layer (by its dotted path from
/// the model root, as the parameter names) and what was expected.
public struct LayerError: Error, CustomStringConvertible {
    /// Path from the root, outermost first; containers prepend their child's index.
    public var path: [String]
    /// Kind of the failing layer.
    public let kind: String
    /// What was expected and what was found.
    public let message: String

    public init(kind: String, message: String, path: [String] = []) {
        self.kind = kind
        self.message = message
        self.path = path
    }

    /// The same error seen from a container where the failing layer is child `component`.
    public func prefixed(_ component: String) -> LayerError {
        LayerError(kind: kind, message: message, path: [component] + path)
    }

    /// "expected <expected>, got input shape <shape>".
    public static func shape(_ layer: any Layer, expected: String, got shape: [Int]) -> LayerError {
        LayerError(kind: layer.kind, message: "expected input \(expected), got input shape \(shape)")
    }

    public var description: String {
        "layer \(path.isEmpty ? "<model>" : path.joined(separator: ".")) (\(kind)): \(message)"
    }
}

extension Layer {
    /// The window geometry of a k×k pooling layer over a [C, H, W] input, or an error naming
    /// this layer and the shape when the window does not fit (padding at most half the window,
    /// as PyTorch requires).
    func poolingGeometry(inputShape: [Int], kernel: Int, stride: Int, padding: Int) throws -> ConvGeometry {
        guard inputShape.count == 3 else { throw LayerError.shape(self, expected: "[C, H, W]", got: inputShape) }
        let g = ConvGeometry(channels: inputShape[0], height: inputShape[1], width: inputShape[2], kernel: (kernel, kernel),
                             stride: (stride, stride), padding: (padding, padding))
        guard g.fits, padding * 2 <= kernel else {
            throw LayerError.shape(self, expected: "an image at least \(kernel)×\(kernel) after padding \(padding) (and padding ≤ kernel/2)",
                                   got: inputShape)
        }
        return g
    }
}
