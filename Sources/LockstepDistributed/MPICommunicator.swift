import CMPI
import LockstepTensor
#if canImport(Glibc)
import Glibc
#endif

/// `MPI_COMM_WORLD` as a `Communicator`. Errors are returned (not fatal) so they can be
/// reported with the rank and the operation before aborting.
///
/// MPI is initialized with `MPI_THREAD_FUNNELED`: only the thread that called `initialize`
/// makes MPI calls (data prefetch threads never do).
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let hostname: String
    private let comm: MPI_Comm
    /// The bfloat16 sum (`BFloat16.accumulate`), an operator of our own: MPI has no bfloat16.
    private let bfloat16Sum: MPI_Op

    /// Largest element count per MPI call (counts are Int32 in MPI).
    static let maxChunk = 1 << 28

    /// (start, count) pieces of `total` elements, each small enough for one MPI call.
    static func chunks(_ total: Int) -> LazyMapSequence<StrideTo<Int>, (start: Int, count: Int)> {
        stride(from: 0, to: total, by: maxChunk).lazy.map { ($0, min(maxChunk, total - $0)) }
    }

    private init(comm: MPI_Comm) throws {
        self.comm = comm
        var op: MPI_Op?
        try MPICommunicator.check(MPI_Op_create(bfloat16SumOperator, 1, &op), "MPI_Op_create(bfloat16 sum)")
        bfloat16Sum = op!
        var r: Int32 = 0, s: Int32 = 0
        try MPICommunicator.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try MPICommunicator.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        var name = [CChar](repeating: 0, count: Int(lockstep_mpi_max_processor_name()) + 1)
        var len: Int32 = 0
        MPI_Get_processor_name(&name, &len)
        hostname = String(decoding: name.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Initializes MPI (once per process) and returns the world communicator.
    public static func initialize() throws -> MPICommunicator {
        var provided: Int32 = 0
        try check(MPI_Init_thread(nil, nil, lockstep_mpi_thread_funneled(), &provided), "MPI_Init_thread")
        let world = lockstep_mpi_comm_world()!
        try check(MPI_Comm_set_errhandler(world, lockstep_mpi_errors_return()), "MPI_Comm_set_errhandler")
        return try MPICommunicator(comm: world)
    }

    /// Finalizes MPI; call once, after the last collective.
    public static func finalize() { MPI_Finalize() }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try reduce(buffer, type: lockstep_mpi_float(), op: lockstep_mpi_sum(), "MPI_Allreduce(sum, float)")
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try reduce(buffer, type: lockstep_mpi_double(), op: lockstep_mpi_sum(), "MPI_Allreduce(sum, double)")
    }

    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) throws {
        try reduce(buffer, type: lockstep_mpi_double(), op: lockstep_mpi_max(), "MPI_Allreduce(max, double)")
    }

    private func reduce<T>(_ buffer: UnsafeMutableBufferPointer<T>, type: MPI_Datatype, op: MPI_Op, _ what: String) throws {
        for (start, n) in MPICommunicator.chunks(buffer.count) {
            try MPICommunicator.check(MPI_Allreduce(lockstep_mpi_in_place(), buffer.baseAddress! + start, Int32(n), type, op, comm),
                                      what, rank: rank)
        }
    }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) throws -> PendingReduction {
        try start(buffer, type: lockstep_mpi_float(), op: lockstep_mpi_sum())
    }

    private func start<T>(_ buffer: UnsafeMutableBufferPointer<T>, type: MPI_Datatype, op: MPI_Op) throws -> PendingReduction {
        let pending = MPIPendingReduction(rank: rank)
        for (start, n) in MPICommunicator.chunks(buffer.count) {
            var request: MPI_Request? = lockstep_mpi_request_null()
            try MPICommunicator.check(MPI_Iallreduce(lockstep_mpi_in_place(), buffer.baseAddress! + start, Int32(n), type, op, comm, &request),
                                      "MPI_Iallreduce", rank: rank)
            pending.requests.append(request)
        }
        return pending
    }

    public func allreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws {
        try reduce(buffer, type: lockstep_mpi_uint16(), op: bfloat16Sum, "MPI_Allreduce(sum, bfloat16)")
    }

    public func startAllreduceSumBFloat16(_ buffer: UnsafeMutableBufferPointer<UInt16>) throws -> PendingReduction {
        try start(buffer, type: lockstep_mpi_uint16(), op: bfloat16Sum)
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) throws {
        for (start, n) in MPICommunicator.chunks(buffer.count) {
            try MPICommunicator.check(MPI_Bcast(buffer.baseAddress! + start, Int32(n), lockstep_mpi_byte(), Int32(root), comm),
                                      "MPI_Bcast", rank: rank)
        }
    }

    public func allgather(_ send: UnsafeRawBufferPointer, into receive: UnsafeMutableRawBufferPointer) throws {
        precondition(receive.count == send.count * size, "allgather receives size × the bytes each rank sends")
        try MPICommunicator.check(MPI_Allgather(send.baseAddress, Int32(send.count), lockstep_mpi_byte(),
                                                receive.baseAddress, Int32(send.count), lockstep_mpi_byte(), comm),
                                  "MPI_Allgather", rank: rank)
    }

    public func barrier() throws { try MPICommunicator.check(MPI_Barrier(comm), "MPI_Barrier", rank: rank) }

    public func abort(code: Int32) -> Never {
        fflush(nil)  // all C streams
        MPI_Abort(comm, code)
        exit(code)
    }

    static func check(_ rc: Int32, _ what: String, rank: Int? = nil) throws {
        guard rc != lockstep_mpi_success() else { return }
        var buf = [CChar](repeating: 0, count: Int(lockstep_mpi_max_error_string()) + 1)
        var len: Int32 = 0
        MPI_Error_string(rc, &buf, &len)
        let text = String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CommunicatorError("\(rank.map { "rank \($0): " } ?? "")\(what) failed: \(text)")
    }
}

/// One or more MPI requests of a non-blocking reduction.
final class MPIPendingReduction: PendingReduction {
    var requests: [MPI_Request?] = []
    let rank: Int

    init(rank: Int) { self.rank = rank }

    func test() throws -> Bool {
        var flag: Int32 = 0
        try MPICommunicator.check(MPI_Testall(Int32(requests.count), &requests, &flag, lockstep_mpi_statuses_ignore()),
                                  "MPI_Testall", rank: rank)
        return flag != 0
    }

    func wait() throws {
        try MPICommunicator.check(MPI_Waitall(Int32(requests.count), &requests, lockstep_mpi_statuses_ignore()),
                                  "MPI_Waitall", rank: rank)
    }
}

/// MPI's user function for the bfloat16 sum: inout[i] = round(inout[i] + in[i]).
private func bfloat16SumOperator(_ input: UnsafeMutableRawPointer?, _ output: UnsafeMutableRawPointer?,
                                 _ length: UnsafeMutablePointer<Int32>?, _ type: UnsafeMutablePointer<MPI_Datatype?>?) {
    guard let input, let output, let length else { return }
    BFloat16.accumulate(input.assumingMemoryBound(to: UInt16.self), into: output.assumingMemoryBound(to: UInt16.self),
                        count: Int(length.pointee))
}
