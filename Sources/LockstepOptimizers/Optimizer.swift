#if canImport(Glibc)
import Glibc
#endif
import LockstepTensor

/// Updates all parameters of an arena from their gradients, in one flat loop.
///
/// Optimizers see the arena's value and gradient buffers as flat arrays; per-parameter state
/// ("slots": momentum, Adam moments) is laid out at the same offsets, so a checkpoint can save
/// each slot under the parameter names. A new optimizer subclasses `OptimizerBase` and writes
/// only its per-element rule.
public protocol Optimizer: AnyObject {
    /// Name used in recipes and checkpoints (`sgd`, `adam`, `adamw`).
    var name: String { get }
    /// Step size; schedules change it between steps.
    var learningRate: Float { get set }
    /// Number of `step` calls so far.
    var stepCount: Int { get set }
    /// Named state buffers, each of the arena's size.
    var slots: [(name: String, buffer: UnsafeMutableBufferPointer<Float>)] { get }
    /// Applies one update using the arena's current gradients, each multiplied by
    /// `gradientScale` as the update reads it. Data-parallel training passes 1/ranks when the
    /// gradients hold the ranks' sum, so averaging costs no pass of its own. Weight decay is
    /// added after scaling.
    func step(_ arena: ParameterArena, gradientScale: Float)
    /// Allocates the slots for `arena` now (they are otherwise created by the first step), so
    /// a resumed run can receive them before stepping.
    func prepareSlots(for arena: ParameterArena)
    /// Hyperparameters, by name, as recorded in checkpoints.
    var hyperparameters: [String: Double] { get }
}

extension Optimizer {
    /// One update with the gradients as they are.
    public func step(_ arena: ParameterArena) { step(arena, gradientScale: 1) }
}

/// A run of consecutive arena elements that share a learning rate: what an optimizer's
/// per-element rule updates. `values`, `gradients` and each of `slots` point at the run's
/// first element; all hold `count` elements.
public struct UpdateSegment {
    public let values: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let slots: [UnsafeMutablePointer<Float>]
    public let count: Int
    /// The optimizer's learning rate times the parameters' multiplier.
    public let learningRate: Float
    /// Factor for every gradient read (see `Optimizer.step`).
    public let gradientScale: Float
}

/// What every optimizer shares: the learning rate and step counter, the slot buffers (one
/// float per arena element each, allocated on first use), and the loop over the arena's
/// trainable ranges with per-parameter learning-rate multipliers. A subclass names its slots
/// and overrides `update(_:)`, its per-element rule, which sees `stepCount` before the
/// step is counted.
open class OptimizerBase {
    public var learningRate: Float
    public var stepCount = 0
    /// The slots' names, in the order `UpdateSegment.slots` gives them.
    public let slotNames: [String]
    private var slotBuffers: [SlotBuffer] = []

    public init(learningRate: Float, slotNames: [String]) {
        self.learningRate = learningRate
        self.slotNames = slotNames
    }

    public var slots: [(name: String, buffer: UnsafeMutableBufferPointer<Float>)] {
        zip(slotNames, slotBuffers).map { ($0, $1.buffer) }
    }

    public func prepareSlots(for arena: ParameterArena) {
        if slotBuffers.isEmpty { slotBuffers = slotNames.map { _ in SlotBuffer(count: arena.count) } }
    }

    public func step(_ arena: ParameterArena, gradientScale: Float) {
        prepareSlots(for: arena)
        let bases = slotBuffers.map { $0.buffer.baseAddress! }
        for (range, scale) in arena.updateRanges {
            let lo = range.lowerBound
            update(UpdateSegment(values: arena.values + lo, gradients: arena.gradients + lo, slots: bases.map { $0 + lo },
                                 count: range.count, learningRate: learningRate * scale, gradientScale: gradientScale))
        }
        stepCount += 1
    }

    /// The per-element rule, applied to one segment.
    open func update(_ segment: UpdateSegment) {
        preconditionFailure("\(type(of: self)) must override update(_:)")
    }
}

/// A buffer of `count` zeroed floats owned by an optimizer, one float per arena element.
///
/// Allocated with calloc: the kernel maps zero pages lazily, and optimizers write only the
/// ranges of trainable parameters, so the state of frozen parameters never occupies memory.
final class SlotBuffer {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(count: Int) {
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            fatalError("out of memory allocating \(count) floats of optimizer state")
        }
        buffer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: max(count, 1)), count: max(count, 1))
    }
    deinit { free(buffer.baseAddress) }
}
