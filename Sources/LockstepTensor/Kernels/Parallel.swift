import Dispatch

/// Splitting the elementwise and layout kernels (im2col, BatchNorm, activations) over the
/// same number of threads as BLAS (`OPENBLAS_NUM_THREADS`), so a rank given T threads uses
/// them outside GEMM too. With one thread everything runs inline, with no dispatch at all.
public enum Parallel {
    /// Runs `body` on up to `BLAS.threads` contiguous, disjoint parts of 0..<count, concurrently,
    /// and returns when all are done. Parts have at least `grain` items (small jobs run inline).
    /// `body` must only write memory that belongs to its own part.
    @inlinable
    public static func forEachPart(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, count / max(grain, 1))
        if parts <= 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            // The parts write disjoint memory (the caller's contract), so sharing `body`
            // over threads is safe though the compiler cannot prove it.
            nonisolated(unsafe) let run = body
            DispatchQueue.concurrentPerform(iterations: parts) { t in
                run((t * count / parts)..<((t + 1) * count / parts))
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
    /// (W2 at 1 process × 2 threads: 17.3-18.0k samples/s with the old grains of 4-16 Ki, 19.6-20.9k).
    nonisolated(unsafe) public static var minimumWork = 65_536

    /// The thread count: BLAS's, read at first use. Unsynchronized: only tests change it (to
    /// compare splits), between parallel sections.
    nonisolated(unsafe) public static var threads: Int = max(1, BLAS.threads)
}
