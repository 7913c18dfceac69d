import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// A scalar nonlinearity y = f(x) with its derivative, applied elementwise by `Activation`.
public protocol ActivationFunction {
    /// Name used in recipes and error messages.
    static var name: String { get }
    /// f(x).
    static func value(_ x: Float) -> Float
    /// f′(x), given both the input and the output (whichever is cheaper).
    static func derivative(input x: Float, output y: Float) -> Float
}

/// An elementwise activation layer; shape-preserving, no parameters.
///
/// Generic over the function so each activation's loops are specialized and vectorized.
public final class Activation<F: ActivationFunction>: Layer {
    public var kind: String { F.name }
    public var parameters: [Parameter] { [] }
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public func build(inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        self.input = input
        output.resize(input.shape)
        let x = input.data, y = output.data
        for i in 0..<input.count { y[i] = F.value(x[i]) }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        guard needsInputGradient, let input else { return nil }
        inputGradient.resize(input.shape)
        let x = input.data, y = output.data, dy = outputGradient.data, dx = inputGradient.data
        for i in 0..<input.count { dx[i] = dy[i] * F.derivative(input: x[i], output: y[i]) }
        return inputGradient
    }
}

/// f(x) = x.
public enum IdentityFunction: ActivationFunction {
    public static let name = "identity"
    @inlinable public static func value(_ x: Float) -> Float { x }
    @inlinable public static func derivative(input x: Float, output y: Float) -> Float { 1 }
}

/// f(x) = max(0, x); f′(0) = 0 as PyTorch.
public enum ReLUFunction: ActivationFunction {
    public static let name = "relu"
    @inlinable public static func value(_ x: Float) -> Float { x > 0 ? x : 0 }
    @inlinable public static func derivative(input x: Float, output y: Float) -> Float { x > 0 ? 1 : 0 }
}

/// f(x) = 1 / (1 + e^(−x)); f′ = y(1 − y). Written to avoid overflow for large |x|.
public enum SigmoidFunction: ActivationFunction {
    public static let name = "sigmoid"
    @inlinable public static func value(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + expf(-x)) }
        let e = expf(x)
        return e / (1 + e)
    }
    @inlinable public static func derivative(input x: Float, output y: Float) -> Float { y * (1 - y) }
}

/// f(x) = tanh(x); f′ = 1 − y².
public enum TanhFunction: ActivationFunction {
    public static let name = "tanh"
    @inlinable public static func value(_ x: Float) -> Float { tanhf(x) }
    @inlinable public static func derivative(input x: Float, output y: Float) -> Float { 1 - y * y }
}

/// Rectified linear unit.
public typealias ReLU = Activation<ReLUFunction>
/// Logistic sigmoid.
public typealias Sigmoid = Activation<SigmoidFunction>
/// Hyperbolic tangent.
public typealias Tanh = Activation<TanhFunction>
/// Identity (a no-op layer, useful as a configurable activation).
public typealias Identity = Activation<IdentityFunction>

/// Activations by recipe name.
public enum Activations {
    /// Names accepted by `make`.
    public static let names = ["identity", "relu", "sigmoid", "tanh"]

    /// A fresh activation layer called `name`.
    public static func make(_ name: String) throws -> any Layer {
        switch name {
        case "identity", "linear": return Identity()
        case "relu": return ReLU()
        case "sigmoid": return Sigmoid()
        case "tanh": return Tanh()
        default: throw LayerError(kind: "Activation", message: "unknown activation \"\(name)\"; known: \(names.joined(separator: ", "))")
        }
    }
}
