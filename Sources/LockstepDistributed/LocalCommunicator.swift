#if canImport(Glibc)
import Glibc
#endif

/// The one-rank group: every collective is the identity. For unit tests and runs without MPI.
public final class LocalCommunicator: Communicator {
    public let rank = 0
    public let size = 1
    public let hostname: String

    public init() {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        hostname = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws {}
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction { CompletedReduction() }
    public func allreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws {}
    public func startAllreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws -> PendingReduction { CompletedReduction() }
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {}
    public func allgather(_ send: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer) throws {
        receive.copyMemory(from: send)
    }
    public func barrier() throws {}
    public func abort(code: Int32) -> Never { exit(code) }
}

/// A reduction that was complete when it started.
final class CompletedReduction: PendingReduction {
    func test() throws -> Bool { true }
    func wait() throws {}
}
