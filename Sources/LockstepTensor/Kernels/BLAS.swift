import CBLAS

/// Matrix products through OpenBLAS. All matrices are row-major.
public enum BLAS {
    /// C[m×n] = alpha · op(A) · op(B) + beta · C, where op(A) is m×k and op(B) is k×n.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
    @inlinable
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Whether this OpenBLAS is the OpenMP build (Debian's libopenblas0-openmp), whose thread
    /// count is per calling thread, rather than the pthreads or serial one.
    public static let isOpenMP = openblas_get_parallel() == 2

    /// Threads OpenBLAS uses in this process.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
