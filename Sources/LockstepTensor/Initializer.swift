/// How a parameter's initial values are drawn. Fans follow PyTorch's convention for a weight
/// of shape `[out, in, k...]`: fanIn = in·∏k, fanOut = out·∏k; a 1-D parameter has fanIn = fanOut = its size.
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    /// U(−bound, bound).
    case uniform(bound: Float)
    /// N(0, std²).
    case normal(std: Float)
    /// He (Kaiming) normal: N(0, 2/fanIn), for ReLU networks.
    case heNormal
    /// He (Kaiming) normal in fan-out mode: N(0, 2/fanOut), torchvision's ResNet/VGG conv init.
    case heNormalFanOut
    /// He (Kaiming) uniform: U(±√(6/fanIn)).
    case heUniform
    /// Glorot (Xavier) uniform: U(±√(6/(fanIn+fanOut))), Keras's default.
    case glorotUniform
    /// Glorot (Xavier) normal: N(0, 2/(fanIn+fanOut)).
    case glorotNormal
    /// PyTorch's `nn.Linear`/`nn.Conv2d` default: U(±1/√fanIn).
    case torchDefault

    /// The fans of a parameter of `shape`.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else { let n = shape.first ?? 1; return (n, n) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Fills `values` (the elements of a parameter of `shape`) from `rng`.
    public func fill(_ values: UnsafeMutableBufferPointer<Float>, shape: [Int], rng: inout CounterRNG) {
        let (fanIn, fanOut) = Initializer.fans(of: shape)
        switch self {
        case .zeros: values.update(repeating: 0)
        case .ones: values.update(repeating: 1)
        case .constant(let c): values.update(repeating: c)
        case .uniform(let bound): Initializer.uniform(values, bound: bound, rng: &rng)
        case .normal(let std): Initializer.normal(values, std: std, rng: &rng)
        case .heNormal: Initializer.normal(values, std: (2 / Float(fanIn)).squareRoot(), rng: &rng)
        case .heNormalFanOut: Initializer.normal(values, std: (2 / Float(fanOut)).squareRoot(), rng: &rng)
        case .heUniform: Initializer.uniform(values, bound: (6 / Float(fanIn)).squareRoot(), rng: &rng)
        case .glorotUniform:
            Initializer.uniform(values, bound: (6 / Float(fanIn + fanOut)).squareRoot(), rng: &rng)
        case .glorotNormal:
            Initializer.normal(values, std: (2 / Float(fanIn + fanOut)).squareRoot(), rng: &rng)
        case .torchDefault: Initializer.uniform(values, bound: 1 / Float(fanIn).squareRoot(), rng: &rng)
        }
    }

    private static func uniform(_ v: UnsafeMutableBufferPointer<Float>, bound: Float, rng: inout CounterRNG) {
        for i in v.indices { v[i] = (2 * rng.nextUniform() - 1) * bound }
    }

    private static func normal(_ v: UnsafeMutableBufferPointer<Float>, std: Float, rng: inout CounterRNG) {
        for i in v.indices { v[i] = rng.nextNormal() * std }
    }
}
