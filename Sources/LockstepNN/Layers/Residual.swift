import LockstepTensor

/// A residual block: y = post(body(x) + shortcut(x)), with the identity as shortcut when none
/// is given (He et al. 2016).
///
/// Parameter names follow torchvision's blocks: the body's children keep their own names
/// (`conv1.weight`, `bn1.running_mean`) and the shortcut's are under `downsample.`
/// (`downsample.0.weight`, a 1×1 convolution and BatchNorm projection).
public final class Residual: LayerContainer, KeyedLayer {
    public var kind: String { "Residual" }
    public let body: Sequential
    public let shortcut: Sequential?
    public let post: (any Layer)?
    public var layerKey: UInt64 = 0
    private let sum = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init(body: Sequential, shortcut: Sequential? = nil, post: (any Layer)? = nil) {
        self.body = body
        self.shortcut = shortcut
        self.post = post
    }

    public var parameters: [Parameter] { body.parameters + (shortcut?.parameters ?? []) + (post?.parameters ?? []) }
    public var buffers: [Buffer] { body.buffers + (shortcut?.buffers ?? []) + (post?.buffers ?? []) }

    public func build(inputShape: [Int]) throws -> [Int] {
        self.inputShape = inputShape
        body.layerKey = CounterRNG.mix(layerKey ^ 1)
        let out = try body.build(inputShape: inputShape)
        if let shortcut {
            shortcut.layerKey = CounterRNG.mix(layerKey ^ 2)
            let s: [Int]
            do { s = try shortcut.build(inputShape: inputShape) } catch let e as LayerError { throw e.prefixed("downsample") }
            for p in shortcut.parameters { p.name = "downsample." + p.name }
            for b in shortcut.buffers { b.name = "downsample." + b.name }
            guard s == out else {
                throw LayerError(kind: kind, message: "body output \(out) and shortcut output \(s) differ; they must match to be added")
            }
        } else if out != inputShape {
            throw LayerError(kind: kind, message: "body maps \(inputShape) to \(out); an identity shortcut needs equal shapes (add a downsample projection)")
        }
        return try post?.build(inputShape: out) ?? out
    }

    public func forward(_ input: Tensor, _ context: ForwardContext) -> Tensor {
        let a = body.forward(input, context)
        let b = shortcut?.forward(input, context) ?? input
        sum.resize(a.shape)
        let s = sum.data, pa = a.data, pb = b.data
        Parallel.forEachPart(sum.count, itemWork: 1) { part in for i in part { s[i] = pa[i] + pb[i] } }
        return post?.forward(sum, context) ?? sum
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool, _ ready: GradientsReadyHandler?) -> Tensor? {
        var g = outputGradient
        if let post {
            g = post.backward(outputGradient, needsInputGradient: true, ready)!
            if !(post is any LayerContainer), let ready { ready(post.parameters) }
        }
        let fromShortcut: Tensor? = shortcut.map { $0.backward(g, needsInputGradient: needsInputGradient, ready) } ?? g
        let fromBody = body.backward(g, needsInputGradient: needsInputGradient, ready)
        guard needsInputGradient, let fromBody, let fromShortcut else { return nil }
        inputGradient.resize(fromBody.shape)
        let d = inputGradient.data, pa = fromBody.data, pb = fromShortcut.data
        Parallel.forEachPart(inputGradient.count, itemWork: 1) { part in for i in part { d[i] = pa[i] + pb[i] } }
        return inputGradient
    }
}
