import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Splitting the elementwise and layout kernels (im2col, BatchNorm, activations) over the
/// same number of threads as BLAS (`OPENBLAS_NUM_THREADS`), so a rank given T threads uses
/// them outside GEMM too. With one thread everything runs inline, with no dispatch at all.
///
/// See Note [bits independent of thread count] in docs/architecture.md.
public enum Parallel {
    /// Runs `body` on up to `BLAS.threads` contiguous, disjoint parts of 0..<count, concurrently,
    /// and returns when all are done. Parts have at least `grain` items (small jobs run inline).
    /// `body` must only write memory that belongs to its own part.
    @inlinable
    public static func forEachPart(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, count / max(grain, 1))
        if parts <= 1 || isInsideItem { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            // The parts write disjoint memory (the caller's contract), so sharing `body`
            // over threads is safe though the compiler cannot prove it.
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                run(part(t, of: parts, count))
            }
        }
    }

    /// Runs `body` over parts of 0..<count as `forEachPart(_:grain:_:)` does, each part at
    /// least `minimumWork` elements when each item is `itemWork` of them.
    @inlinable
    public static func forEachPart(_ count: Int, itemWork: Int, _ body: (Range<Int>) -> Void) {
        forEachPart(count, grain: max(1, minimumWork / max(itemWork, 1)), body)
    }

    /// Elements a part should hold at least (tens of microseconds of work): below that a
    /// dispatch costs more than it saves, and the threads it wakes compete with OpenBLAS's
    /// own, which spin for a while after each GEMM.
    /// Unsynchronized: only tests change it. 64 Ki elements measured best of 16 Ki, 64 Ki and 128 Ki
    /// (W2 at 1 process × 2 threads: 17.3-18.0k samples/s with grains of 4-16 Ki, 19.6-20.9k).
    nonisolated(unsafe) public static var minimumWork = 65_536

    /// The thread count: BLAS's, read at first use. Unsynchronized: only tests change it (to
    /// compare splits), between parallel sections.
    nonisolated(unsafe) public static var threads: Int = max(1, BLAS.threads)

    /// Runs `body(i)` for every i in 0..<count on up to `threads` threads, each taking the next
    /// item as it finishes one (items may cost unequal time), and returns when all are done.
    /// Each item runs on one thread: kernels inside it do not split again, and OpenBLAS runs
    /// single-threaded meanwhile, so T threads do T items' GEMMs side by side instead of
    /// splitting each small GEMM T ways (which OpenBLAS does poorly below a few hundred
    /// columns a thread). `body` must only write memory that belongs to its own item. With one
    /// thread, one item, or an OpenMP build of OpenBLAS (whose thread count is per thread, so
    /// items would each run T-threaded GEMMs at once), the items run inline, in order.
    ///
    /// Only one thread of a process may be inside `forEachItem` at a time (it sets OpenBLAS's
    /// process-wide thread count): training and evaluation run their layers on one thread.
    public static func forEachItem(_ count: Int, _ body: (Int) -> Void) {
        forEachItem(count) { i, _ in body(i) }
    }

    /// The same, telling `body` whether it runs on the calling thread: only there may it call
    /// MPI (to let reductions in flight progress between items).
    public static func forEachItem(_ count: Int, _ body: (_ item: Int, _ onCallingThread: Bool) -> Void) {
        guard splits(count) else { for i in 0..<count { body(i, true) }; return }
        let workers = min(threads, count)
        let blasThreads = BLAS.threads
        BLAS.threads = 1
        defer { BLAS.threads = blasThreads }
        let next = Atomic<Int>(0)
        let caller = pthread_self()
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                pthread_setspecific(insideKey, UnsafeRawPointer(bitPattern: 1))
                defer { pthread_setspecific(insideKey, nil) }
                let onCaller = pthread_equal(pthread_self(), caller) != 0
                while true {
                    let i = next.add(1, ordering: .relaxed).oldValue
                    guard i < count else { return }
                    run(i, onCaller)
                }
            }
        }
    }

    /// Runs `body` on contiguous ranges of 0..<count (independent rows, e.g. a batch's samples)
    /// as items of `forEachItem`: one range per thread when the items run side by side, else
    /// the whole range at once (one larger GEMM beats several in a row). Empty ranges are skipped.
    public static func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        let parts = splits(count) ? min(threads, count) : 1
        forEachItem(parts) { p in
            let range = part(p, of: parts, count)
            if !range.isEmpty { body(range) }
        }
    }

    /// Part `t` of 0..<count cut into `parts` contiguous ranges of nearly equal size.
    @usableFromInline
    static func part(_ t: Int, of parts: Int, _ count: Int) -> Range<Int> { (t * count / parts)..<((t + 1) * count / parts) }

    /// Whether `forEachItem(count, …)` runs its items on several threads (else inline, in order).
    public static func splits(_ count: Int) -> Bool { min(threads, count) > 1 && !isInsideItem && !BLAS.isOpenMP }

    /// Whether this thread is running an item of `forEachItem` (kernels then run inline).
    @usableFromInline
    static var isInsideItem: Bool { pthread_getspecific(insideKey) != nil }

    private static let insideKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()
}
