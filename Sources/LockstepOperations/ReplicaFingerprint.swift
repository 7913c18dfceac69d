import LockstepDistributed
import LockstepNN
import LockstepOptimizers
import LockstepTensor

/// Replicas must hold bitwise identical parameters, buffers and optimizer state: every rank
/// applies the same update to the same averaged gradients. A 64-bit fingerprint of all of it,
/// gathered from every rank, catches a replica that drifted — silent memory or network
/// corruption, a rank that skipped a step, a nondeterministic kernel — and names it.
///
/// See Note [replica fingerprints] in docs/architecture.md.
public enum ReplicaFingerprint {
    /// A hash of the bytes of `model`'s parameters and buffers and `optimizer`'s slots.
    public static func of(_ model: Model, _ optimizer: (any Optimizer)?) -> UInt64 {
        of([(model, optimizer)])
    }

    /// A hash of several models' parameters and buffers and their optimizers' slots, in order.
    public static func of(_ replicas: [(model: Model, optimizer: (any Optimizer)?)]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for (model, optimizer) in replicas {
            hash(UnsafeBufferPointer(model.arena.valueBuffer), into: &h)
            for b in model.buffers { hash(UnsafeBufferPointer(b.value.buffer), into: &h) }
            for (_, slot) in optimizer?.slots ?? [] { hash(UnsafeBufferPointer(slot), into: &h) }
        }
        return h
    }

    /// Folds the floats' bit patterns into `h`, eight bytes at a time.
    private static func hash(_ floats: UnsafeBufferPointer<Float>, into h: inout UInt64) {
        let words = floats.count / 2
        UnsafeRawBufferPointer(floats).withMemoryRebound(to: UInt64.self) { w in
            for i in 0..<words { h = (h ^ w[i]) &* 0x100_0000_01B3 &+ 0x2545_F491_4F6C_DD1D }
        }
        if floats.count % 2 == 1 { h = (h ^ UInt64(floats[floats.count - 1].bitPattern)) &* 0x100_0000_01B3 }
        h = CounterRNG.mix(h)
    }

    /// Compares every rank's fingerprint (a collective call); on a mismatch, throws naming the
    /// ranks that differ from the most common fingerprint (the lowest such rank's on a tie).
    public static func check(_ model: Model, _ optimizer: (any Optimizer)?, _ comm: any Communicator, step: Int) throws {
        try check([(model, optimizer)], comm, step: step)
    }

    /// Compares every rank's fingerprint of several models and their optimizers (a GAN's
    /// generator and discriminator) — a collective call, as `check(_:_:_:step:)`.
    public static func check(_ replicas: [(model: Model, optimizer: (any Optimizer)?)], _ comm: any Communicator, step: Int) throws {
        guard comm.size > 1 else { return }
        var mine = of(replicas)
        var all = [UInt64](repeating: 0, count: comm.size)
        try withUnsafeBytes(of: &mine) { send in try all.withUnsafeMutableBytes { try comm.allgather(send, into: $0) } }
        guard let divergent = divergentRanks(all) else { return }
        let hosts = try? comm.allgather(comm.hostname)
        let names = divergent.map { r in "\(r)" + (hosts.map { "@\($0[r])" } ?? "") }.joined(separator: ", ")
        throw CommunicatorError("replicas diverged at step \(step): rank(s) \(names) hold parameters or optimizer state different from the other \(comm.size - divergent.count) rank(s) (a silent memory or network error, or a nondeterministic kernel); resume from the last checkpoint with --resume auto")
    }

    /// The ranks whose fingerprint differs from the most common one (nil when all agree). On
    /// a tie, the group holding the lowest rank counts as the reference.
    public static func divergentRanks(_ fingerprints: [UInt64]) -> [Int]? {
        guard Set(fingerprints).count > 1 else { return nil }
        var counts: [UInt64: Int] = [:]
        for f in fingerprints { counts[f, default: 0] += 1 }
        let top = counts.values.max()!
        // The lowest rank whose fingerprint is among the most common: the same choice on every rank.
        let reference = fingerprints.first { counts[$0] == top }!
        return fingerprints.indices.filter { fingerprints[$0] != reference }
    }
}
