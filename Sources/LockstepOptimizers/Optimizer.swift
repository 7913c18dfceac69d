#if canImport(Glibc)
import Glibc
#endif
import LockstepTensor

/// Updates all parameters of an arena from their gradients, in one flat loop.
///
/// Optimizers see the arena's value and gradient buffers as flat arrays; per-parameter state
/// ("slots": momentum, Adam moments) is laid out at the same offsets, so a checkpoint can save
/// each slot under the parameter names. A new optimizer only writes its per-element rule.
public protocol Optimizer: AnyObject {
    /// Name used in recipes and checkpoints (`sgd`, `adam`, `adamw`).
    var name: String { get }
    /// Step size; schedules change it between steps.
    var learningRate: Float { get set }
    /// Number of `step` calls so far.
    var stepCount: Int { get set }
    /// Named state buffers, each of the arena's size.
    var slots: [(name: String, buffer: UnsafeMutableBufferPointer<Float>)] { get }
    /// Factor applied to every gradient as the update reads it (1 by default). Data-parallel
    /// training sets it to 1/ranks when the gradients hold the ranks' sum, so averaging costs
    /// no pass of its own. Weight decay is added after scaling.
    var gradientScale: Float { get set }
    /// Applies one update using the arena's current gradients.
    func step(_ arena: ParameterArena)
    /// Allocates the slots for `arena` now (they are otherwise created by the first step), so
    /// a resumed run can receive them before stepping.
    func prepareSlots(for arena: ParameterArena)
    /// Hyperparameters, by name, as recorded in checkpoints.
    var hyperparameters: [String: Double] { get }
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
