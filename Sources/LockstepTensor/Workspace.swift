#if canImport(Glibc)
import Glibc
#endif

/// Scratch memory for kernels that need large temporary matrices (convolution's im2col
/// columns and its transposed outputs, Winograd's transformed tiles and products, weight
/// gradients summed per run of chunks), shared by every layer that runs on the current
/// thread: layers run one at a time, so one set of buffers serves a whole model, and memory
/// grows to the largest layer's need instead of the sum over layers. Buffers are reused
/// across steps: nothing is allocated in the steady state.
///
/// Each thread has its own workspace (evaluation on another thread never shares buffers with
/// training). A buffer's contents are valid only until the next layer runs.
public final class Workspace {
    /// Floats per buffer a kernel should aim to stay under (4 MB); kernels cut their batch into
    /// chunks that fit, so that a chunk's buffers stay near the core's caches between the
    /// kernels that write and read them (im2col, then GEMM). At 128 MB, the whole batch at once,
    /// LeNet-5 (W2) ran at 14.9k samples/s and ResNet-18 (W3) at 38.9; at 4 MB with GEMMs of at
    /// least 1,024 columns, 21.7k and 45.9 (1 thread, AVX-512 kernels). Unsynchronized: only
    /// tests and benchmarks change it, before any kernel runs.
    nonisolated(unsafe) public static var budget = 1 << 20

    private var buffers: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []

    private init() {}

    deinit { for b in buffers { free(b.pointer) } }

    /// The current thread's workspace.
    public static var current: Workspace {
        let raw = pthread_getspecific(key)
        if let raw { return Unmanaged<Workspace>.fromOpaque(raw).takeUnretainedValue() }
        let w = Workspace()
        pthread_setspecific(key, Unmanaged.passRetained(w).toOpaque())
        return w
    }

    /// Buffer `slot` with room for at least `count` floats (64-byte aligned, contents undefined).
    public func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot { buffers.append((Workspace.allocate(16), 16)) }
        if buffers[slot].capacity < count {
            free(buffers[slot].pointer)
            buffers[slot] = (Workspace.allocate(count), count)
        }
        return buffers[slot].pointer
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(count, 1) * MemoryLayout<Float>.stride) == 0, let raw else {
            fatalError("Workspace: cannot allocate \(count * 4) bytes")
        }
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    private static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { raw in if let raw { Unmanaged<Workspace>.fromOpaque(raw).release() } }
        return k
    }()
}
