#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A counter-based random generator: the n-th draw is a pure function of (key, n).
///
/// Randomness in Lockstep (initialization, shuffles, dropout masks, augmentation) is keyed by
/// what it is for — seed, epoch, step, rank, layer — instead of carried as state, so a resumed
/// run draws exactly the numbers an uninterrupted run would, on any rank, in any order.
/// The mixer is SplitMix64's finalizer applied twice with the key folded in between
/// (a keyed bijection of the counter).
///
/// See Note [counter-based randomness] in docs/architecture.md.
public struct CounterRNG: RandomNumberGenerator, Sendable {
    /// The stream's key.
    public let key: UInt64
    /// Number of 64-bit draws taken so far.
    public var counter: UInt64

    /// A stream with an explicit key, starting at `counter`.
    public init(key: UInt64, counter: UInt64 = 0) {
        self.key = key
        self.counter = counter
    }

    /// A stream keyed by a seed and any number of stream identifiers
    /// (e.g. `CounterRNG(seed: s, streams: purpose, epoch)`).
    public init(seed: UInt64, streams: UInt64...) {
        var k = CounterRNG.mix(seed ^ 0x6A09_E667_F3BC_C908)
        for s in streams { k = CounterRNG.mix(k ^ CounterRNG.mix(s &+ 0x9E37_79B9_7F4A_7C15)) }
        self.init(key: k)
    }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 {
        counter &+= 1
        return CounterRNG.mix(CounterRNG.mix(counter &* 0x9E37_79B9_7F4A_7C15 ^ key) &+ key)
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = Double((next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// SplitMix64's finalizer: a bijection on 64-bit words with good avalanche.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
